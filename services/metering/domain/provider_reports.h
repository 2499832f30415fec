#pragma once
// The providers' admin usage and cost reports (WIRE.md, "Provider usage and cost reports"): the
// request for one page, and one page parsed into day/model/key buckets in metering's token
// convention with exact nano-USD costs. Pure C++.
//
//   OpenAI     GET {base}/organization/usage/completions  (Authorization: Bearer sk-admin-…)
//              GET {base}/organization/costs
//   Anthropic  GET {base}/v1/organizations/usage_report/messages  (x-api-key: sk-ant-admin…)
//              GET {base}/v1/organizations/cost_report
//
// Tokens: OpenAI's input_tokens already include input_cached_tokens; Anthropic's
// uncached_input_tokens do not include cache reads and writes, which are added. Costs: OpenAI's
// amount.value is decimal USD (a JSON number, read from its text), Anthropic's amount is cents as a
// decimal string; both become nano-USD exactly, rounded once per amount. The kind of a cost comes
// from OpenAI's line item ("<model>, input" | ", cached input" | ", output") and Anthropic's
// token_type; anything else is `other`.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "services/metering/clients/report_http.h"
#include "services/metering/domain/provider_usage.h"

namespace llmgw::metering {

enum class ReportKind { kUsage, kCosts };

// The providers' base URLs, as the gateway uses them (LLMGW_OPENAI_BASE_URL ends in /v1).
struct ReportEndpoints {
  std::string openai_base_url = "https://api.openai.com/v1";
  std::string anthropic_base_url = "https://api.anthropic.com";
};

inline constexpr char kAnthropicVersion[] = "2023-06-01";
// Buckets asked per page: the APIs' maximum for daily buckets.
inline constexpr int kReportPageLimit = 31;

// The request for one page of `kind` over `window` (daily buckets grouped by model and, for
// usage, API key; costs by line item / description). `page` is the previous page's next_page, ""
// for the first. The headers carry `admin_key`: the request is never logged.
HttpRequest ReportRequest(const ReportEndpoints& endpoints, ReportProvider provider,
                          ReportKind kind, DayWindow window, int limit, std::string_view page,
                          std::string_view admin_key);

struct ReportPage {
  std::vector<ReportedBucket> buckets;  // unmerged, in the page's order
  bool has_more = false;
  std::string next_page;
};

// One page of a report. InvalidArgument ("malformed … report: …") when the body is not the
// documented shape, a count is negative or an amount is not a number.
absl::StatusOr<ReportPage> ParseReportPage(ReportProvider provider, ReportKind kind,
                                           std::string_view body);

// The provider's own explanation in an error body (OpenAI error.message, Anthropic
// error.message), without `admin_key` should it appear, single-line and at most 300 characters;
// "" when the body has none.
std::string ProviderErrorMessage(std::string_view body, std::string_view admin_key);

// "x=1&y=2" with every byte outside [A-Za-z0-9-._~] percent-encoded.
std::string QueryString(const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace llmgw::metering

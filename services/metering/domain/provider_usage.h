#pragma once
// Usage and cost as a provider reports it (admin usage/cost APIs or a CSV export), per UTC day,
// model and provider API key: the provider side of the reconciliation. Pure C++.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/common/money.h"
#include "libs/common/utc_date.h"  // FormatDate, ParseDate
#include "services/metering/domain/stats.h"

namespace llmgw::metering {

// The providers whose admin APIs llmgw pulls. Others (Google, xAI) come in by CSV.
enum class ReportProvider { kOpenAi, kAnthropic };
const char* ReportProviderName(ReportProvider p);  // "openai" | "anthropic"
absl::StatusOr<ReportProvider> ParseReportProvider(std::string_view name);
const char* ReportProviderTitle(ReportProvider p);  // "OpenAI" | "Anthropic", for messages
// Every provider metering knows: openai, anthropic, google, xai.
bool IsKnownProvider(std::string_view name);

// An admin key as pasted: 16 to 512 printable ASCII characters without blanks. The message of
// an error never repeats the key.
absl::Status ValidateAdminKey(std::string_view key);
// What lists show of a key: its first 12 characters, at most a third of it.
std::string AdminKeyPrefix(std::string_view key);

// Tokens in metering's convention (UsageEvent): input counts every input token, cached reads and
// cache writes included; cached_input and cache_write are parts of it.
struct TokenUsage {
  int64_t input = 0;
  int64_t cached_input = 0;
  int64_t cache_write = 0;
  int64_t output = 0;
  int64_t requests = 0;  // 0 where the provider does not count them (Anthropic)
  void Add(const TokenUsage& o);
  int64_t uncached_input() const { return input - cached_input - cache_write; }
  bool operator==(const TokenUsage&) const = default;
};

// The provider's cost by token kind, where its cost report says the kind; `other` is cost it does
// not split by kind (tool fees, a CSV export's single cost column).
struct KindCosts {
  money::Nano uncached_input = 0;
  money::Nano cached_input = 0;
  money::Nano cache_write = 0;
  money::Nano output = 0;
  money::Nano other = 0;
  void Add(const KindCosts& o);
  money::Nano Total() const { return uncached_input + cached_input + cache_write + output + other; }
  bool operator==(const KindCosts&) const = default;
};

// One bucket of a provider's report: a UTC day, a model and a provider API key ("" when the
// provider does not say, and for costs, which providers report per model, not per key).
struct ReportedBucket {
  int64_t day_unix_ms = 0;  // 00:00 UTC
  std::string model;
  std::string api_key_id;
  TokenUsage tokens;
  KindCosts cost;
  bool operator==(const ReportedBucket&) const = default;
};

// Days [from, to), each 00:00 UTC.
struct DayWindow {
  int64_t from_day_ms = 0;
  int64_t to_day_ms = 0;
  int days() const { return static_cast<int>((to_day_ms - from_day_ms) / kDayMs); }
  bool Contains(int64_t day_ms) const { return day_ms >= from_day_ms && day_ms < to_day_ms; }
  bool operator==(const DayWindow&) const = default;
};

// The UTC day holding `unix_ms` (its 00:00).
inline int64_t DayOf(int64_t unix_ms) { return FloorTo(unix_ms, kDayMs); }

// Sums buckets sharing (day, model, api_key_id); the result is sorted by that key.
std::vector<ReportedBucket> MergeBuckets(std::vector<ReportedBucket> buckets);

// A decimal number as providers write amounts ("12", "-0.5", "0.10659000000000001", "1.23e-05")
// times 10^`scale`, rounded half away from zero to an integer, without floating point: USD with
// scale 9 gives nano-USD, cents with scale 7. InvalidArgument when it is not a number or does not
// fit int64.
absl::StatusOr<money::Nano> DecimalToNano(std::string_view text, int scale);

// The model id without a dated snapshot suffix ("-2024-07-18", "-20241022"):
// "gpt-4o-mini-2024-07-18" → "gpt-4o-mini". Providers report snapshots where callers name the
// alias; both sides of the reconciliation are matched on this.
std::string ModelFamily(std::string_view model);

}  // namespace llmgw::metering

#include "services/gateway/domain/controls.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"

namespace llmgw::gateway {

std::vector<BudgetSpec> BudgetsOf(const std::string& credential_id, const Limits& credential,
                                  const Limits& organization) {
  std::vector<BudgetSpec> out;
  const std::string cred = "cred:" + credential_id;
  if (credential.daily_budget > 0) out.push_back({cred, "day", credential.daily_budget});
  if (credential.monthly_budget > 0) out.push_back({cred, "month", credential.monthly_budget});
  if (organization.daily_budget > 0) out.push_back({"org", "day", organization.daily_budget});
  if (organization.monthly_budget > 0) {
    out.push_back({"org", "month", organization.monthly_budget});
  }
  return out;
}

std::vector<LimitScope> RateScopesOf(const std::string& organization_id,
                                     const std::string& credential_id, const Limits& credential,
                                     const Limits& organization) {
  std::vector<LimitScope> out;
  if (credential.HasRate()) {
    out.push_back({"cred:" + credential_id, RateLimits{credential.rpm, credential.tpm}});
  }
  if (organization.HasRate()) {
    out.push_back({"org:" + organization_id, RateLimits{organization.rpm, organization.tpm}});
  }
  return out;
}

int64_t TokenBound(int64_t input_tokens, int64_t output_tokens) {
  return std::max<int64_t>(1, std::max<int64_t>(0, input_tokens) +
                                  std::max<int64_t>(0, output_tokens));
}

std::string OpenAIDuration(int64_t ms) {
  ms = std::max<int64_t>(0, ms);
  if (ms < 1000) return absl::StrCat(ms, "ms");
  const int64_t minutes = ms / 60'000;
  const int64_t rest_ms = ms % 60'000;
  std::string seconds = absl::StrCat(rest_ms / 1000);
  if (const int64_t frac = rest_ms % 1000; frac != 0) {
    std::string digits = absl::StrFormat("%03d", frac);
    while (digits.back() == '0') digits.pop_back();
    absl::StrAppend(&seconds, ".", digits);
  }
  return minutes > 0 ? absl::StrCat(minutes, "m", seconds, "s") : absl::StrCat(seconds, "s");
}

namespace {

std::string Rfc3339(int64_t unix_ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMillis(unix_ms),
                          absl::UTCTimeZone());
}

}  // namespace

HeaderValues RateLimitHeaders(Surface surface, const RateDecision& d, bool native,
                              int64_t now_unix_ms) {
  HeaderValues out;
  auto dimension = [&](bool limited, const char* name, int64_t limit, int64_t remaining,
                       int64_t reset_ms) {
    if (!limited) return;
    remaining = std::max<int64_t>(0, remaining);
    if (!native) {
      out.emplace_back(absl::StrCat("x-llmgw-ratelimit-remaining-", name),
                       absl::StrCat(remaining));
    } else if (surface == Surface::kAnthropic) {
      const std::string prefix = absl::StrCat("anthropic-ratelimit-", name, "-");
      out.emplace_back(prefix + "limit", absl::StrCat(limit));
      out.emplace_back(prefix + "remaining", absl::StrCat(remaining));
      out.emplace_back(prefix + "reset", Rfc3339(now_unix_ms + reset_ms + 999));
    } else {
      out.emplace_back(absl::StrCat("x-ratelimit-limit-", name), absl::StrCat(limit));
      out.emplace_back(absl::StrCat("x-ratelimit-remaining-", name), absl::StrCat(remaining));
      out.emplace_back(absl::StrCat("x-ratelimit-reset-", name), OpenAIDuration(reset_ms));
    }
  };
  dimension(d.limits_requests, "requests", d.limit_requests, d.remaining_requests,
            d.reset_requests_ms);
  dimension(d.limits_tokens, "tokens", d.limit_tokens, d.remaining_tokens, d.reset_tokens_ms);
  return out;
}

int64_t RetryAfterSeconds(const RateDecision& d) {
  return std::max<int64_t>(1, (d.retry_after_ms + 999) / 1000);
}

std::string BudgetRefusalText(std::string_view billing_message) {
  const std::string period =
      billing_message.find("month budget") != std::string_view::npos ? "monthly" : "daily";
  const std::string whose =
      billing_message.find("budget of org") != std::string_view::npos ? "this organization"
                                                                     : "this key";
  return "the " + period + " budget of " + whose + " is spent";
}

std::string RefusalText(const RateDecision& d) {
  const std::string& by = d.refused_by;
  const std::string whose = absl::StartsWith(by, "org:") ? "of this organization" : "of this key";
  if (absl::StrContains(by, "/tokens")) {
    return d.exceeds_limit
               ? "the request's token bound is larger than the tokens per minute " + whose +
                     " allow; lower max_tokens"
               : "tokens per minute " + whose;
  }
  return "requests per minute " + whose;
}

}  // namespace llmgw::gateway

#pragma once
// Controls (issue 16) as the management API shows them: the body of PATCH /api/tokens,
// PATCH /api/keys and PUT /api/org/limits, and the `limits` and `usage` objects of a credential
// or the organization (API.md).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "services/dashboard/domain/json_shapes.h"
#include "services/dashboard/domain/types.h"

namespace llmgw::dashboard {

inline constexpr int64_t kMaxRateLimit = 1'000'000'000;
inline constexpr money::Nano kMaxBudgetNano = int64_t{1'000'000'000} * money::kNanoPerUsd;

// `{rpm, tpm, daily_budget_usd, monthly_budget_usd}`: an absent field stays as it is, null removes
// the limit. rpm and tpm are integers 1..1e9; budgets are USD amounts (JSON numbers or decimal
// strings, at most 9 decimals) above 0 and at most $1e9. Any other field, or a body that is not
// an object, is INVALID_ARGUMENT naming it.
absl::StatusOr<LimitsPatch> ParseLimitsBody(std::string_view body);

// {rpm,tpm,daily_budget_usd,daily_budget_nano,monthly_budget_usd,monthly_budget_nano}, null where
// unset.
Json LimitsJson(const Limits& l);
// {minute_requests,minute_tokens,day_spent_nano,day_spent_usd,month_spent_nano,month_spent_usd}.
Json QuotaUsageJson(const QuotaUsage& u);

// The usage of one budget scope ("org" or "cred:<id>"): its counters' spent plus reserved (what
// counts against the limit) in the current day and month.
QuotaUsage BudgetUsageOf(const std::string& scope, const std::vector<BudgetSpend>& budgets);

// Adds the requests and tokens of `rows` (newest first) made in the minute before `now_unix_ms`.
void CountLastMinute(const std::vector<UsageRow>& rows, int64_t now_unix_ms, QuotaUsage& usage);

}  // namespace llmgw::dashboard

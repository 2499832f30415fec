#include "services/billing/domain/budget_rules.h"

#include <algorithm>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "services/billing/domain/billing_rules.h"

namespace llmgw::billing {

std::string PeriodStart(std::string_view period, int64_t now_unix_ms) {
  const absl::CivilDay day =
      absl::ToCivilDay(absl::FromUnixMillis(now_unix_ms), absl::UTCTimeZone());
  if (period == "month") {
    return absl::FormatCivilTime(absl::CivilDay(absl::CivilMonth(day)));
  }
  return absl::FormatCivilTime(day);
}

namespace {

absl::Status ValidateBudget(const BudgetRequest& b) {
  const bool org = b.scope == "org";
  const bool cred = absl::StartsWith(b.scope, "cred:") &&
                    ValidateOrgId(std::string_view(b.scope).substr(5)).ok();
  if (!org && !cred) {
    return absl::InvalidArgumentError("budget scope must be \"org\" or \"cred:<uuid>\"");
  }
  if (b.period != "day" && b.period != "month") {
    return absl::InvalidArgumentError("budget period must be \"day\" or \"month\"");
  }
  if (b.limit < 1 || b.limit > kMaxBudgetNano) {
    return absl::InvalidArgumentError(
        absl::StrCat("budget limit must be between 1 and ", kMaxBudgetNano, " nano-USD"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<BudgetCharge>> BudgetCharges(const std::vector<BudgetRequest>& budgets,
                                                        int64_t now_unix_ms) {
  if (budgets.size() > kMaxBudgetsPerHold) {
    return absl::InvalidArgumentError(
        absl::StrCat("at most ", kMaxBudgetsPerHold, " budgets per hold"));
  }
  std::map<BudgetRef, Nano> limits;  // sorted: the order counters are locked in
  for (const BudgetRequest& b : budgets) {
    if (absl::Status s = ValidateBudget(b); !s.ok()) return s;
    BudgetRef ref{b.scope, b.period, PeriodStart(b.period, now_unix_ms)};
    auto [it, inserted] = limits.emplace(ref, b.limit);
    if (!inserted) it->second = std::min(it->second, b.limit);
  }
  std::vector<BudgetCharge> out;
  out.reserve(limits.size());
  for (const auto& [ref, limit] : limits) out.push_back({ref, limit});
  return out;
}

bool BudgetAdmits(Nano spent, Nano reserved, Nano amount, Nano limit) {
  const Nano used = spent + reserved;
  return used < limit && used + amount <= limit;
}

std::vector<BudgetMove> SettleBudgetMoves(const std::vector<BudgetRef>& refs, Nano released,
                                          Nano spent) {
  std::vector<BudgetMove> out;
  out.reserve(refs.size());
  for (const BudgetRef& r : refs) out.push_back({r, -released, spent});
  return out;
}

std::vector<BudgetMove> VoidBudgetMoves(const std::vector<BudgetRef>& refs, Nano amount) {
  std::vector<BudgetMove> out;
  out.reserve(refs.size());
  for (const BudgetRef& r : refs) out.push_back({r, -amount, 0});
  return out;
}

Settlement BudgetOnlySettlement(Nano provider_cost, Nano balance) {
  return Settlement{.provider_cost = provider_cost,
                    .margin = 0,
                    .total = provider_cost,
                    .charged = 0,
                    .uncollected = 0,
                    .balance_after = balance};
}

}  // namespace llmgw::billing

#pragma once
// Spend budgets (issue 16), pure C++. A budget is a limit on what one scope (the organization, or
// one of its credentials) may spend in a UTC day or calendar month. It is enforced by the same
// hold and settle as the balance: a hold reserves its amount against every budget it names in
// the same transaction as the balance (guarded, so concurrent holds can never together pass a
// limit), a settle turns the reservation into spend, a void or the sweeper releases it.

#include <cstdint>
#include <tuple>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/common/money.h"
#include "services/billing/domain/billing_rules.h"

namespace llmgw::billing {

// Budgets reach 1e18 nano-USD ($1e9); a hold never exceeds kMaxAmountNano, so sums stay far
// below int64's range.
inline constexpr Nano kMaxBudgetNano = 1'000'000'000'000'000'000;
inline constexpr size_t kMaxBudgetsPerHold = 8;

// One budget counter: a scope ("org" or "cred:<uuid>"), a period ("day" or "month") and the UTC
// date the period starts (YYYY-MM-DD).
struct BudgetRef {
  std::string scope;
  std::string period;
  std::string period_start;
  bool operator==(const BudgetRef&) const = default;
  bool operator<(const BudgetRef& o) const {
    return std::tie(scope, period, period_start) < std::tie(o.scope, o.period, o.period_start);
  }
};

// A budget a hold must fit in.
struct BudgetCharge {
  BudgetRef ref;
  Nano limit = 0;
};

// How a settle, a void or the sweeper changes one counter.
struct BudgetMove {
  BudgetRef ref;
  Nano reserved_delta = 0;
  Nano spent_delta = 0;
  bool operator==(const BudgetMove&) const = default;
};

// The budgets a hold reserves against (BudgetCharges), and whether it is budget-only (a
// pass-through hold: no balance, no margin, nothing debited when it settles).
struct HoldBudgets {
  bool budget_only = false;
  std::vector<BudgetCharge> charges;
  bool empty() const { return !budget_only && charges.empty(); }
};

// A budget as the gateway asks for it: scope, period, limit.
struct BudgetRequest {
  std::string scope;
  std::string period;
  Nano limit = 0;
};

// The UTC date (YYYY-MM-DD) on which the day or month containing `now_unix_ms` starts.
std::string PeriodStart(std::string_view period, int64_t now_unix_ms);

// The counters a hold taken at `now_unix_ms` reserves against, sorted (the lock order) and
// without duplicates (the smaller limit wins). INVALID_ARGUMENT names a bad scope ("org" or
// "cred:" + a UUID), period ("day" or "month") or limit (1..kMaxBudgetNano), or more than
// kMaxBudgetsPerHold budgets.
absl::StatusOr<std::vector<BudgetCharge>> BudgetCharges(const std::vector<BudgetRequest>& budgets,
                                                        int64_t now_unix_ms);

// Whether a counter with `spent` and `reserved` admits a hold of `amount` under `limit`: the sum
// stays within the limit, and a budget already used up refuses even an amount of 0 (an unpriced
// request cannot slip past a spent budget). Storage's guarded UPDATE says the same in SQL.
bool BudgetAdmits(Nano spent, Nano reserved, Nano amount, Nano limit);

// A settle of a hold that reserved `released` (0 when the hold was voided before the settle)
// and costs the customer `spent`: every counter moves reserved -released, spent +spent.
std::vector<BudgetMove> SettleBudgetMoves(const std::vector<BudgetRef>& refs, Nano released,
                                          Nano spent);
// A void (or the sweeper) of an open hold of `amount`: reserved -amount.
std::vector<BudgetMove> VoidBudgetMoves(const std::vector<BudgetRef>& refs, Nano amount);

// What a budget-only (pass-through) hold's settle records: the cost as the total, nothing
// charged to the balance.
Settlement BudgetOnlySettlement(Nano provider_cost, Nano balance);

}  // namespace llmgw::billing

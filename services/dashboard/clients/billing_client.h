#pragma once
// What the dashboard needs from the billing service (balances, top-ups, the ledger).

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/common/money.h"
#include "services/dashboard/domain/types.h"

namespace llmgw::dashboard {

class BillingClient {
 public:
  virtual ~BillingClient() = default;

  virtual absl::StatusOr<Balance> GetBalance(const std::string& org_id) = 0;
  // A top-up; idempotent by `idempotency_key` (a repeat returns the first result).
  virtual absl::StatusOr<ChargeResult> Charge(const std::string& org_id,
                                              const std::string& idempotency_key,
                                              money::Nano amount_nano,
                                              const std::string& description) = 0;
  // Newest first.
  virtual absl::StatusOr<std::vector<Transaction>> ListTransactions(const std::string& org_id,
                                                                    int32_t limit) = 0;
  // The organization's budget counters of the current UTC day and month.
  virtual absl::StatusOr<std::vector<BudgetSpend>> ListBudgets(const std::string& org_id) = 0;
};

}  // namespace llmgw::dashboard

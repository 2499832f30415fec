#pragma once
// What the reseller path asks billing: reserve a request's cost bound before the upstream call,
// then settle the actual cost or void the reservation. Production: GrpcBillingClient; tests may
// inject a fake.

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/common/money.h"
#include "services/gateway/domain/limits.h"
#include "services/gateway/domain/settle_command.h"

namespace llmgw::gateway {

// What a hold asks billing to reserve.
struct HoldOrder {
  std::string organization_id;
  std::string request_id;
  money::Nano provider_cost_bound = 0;
  std::vector<BudgetSpec> budgets;  // every budget must fit the amount too (BudgetsOf)
  bool budget_only = false;         // pass-through: the budgets alone, no balance, no margin
};

struct HoldReceipt {
  money::Nano held = 0;  // reserved: bound + margin
  int64_t expires_at_unix_ms = 0;
  // The margin billing recorded on the hold and will add when it settles: the usage record's
  // margin and cost are computed with it (money::MarginOf) without waiting for the settle.
  int64_t margin_percent = 0;
};

struct SettleReceipt {
  money::Nano provider_cost = 0;
  money::Nano margin = 0;
  money::Nano total = 0;  // provider_cost + margin
  money::Nano charged = 0;
  money::Nano uncollected = 0;
  money::Nano balance_after = 0;
};

class BillingHolds {
 public:
  template <typename T>
  using Done = std::function<void(T)>;
  virtual ~BillingHolds() = default;

  // Every call is asynchronous: `done` runs exactly once, on any thread (possibly before the call
  // returns). Errors carry billing's canonical codes: kResourceExhausted (the balance cannot
  // cover the hold), kUnavailable / kDeadlineExceeded (billing unreachable), others as documented
  // in billing.proto.

  // Reserves the order's bound plus billing's margin (none when budget-only) for its request id
  // (idempotent), from the balance and from every budget. kResourceExhausted: the balance, or a
  // budget (message "budget_exceeded: …"), cannot cover it.
  virtual void Hold(HoldOrder order, Done<absl::StatusOr<HoldReceipt>> done) = 0;
  // Debits `provider_cost` plus the margin and releases the hold (idempotent: safe to retry).
  virtual void Settle(std::string request_id, money::Nano provider_cost, std::string description,
                      Done<absl::StatusOr<SettleReceipt>> done) = 0;
  // Releases the hold without charging.
  virtual void Void(std::string request_id, Done<absl::Status> done) = 0;
};

// Where the reseller path leaves what it owes billing once a request is done: the settle of its
// actual cost or the void of its hold. Production: SettleQueue (journaled, then delivered in the
// background until billing acknowledges it), so the request never waits for billing here.
class SettleSink {
 public:
  virtual ~SettleSink() = default;
  virtual void Enqueue(SettleCommand command) = 0;
};

}  // namespace llmgw::gateway

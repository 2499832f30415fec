#pragma once
// A reseller request's money before its upstream call: the hold (no hold, no call). What it owes
// afterwards (the settle of the actual cost or the void of the hold) goes to the SettleSink
// (clients/settle_queue), off the request path. The rules are in domain/reseller.

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <boost/asio/awaitable.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "services/gateway/clients/hold_ledger.h"
#include "services/gateway/domain/reseller.h"

namespace llmgw::gateway {

// The reseller's own series, beside GatewayMetrics (which it uses with mode="reseller").
class ResellerMetrics {
 public:
  explicit ResellerMetrics(prometheus::Registry& registry);
  void CountHoldRefused() { holds_refused_.Increment(); }

 private:
  prometheus::Counter& holds_refused_;
};

// Reserves the order's bound (+ billing's margin) for the request, from the balance and its
// budgets. kResourceExhausted: the balance or a budget cannot cover it (counted as a refused
// hold; BudgetRefused tells which).
boost::asio::awaitable<absl::StatusOr<HoldReceipt>> PlaceHold(BillingHolds& billing,
                                                              HoldOrder order,
                                                              ResellerMetrics* metrics);

// Whether a hold was refused by a budget (billing's "budget_exceeded: …"), not the balance.
bool BudgetRefused(const absl::Status& hold);

}  // namespace llmgw::gateway

#pragma once
// A reseller request's money, around its upstream call: the hold before it (no hold, no call) and,
// after it, the settle of the actual provider cost (retried per the SettlePolicy: idempotent) or
// the void of the hold. Works on the BillingHolds interface; the rules are in domain/reseller.

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <boost/asio/awaitable.hpp>
#include <optional>
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
  void CountSettleFailure() { settle_failures_.Increment(); }

 private:
  prometheus::Counter& holds_refused_;
  prometheus::Counter& settle_failures_;
};

// Reserves `bound` (+ billing's margin) for the request. kResourceExhausted: the balance cannot
// cover it (counted as a refused hold).
boost::asio::awaitable<absl::StatusOr<HoldReceipt>> PlaceHold(BillingHolds& billing,
                                                              const std::string& organization_id,
                                                              const std::string& request_id,
                                                              money::Nano bound,
                                                              ResellerMetrics* metrics);

// Settles `provider_cost` (+ margin), retrying what RetryableBillingError allows. nullopt when it
// failed for good: logged, counted, and the hold is left to billing's sweeper (the customer is not
// charged).
boost::asio::awaitable<std::optional<SettleReceipt>> SettleHold(
    BillingHolds& billing, const SettlePolicy& policy, const std::string& request_id,
    money::Nano provider_cost, const std::string& description, ResellerMetrics* metrics);

// Releases the hold without charging; a failure leaves it to the sweeper (logged).
boost::asio::awaitable<void> VoidHold(BillingHolds& billing, const std::string& request_id);

}  // namespace llmgw::gateway

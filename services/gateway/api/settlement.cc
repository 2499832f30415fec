#include "services/gateway/api/settlement.h"

#include "absl/strings/match.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <utility>

#include "services/gateway/api/async_bridge.h"

namespace llmgw::gateway {

namespace asio = boost::asio;


ResellerMetrics::ResellerMetrics(prometheus::Registry& registry)
    : holds_refused_(prometheus::BuildCounter()
                         .Name("llmgw_gateway_holds_refused_total")
                         .Help("Reseller requests refused because the balance could not cover "
                               "the hold (429 insufficient_quota)")
                         .Register(registry)
                         .Add({})) {}

asio::awaitable<absl::StatusOr<HoldReceipt>> PlaceHold(BillingHolds& billing, HoldOrder order,
                                                       ResellerMetrics* metrics) {
  // Named, not temporaries inside the co_await: GCC 12 destroys such temporaries twice.
  auto call = [&billing,
               order = std::move(order)](BillingHolds::Done<absl::StatusOr<HoldReceipt>> done) {
    billing.Hold(order, std::move(done));
  };
  auto op = AwaitCallback<absl::StatusOr<HoldReceipt>>(std::move(call));
  absl::StatusOr<HoldReceipt> hold = co_await std::move(op);
  if (!hold.ok() && hold.status().code() == absl::StatusCode::kResourceExhausted &&
      metrics != nullptr) {
    metrics->CountHoldRefused();
  }
  co_return hold;
}

bool BudgetRefused(const absl::Status& hold) {
  return hold.code() == absl::StatusCode::kResourceExhausted &&
         absl::StartsWith(hold.message(), "budget_exceeded");
}

}  // namespace llmgw::gateway

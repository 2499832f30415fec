#include "services/gateway/api/settlement.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <utility>

#include "libs/common/log.h"
#include "services/gateway/api/async_bridge.h"

namespace llmgw::gateway {

namespace asio = boost::asio;

namespace {

asio::awaitable<void> Sleep(std::chrono::milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

}  // namespace

ResellerMetrics::ResellerMetrics(prometheus::Registry& registry)
    : holds_refused_(prometheus::BuildCounter()
                         .Name("llmgw_gateway_holds_refused_total")
                         .Help("Reseller requests refused because the balance could not cover "
                               "the hold (429 insufficient_quota)")
                         .Register(registry)
                         .Add({})),
      settle_failures_(prometheus::BuildCounter()
                           .Name("llmgw_gateway_settle_failures_total")
                           .Help("Reseller settles that failed after retries (the hold is left "
                                 "to billing's sweeper)")
                           .Register(registry)
                           .Add({})) {}

asio::awaitable<absl::StatusOr<HoldReceipt>> PlaceHold(BillingHolds& billing,
                                                       const std::string& organization_id,
                                                       const std::string& request_id,
                                                       money::Nano bound,
                                                       ResellerMetrics* metrics) {
  // Named, not temporaries inside the co_await: GCC 12 destroys such temporaries twice.
  auto call = [&billing, org = organization_id, id = request_id,
               bound](BillingHolds::Done<absl::StatusOr<HoldReceipt>> done) {
    billing.Hold(org, id, bound, std::move(done));
  };
  auto op = AwaitCallback<absl::StatusOr<HoldReceipt>>(std::move(call));
  absl::StatusOr<HoldReceipt> hold = co_await std::move(op);
  if (!hold.ok() && hold.status().code() == absl::StatusCode::kResourceExhausted &&
      metrics != nullptr) {
    metrics->CountHoldRefused();
  }
  co_return hold;
}

asio::awaitable<std::optional<SettleReceipt>> SettleHold(
    BillingHolds& billing, const SettlePolicy& policy, const std::string& request_id,
    money::Nano provider_cost, const std::string& description, ResellerMetrics* metrics) {
  absl::StatusOr<SettleReceipt> settled = absl::UnknownError("not attempted");
  for (int attempt = 0; attempt < std::max(1, policy.settle_attempts); ++attempt) {
    if (attempt > 0) co_await Sleep(SettleRetryDelay(policy, attempt));
    auto call = [&billing, &request_id, provider_cost,
                 &description](BillingHolds::Done<absl::StatusOr<SettleReceipt>> done) {
      billing.Settle(request_id, provider_cost, description, std::move(done));
    };
    auto op = AwaitCallback<absl::StatusOr<SettleReceipt>>(std::move(call));
    settled = co_await std::move(op);
    if (settled.ok() || !RetryableBillingError(settled.status().code())) break;
  }
  if (settled.ok()) co_return *settled;
  // The hold stays; billing's sweeper voids it when it expires (the customer is not charged).
  log::Error("billing settle failed", {{"code", static_cast<int>(settled.status().code())},
                                       {"error", std::string(settled.status().message())},
                                       {"provider_cost_nano", provider_cost},
                                       {"request_id", request_id}});
  if (metrics != nullptr) metrics->CountSettleFailure();
  co_return std::nullopt;
}

asio::awaitable<void> VoidHold(BillingHolds& billing, const std::string& request_id) {
  auto call = [&billing, &request_id](BillingHolds::Done<absl::Status> done) {
    billing.Void(request_id, std::move(done));
  };
  auto op = AwaitCallback<absl::Status>(std::move(call));
  absl::Status voided = co_await std::move(op);
  if (!voided.ok()) {
    log::Warn("billing void failed; the sweeper will release the hold",
              {{"code", static_cast<int>(voided.code())}, {"request_id", request_id}});
  }
}

}  // namespace llmgw::gateway

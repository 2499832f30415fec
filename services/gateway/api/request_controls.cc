#include "services/gateway/api/request_controls.h"

#include <algorithm>
#include <utility>

#include "libs/common/log.h"
#include "services/gateway/api/async_bridge.h"

namespace llmgw::gateway {

namespace asio = boost::asio;

asio::awaitable<RateDecision> RequestControls::AcquireRate(const std::vector<LimitScope>& scopes,
                                                           int64_t token_bound) {
  // Named, not temporaries inside the co_await: GCC 12 destroys such temporaries twice.
  auto call = [limiter = d_.limiter, scopes, token_bound](RateLimiter::Done done) {
    limiter->Acquire(scopes, token_bound, std::move(done));
  };
  auto op = AwaitCallback<RateDecision>(std::move(call));
  co_return co_await std::move(op);
}

Refusal RequestControls::HoldRefusal(const absl::Status& hold, const std::string& request_id) {
  if (BudgetRefused(hold)) {
    return Refusal{BudgetExceeded(BudgetRefusalText(std::string(hold.message()))), 0, false, {}};
  }
  if (hold.code() == absl::StatusCode::kResourceExhausted) {
    return Refusal{InsufficientQuota(), 0, false, {}};
  }
  log::Warn("billing hold failed; refusing the request",
            {{"code", static_cast<int>(hold.code())},
             {"error", std::string(hold.message())},
             {"request_id", request_id}});
  // A Hold that timed out or was cut off may still have committed in billing: its void goes
  // through the settle queue, delivered as soon as billing answers (NOT_FOUND if it never
  // committed), instead of the funds staying held until the hold expires.
  d_.settles->Enqueue({SettleCommand::Kind::kVoid, request_id, 0, ""});
  return Refusal{DependencyUnavailable("billing"), 1, true, {}};
}

asio::awaitable<Admission> RequestControls::Admit(const Principal& p,
                                                  const std::string& request_id,
                                                  const CostBound& bound, bool reseller,
                                                  Surface surface) {
  Admission a;
  if (d_.limiter != nullptr) {
    a.scopes = RateScopesOf(p.organization_id, p.credential_id, p.limits, p.organization_limits);
  }
  if (!a.scopes.empty()) {
    a.reserved_tokens = TokenBound(bound.input_tokens, bound.output_tokens);
    a.rate = co_await AcquireRate(a.scopes, a.reserved_tokens);
    if (!a.rate.allowed) {
      Refusal r{RateLimited(RefusalText(a.rate)), RetryAfterSeconds(a.rate), true,
                RateLimitHeaders(surface, a.rate, /*native=*/true, d_.clock.NowUnixMs())};
      // A request larger than the tokens per minute allow never fits: retrying cannot help.
      if (a.rate.exceeds_limit) r.should_retry = false;
      a.refusal = std::move(r);
      a.scopes.clear();  // nothing reserved
      co_return a;
    }
  }
  HoldOrder order{p.organization_id, request_id, std::max<money::Nano>(1, bound.provider_cost),
                  BudgetsOf(p.credential_id, p.limits, p.organization_limits), !reseller};
  if (!reseller && order.budgets.empty()) co_return a;  // pass-through without a budget: free
  absl::StatusOr<HoldReceipt> hold =
      co_await PlaceHold(*d_.billing, std::move(order), d_.metrics);
  if (!hold.ok()) {
    a.refusal = HoldRefusal(hold.status(), request_id);
    if (!a.scopes.empty()) d_.limiter->Correct(a.scopes, a.reserved_tokens, 0);
    a.scopes.clear();
    co_return a;
  }
  a.held = true;
  a.margin_percent = hold->margin_percent;
  co_return a;
}

HeaderValues RequestControls::SuccessHeaders(const Admission& a, Surface surface,
                                             bool native) const {
  if (a.scopes.empty()) return {};
  return RateLimitHeaders(surface, a.rate, native, d_.clock.NowUnixMs());
}

void RequestControls::Finish(const Admission& a, const std::string& request_id,
                             int64_t actual_tokens, std::optional<money::Nano> provider_cost,
                             const std::string& description) {
  if (!a.scopes.empty() && actual_tokens != a.reserved_tokens) {
    d_.limiter->Correct(a.scopes, a.reserved_tokens, std::max<int64_t>(0, actual_tokens));
  }
  if (!a.held) return;
  if (provider_cost.has_value()) {
    d_.settles->Enqueue({SettleCommand::Kind::kSettle, request_id, *provider_cost, description});
  } else {
    d_.settles->Enqueue({SettleCommand::Kind::kVoid, request_id, 0, ""});
  }
}

}  // namespace llmgw::gateway

#pragma once
// The controls of one request (issue 16), the same in both modes: before anything goes upstream,
// the rate limits of its credential and organization (RateLimiter: in-process, or Redis shared by
// every replica), then billing's hold, which carries the budgets (reseller: the balance too;
// pass-through: the budgets alone, only when one is set). Afterwards the token reservation is
// corrected with the actual count and the hold settled or voided through the settle queue, off
// the request path.

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "libs/common/clock.h"
#include "services/gateway/api/settlement.h"
#include "services/gateway/clients/hold_ledger.h"
#include "services/gateway/clients/rate_limiter.h"
#include "services/gateway/domain/auth_cache.h"
#include "services/gateway/domain/controls.h"
#include "services/gateway/domain/errors.h"
#include "services/gateway/domain/reseller.h"

namespace llmgw::gateway {

// Why a request is refused before going upstream, as the surface shows it.
struct Refusal {
  ErrorSpec spec;
  int64_t retry_after_seconds = 0;  // 0: no retry-after header
  bool should_retry = true;         // false: x-should-retry: false
  HeaderValues headers;             // the rate-limit headers of a rate refusal
};

// One request's admission: refused (nothing reserved anywhere), or admitted with what it holds.
struct Admission {
  std::optional<Refusal> refusal;
  // The rate limits applied (empty: none set).
  std::vector<LimitScope> scopes;
  int64_t reserved_tokens = 0;
  RateDecision rate;
  // Billing's hold (reseller always; pass-through when a budget is set).
  bool held = false;
  int64_t margin_percent = 0;
};

class RequestControls {
 public:
  struct Deps {
    RateLimiter* limiter = nullptr;  // nullptr: no rate limits (tests)
    BillingHolds* billing = nullptr;
    SettleSink* settles = nullptr;
    ResellerMetrics* metrics = nullptr;  // optional
    const Clock& clock = SystemClock::Get();
  };
  explicit RequestControls(Deps deps) : d_(deps) {}

  // Rate limits, then the hold. `reseller`: the hold reserves bound + margin from the balance
  // and the budgets; otherwise (pass-through) a budget-only hold of the bound, when a budget is
  // set. A refused hold gives back the rate reservation.
  boost::asio::awaitable<Admission> Admit(const Principal& principal, const std::string& request_id,
                                          const CostBound& bound, bool reseller, Surface surface);

  // The remaining-quota headers of an admitted request's response: the surface's own
  // (`native`, reseller) or x-llmgw-ratelimit-remaining-* (pass-through).
  HeaderValues SuccessHeaders(const Admission& a, Surface surface, bool native) const;

  // After the response: corrects the token reservation with `actual_tokens` and settles the hold
  // at `provider_cost` (nullopt: voids it), described as `description`.
  void Finish(const Admission& a, const std::string& request_id, int64_t actual_tokens,
              std::optional<money::Nano> provider_cost, const std::string& description);

 private:
  boost::asio::awaitable<RateDecision> AcquireRate(const std::vector<LimitScope>& scopes,
                                                   int64_t token_bound);
  Refusal HoldRefusal(const absl::Status& hold, const std::string& request_id);

  Deps d_;
};

}  // namespace llmgw::gateway

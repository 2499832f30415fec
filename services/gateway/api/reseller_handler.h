#pragma once
// Reseller (unified key) mode: POST /api/v1/chat/completions and GET /api/v1/models on the OpenAI
// surface, authenticated by the customer's llm_sk_ key. Each chat call is routed by model to a
// provider the operator holds a key for, bounded and held in billing before the upstream call
// (no hold, no call), sent with the OPERATOR's key (claude-* translated to Anthropic Messages and
// back), then settled with the provider's reported cost and recorded as a usage event.

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <array>
#include <chrono>
#include <set>
#include <string>

#include "libs/common/clock.h"
#include "services/gateway/api/authenticator.h"
#include "services/gateway/api/gateway_metrics.h"
#include "services/gateway/api/passthrough_handler.h"
#include "services/gateway/api/route_handler.h"
#include "services/gateway/clients/hold_ledger.h"
#include "services/gateway/clients/price_book.h"
#include "services/gateway/clients/upstream_client.h"
#include "services/gateway/clients/usage_sink.h"

namespace llmgw::gateway {

// The operator's provider keys, indexed by Provider (LLMGW_OPENAI_API_KEY, …). An empty key means
// the provider is not offered. Never logged.
struct ResellerOptions {
  std::array<std::string, 4> operator_keys;
  // Settle is idempotent: retried while billing is unavailable or slow, long enough (about 20 s
  // with the defaults: 7 waits of 0.2+0.4+0.8+1.6+3.2+5+5 s, plus the calls) to ride out a
  // billing restart, since a settle that gives up leaves delivered output free (the hold is
  // swept). The waits are asio timers: the coroutine never blocks a thread.
  int settle_attempts = 8;
  std::chrono::milliseconds settle_backoff = std::chrono::milliseconds(200);  // doubles per try
  std::chrono::milliseconds settle_backoff_max = std::chrono::seconds(5);     // ...up to this

  std::set<Provider> Offered() const;
};

// The wait before settle attempt `attempt` (1 = the first retry): settle_backoff doubled per
// earlier retry, capped at settle_backoff_max.
std::chrono::milliseconds SettleRetryDelay(const ResellerOptions& options, int attempt);

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

class ResellerHandler final : public RouteHandler {
 public:
  struct Deps {
    Authenticator& auth;
    UpstreamClient& upstream;
    const UpstreamEndpoints& endpoints;
    const PriceBook& prices;
    BillingHolds& billing;
    UsageSink& usage;
    ResellerOptions options;
    GatewayMetrics* metrics = nullptr;            // optional
    ResellerMetrics* reseller_metrics = nullptr;  // optional
    const Clock& clock = SystemClock::Get();
  };
  explicit ResellerHandler(Deps deps);

  // RouteHandler: kResellerChat and kResellerModels.
  boost::asio::awaitable<void> Handle(const Route& route, HttpRequest& req,
                                      ResponseWriter& writer) override;

 private:
  struct Exchange;
  boost::asio::awaitable<void> Chat(HttpRequest& req, ResponseWriter& writer, Exchange& x);
  boost::asio::awaitable<void> Models(ResponseWriter& writer, Exchange& x);
  // Settles (with retries) or voids the hold, then emits the usage event.
  boost::asio::awaitable<void> Finish(Exchange& x);

  Deps d_;
  std::set<Provider> offered_;
};

}  // namespace llmgw::gateway

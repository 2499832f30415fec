#pragma once
// Reseller (unified key) mode: POST /api/v1/chat/completions and GET /api/v1/models (OpenAI SDK),
// POST /api/v1/responses and /api/v1/embeddings (OpenAI SDK), POST /api/v1/messages and
// /api/v1/messages/count_tokens (Anthropic SDK), authenticated by the customer's llm_sk_ key. Each
// chat call is routed by model to a provider the operator holds a key for, bounded and held in
// billing before the upstream call (no hold, no call), sent with the OPERATOR's key (claude-*
// translated to Anthropic Messages and back), then settled with the provider's reported cost and
// recorded as a usage event.

#include <array>
#include <chrono>
#include <memory>
#include <set>
#include <string>

#include "libs/common/clock.h"
#include "services/gateway/api/authenticator.h"
#include "services/gateway/api/chat_surface.h"
#include "services/gateway/api/embeddings_surface.h"
#include "services/gateway/api/gateway_metrics.h"
#include "services/gateway/api/messages_surface.h"
#include "services/gateway/api/passthrough_handler.h"
#include "services/gateway/api/request_controls.h"
#include "services/gateway/api/responses_surface.h"
#include "services/gateway/api/route_handler.h"
#include "services/gateway/api/settlement.h"
#include "services/gateway/clients/hold_ledger.h"
#include "services/gateway/clients/price_book.h"
#include "services/gateway/clients/upstream_client.h"
#include "services/gateway/clients/usage_sink.h"

namespace llmgw::gateway {

// The operator's provider keys, indexed by Provider (LLMGW_OPENAI_API_KEY, …). An empty key means
// the provider is not offered. Never logged.
struct ResellerOptions {
  std::array<std::string, 4> operator_keys;

  std::set<Provider> Offered() const;
};

class ResellerHandler final : public RouteHandler {
 public:
  struct Deps {
    Authenticator& auth;
    UpstreamClient& upstream;
    const UpstreamEndpoints& endpoints;
    const PriceBook& prices;
    RequestControls& controls;  // rate limits, the hold (balance and budgets), settle or void
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
  // The surface a route serves; nullptr for GET /models.
  const ResellerSurface* SurfaceFor(RouteKind kind) const;
  // An error in the surface's shape (counted here unless the request went upstream: then its
  // usage record counts it). should_retry false adds x-should-retry: false.
  boost::asio::awaitable<void> Reply(Exchange& x, const ErrorSpec& spec, bool retry_after,
                                     bool should_retry);
  // A refusal by the controls (rate limit, budget, balance, billing unreachable).
  boost::asio::awaitable<void> Refuse(Exchange& x, const Refusal& refusal);
  boost::asio::awaitable<void> Models(ResponseWriter& writer, Exchange& x);
  // DESIGN.md's request path for one surface: parse, route by model, translate, hold, call,
  // relay, then Finish.
  boost::asio::awaitable<void> Serve(HttpRequest& req, Exchange& x);
  boost::asio::awaitable<void> CallProvider(const nlohmann::json& body,
                                            const std::string& client_model, UpstreamCall& call,
                                            Exchange& x);
  boost::asio::awaitable<void> RespondJson(std::unique_ptr<UpstreamExchange>& exchange,
                                           const std::string& client_model, int64_t created,
                                           Exchange& x);
  boost::asio::awaitable<void> RespondStream(std::unique_ptr<UpstreamExchange>& exchange,
                                             const nlohmann::json& body, const UpstreamCall& call,
                                             const std::string& client_model, int64_t created,
                                             Exchange& x);
  // POST /api/v1/messages/count_tokens: Claude's own count, free (no hold, no record).
  boost::asio::awaitable<void> CountTokens(HttpRequest& req, Exchange& x);
  // Settles or voids the hold (through the settle queue), corrects the token reservation, then
  // records the usage.
  boost::asio::awaitable<void> Finish(Exchange& x);

  Deps d_;
  std::set<Provider> offered_;
  ChatCompletionsSurface chat_;
  MessagesSurface messages_;
  ResponsesSurface responses_;
  EmbeddingsSurface embeddings_;
};

}  // namespace llmgw::gateway

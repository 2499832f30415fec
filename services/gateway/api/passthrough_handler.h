#pragma once
// Pass-through (monitor) mode: the customer's own provider key goes upstream untouched, the
// gateway authenticates the X-Monitor-Token, relays the response (streams event by event), reads
// the usage, prices it and emits one usage event.

#include <array>
#include <memory>
#include <string>

#include "libs/common/clock.h"
#include "services/gateway/api/authenticator.h"
#include "services/gateway/api/gateway_metrics.h"
#include "services/gateway/api/request_controls.h"
#include "services/gateway/api/route_handler.h"
#include "services/gateway/clients/price_book.h"
#include "services/gateway/clients/upstream_client.h"
#include "services/gateway/clients/usage_sink.h"
#include "services/gateway/domain/errors.h"
#include "services/gateway/domain/usage.h"

namespace llmgw::gateway {

// The provider base URLs, indexed by Provider, and Gemini's native API's at
// kGoogleNativeEndpoint. Only these hosts are contacted.
inline constexpr size_t kGoogleNativeEndpoint = 4;
using UpstreamEndpoints = std::array<UpstreamEndpoint, 5>;

class PassthroughHandler final : public RouteHandler {
 public:
  struct Deps {
    Authenticator& auth;
    UpstreamClient& upstream;
    const UpstreamEndpoints& endpoints;
    const PriceBook& prices;
    UsageSink& usage;
    // The rate limits and budgets of monitor tokens and organizations (nullptr: none applied).
    RequestControls* controls = nullptr;
    GatewayMetrics* metrics = nullptr;  // optional
    const Clock& clock = SystemClock::Get();
    bool debug_log = false;  // one line per request at debug level
  };
  explicit PassthroughHandler(Deps deps) : d_(deps) {}

  // RouteHandler
  boost::asio::awaitable<void> Handle(const Route& route, HttpRequest& req,
                                      ResponseWriter& writer) override;

 private:
  struct Call;
  static HttpRequest UpstreamRequest(const Route& route, const HttpRequest& req,
                                     const UpstreamEndpoint& endpoint, std::string body);
  boost::asio::awaitable<void> ReplyError(Call& c, const ErrorSpec& spec, bool retry_after,
                                          bool count);
  // The controls of a limited credential (rate limits, budget hold); false when refused (the
  // refusal has been sent).
  boost::asio::awaitable<bool> Admit(Call& c, const Principal& principal, const Route& route,
                                     const std::string& body);
  // 502 or 504 for a provider that could not be reached or whose body broke off.
  boost::asio::awaitable<void> ReplyUpstreamFailure(Call& c, const absl::Status& why,
                                                    bool incomplete);
  boost::asio::awaitable<Usage> RelayJson(Call& c, std::unique_ptr<UpstreamExchange>& exchange);
  boost::asio::awaitable<Usage> RelayStream(Call& c, std::unique_ptr<UpstreamExchange>& exchange);

  Deps d_;
};

}  // namespace llmgw::gateway

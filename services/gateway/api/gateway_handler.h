#pragma once
// The gateway's HttpHandler: routes each request (RouteRequest) to the RouteHandler registered
// for its kind, answers /healthz and /readyz and CORS preflights on the API paths, and shapes the
// server's own rejections.

#include <array>
#include <atomic>
#include <functional>

#include "services/gateway/api/gateway_metrics.h"
#include "services/gateway/api/route_handler.h"

namespace llmgw::gateway {

class GatewayHandler final : public HttpHandler {
 public:
  // `ready`: whether dependencies needed to serve are loaded (the price book).
  GatewayHandler(std::function<bool()> ready, GatewayMetrics* metrics, uint64_t body_limit);

  // Registers `handler` for every request routed to `kind` (not owned).
  void Register(RouteKind kind, RouteHandler* handler);

  // HttpHandler
  boost::asio::awaitable<void> Handle(HttpRequest& req, ResponseWriter& writer) override;
  HttpResponse Reject(std::string_view target, RejectReason reason) override;
  void OnDrain() override { draining_.store(true); }

 private:
  // Whether `target` is served by a registered handler for GET or POST (a preflight's target).
  bool IsApiPath(std::string_view target) const;

  std::function<bool()> ready_;
  GatewayMetrics* metrics_;
  uint64_t body_limit_;
  std::atomic<bool> draining_{false};
  std::array<RouteHandler*, static_cast<size_t>(RouteKind::kNotFound) + 1> handlers_{};
};

}  // namespace llmgw::gateway

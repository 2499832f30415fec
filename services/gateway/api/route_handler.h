#pragma once
// A handler for one kind of gateway route. GatewayHandler routes; PassthroughHandler serves
// /api/v1/{openai,anthropic,google,xai}/…; the reseller handler registers for kResellerChat and
// kResellerModels the same way.

#include <boost/asio/awaitable.hpp>

#include "services/gateway/api/http_server.h"
#include "services/gateway/domain/errors.h"
#include "services/gateway/domain/routing.h"

namespace llmgw::gateway {

class RouteHandler {
 public:
  virtual ~RouteHandler() = default;
  // `req.body()` may be moved from. Must answer through `writer` (or the server answers 500).
  virtual boost::asio::awaitable<void> Handle(const Route& route, HttpRequest& req,
                                              ResponseWriter& writer) = 0;
};

// "x-request-id" on the OpenAI surfaces, "request-id" on Anthropic's.
inline const char* RequestIdHeader(Surface s) {
  return s == Surface::kAnthropic ? "request-id" : "x-request-id";
}

// A JSON error response in the surface's shape, with the request id header set.
HttpResponse ErrorResponse(Surface surface, const ErrorSpec& error, const std::string& request_id);

}  // namespace llmgw::gateway

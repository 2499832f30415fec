#include "services/gateway/api/gateway_handler.h"

#include <boost/beast/http/field.hpp>
#include <string>
#include <utility>

#include "libs/common/crypto.h"

namespace llmgw::gateway {

namespace http = boost::beast::http;

HttpResponse ErrorResponse(Surface surface, const ErrorSpec& error, const std::string& request_id) {
  HttpResponse res(static_cast<http::status>(error.http_status), 11);
  res.set(http::field::content_type, "application/json");
  res.set(RequestIdHeader(surface), request_id);
  res.body() = ErrorBody(surface, error);
  return res;
}

namespace {

Surface SurfaceOfTarget(std::string_view target) {
  return target.substr(0, 18) == "/api/v1/anthropic/" || target == "/api/v1/anthropic"
             ? Surface::kAnthropic
             : Surface::kOpenAI;
}

HttpResponse JsonStatus(http::status status, std::string body) {
  HttpResponse res(status, 11);
  res.set(http::field::content_type, "application/json");
  res.set(http::field::cache_control, "no-store");
  res.body() = std::move(body);
  return res;
}

}  // namespace

GatewayHandler::GatewayHandler(std::function<bool()> ready, GatewayMetrics* metrics,
                               uint64_t body_limit)
    : ready_(std::move(ready)), metrics_(metrics), body_limit_(body_limit) {}

void GatewayHandler::Register(RouteKind kind, RouteHandler* handler) {
  handlers_[static_cast<size_t>(kind)] = handler;
}

boost::asio::awaitable<void> GatewayHandler::Handle(HttpRequest& req, ResponseWriter& writer) {
  const std::string_view target = req.target();
  Route route = RouteRequest(req.method_string(), target);
  switch (route.kind) {
    case RouteKind::kHealth: {
      HttpResponse res = JsonStatus(http::status::ok, R"({"status":"ok"})");
      co_await writer.Write(res);
      co_return;
    }
    case RouteKind::kReady: {
      const bool ready = !draining_.load() && (!ready_ || ready_());
      HttpResponse res =
          ready ? JsonStatus(http::status::ok, R"({"status":"ready"})")
                : JsonStatus(http::status::service_unavailable, R"({"status":"not_ready"})");
      co_await writer.Write(res);
      co_return;
    }
    default:
      break;
  }
  RouteHandler* handler = handlers_[static_cast<size_t>(route.kind)];
  if (route.kind == RouteKind::kNotFound || handler == nullptr) {
    HttpResponse res =
        ErrorResponse(SurfaceOfTarget(target), RouteNotFound(target.substr(0, target.find('?'))),
                      crypto::RandomUuid());
    if (metrics_ != nullptr) metrics_->CountRequest("", Mode::kPassthrough, 404);
    co_await writer.Write(res);
    co_return;
  }
  co_await handler->Handle(route, req, writer);
}

HttpResponse GatewayHandler::Reject(std::string_view target, RejectReason reason) {
  ErrorSpec spec;
  switch (reason) {
    case RejectReason::kBodyTooLarge:
      spec = BodyTooLarge(body_limit_);
      break;
    case RejectReason::kBadFraming:
      spec = BadRequest("conflicting or invalid Content-Length / Transfer-Encoding");
      break;
    case RejectReason::kHeaderTooLarge:
      spec = BadRequest("request header too large");
      spec.http_status = 431;
      break;
    case RejectReason::kBadRequest:
      spec = BadRequest("malformed HTTP request");
      break;
    case RejectReason::kInternal:
      spec = ErrorSpec{500, "server_error", "", "internal error", "api_error"};
      break;
  }
  return ErrorResponse(SurfaceOfTarget(target), spec, crypto::RandomUuid());
}

}  // namespace llmgw::gateway

#include "services/gateway/api/gateway_handler.h"

#include <array>
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

// Anthropic's shape for the Anthropic pass-through and the reseller's Messages API.
Surface SurfaceOfTarget(std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  return path.substr(0, 18) == "/api/v1/anthropic/" || path == "/api/v1/anthropic" ||
                 path == "/api/v1/messages" || path == "/api/v1/messages/count_tokens"
             ? Surface::kAnthropic
             : Surface::kOpenAI;
}

// The request headers a cross-origin page may send (lower case), plus every x-stainless-* (the
// OpenAI and Anthropic SDKs' telemetry headers).
constexpr std::array<std::string_view, 10> kCorsAllowedHeaders = {
    "authorization",  "content-type",        "x-monitor-token", "x-api-key", "anthropic-version",
    "anthropic-beta", "openai-organization", "openai-project",  "accept",    "x-stainless-"};

bool CorsHeaderAllowed(std::string_view name) {
  for (std::string_view allowed : kCorsAllowedHeaders) {
    if (allowed.back() == '-') {
      if (name.size() > allowed.size() && name.substr(0, allowed.size()) == allowed) return true;
    } else if (name == allowed) {
      return true;
    }
  }
  return false;
}

// The answer to a CORS preflight (the caller checked Origin and Access-Control-Request-Method):
// 204 allowing the requested headers when every one is in the allow-list, else 403. No
// authentication: browsers send no credentials on a preflight. The server's ResponseWriter adds
// Access-Control-Allow-Origin (the request has an Origin).
HttpResponse Preflight(const HttpRequest& req) {
  std::string allowed;  // the requested names, lower case, ", "-separated
  auto [first, last] = req.equal_range(http::field::access_control_request_headers);
  for (auto f = first; f != last; ++f) {
    std::string_view list = f->value();
    while (!list.empty()) {
      size_t comma = list.find(',');
      std::string_view item = list.substr(0, comma);
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
      while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
      while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
      if (item.empty()) continue;
      std::string name(item);
      for (char& c : name) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      }
      if (!CorsHeaderAllowed(name)) {
        HttpResponse res(http::status::forbidden, 11);
        res.set(http::field::content_type, "text/plain");
        res.body() = "CORS preflight: request header not allowed\n";
        return res;
      }
      if (!allowed.empty()) allowed.append(", ");
      allowed.append(name);
    }
  }
  HttpResponse res(http::status::no_content, 11);
  res.set(http::field::access_control_allow_origin, "*");
  res.set(http::field::access_control_allow_methods, "GET, POST, OPTIONS");
  if (!allowed.empty()) res.set(http::field::access_control_allow_headers, allowed);
  res.set(http::field::access_control_max_age, "600");
  return res;
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

bool GatewayHandler::IsApiPath(std::string_view target) const {
  for (const char* method : {"POST", "GET"}) {
    const RouteKind kind = RouteRequest(method, target).kind;
    if ((kind == RouteKind::kPassthrough || kind == RouteKind::kResellerChat ||
         kind == RouteKind::kResellerModels || kind == RouteKind::kResellerMessages ||
         kind == RouteKind::kResellerCountTokens || kind == RouteKind::kResellerResponses ||
         kind == RouteKind::kResellerEmbeddings) &&
        handlers_[static_cast<size_t>(kind)] != nullptr) {
      return true;
    }
  }
  return false;
}

boost::asio::awaitable<void> GatewayHandler::Handle(HttpRequest& req, ResponseWriter& writer) {
  const std::string_view target = req.target();
  // A CORS preflight on an API path is answered here; an OPTIONS without
  // Access-Control-Request-Method is an ordinary request (pass-through forwards it).
  if (req.method() == http::verb::options &&
      req.find(http::field::access_control_request_method) != req.end() &&
      req.find(http::field::origin) != req.end() && IsApiPath(target)) {
    HttpResponse res = Preflight(req);
    co_await writer.Write(res);
    co_return;
  }
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
    case RejectReason::kFoldedHeader:
      spec = BadRequest("a header is folded over several lines (obs-fold); send each on one line");
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

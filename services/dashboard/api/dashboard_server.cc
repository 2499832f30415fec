#include "services/dashboard/api/dashboard_server.h"

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/field.hpp>
#include <optional>
#include <utility>

#include "services/dashboard/domain/json_shapes.h"
#include "services/dashboard/domain/request_guard.h"

namespace llmgw::dashboard {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;

constexpr char kNoSniff[] = "nosniff";

httpd::HttpResponse ErrorResponse(int status, std::string_view message, std::string_view type) {
  httpd::HttpResponse res(static_cast<http::status>(status), 11);
  res.set(http::field::content_type, "application/json");
  res.set(http::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", kNoSniff);
  res.body() = ErrorJson(message, type).dump();
  return res;
}

void FillRequest(httpd::HttpRequest& wire, const httpd::ResponseWriter& writer, Request& req) {
  req.method = std::string(wire.method_string());
  req.target = std::string(wire.target());
  ParseTarget(req.target, req.path, req.params);
  for (const auto& field : wire) {
    req.headers.emplace(std::string(field.name_string()), std::string(field.value()));
  }
  req.body = std::move(wire.body());
  req.remote_addr = writer.remote_address();
}

httpd::HttpResponse ToWire(Response& res, unsigned version) {
  httpd::HttpResponse out(static_cast<http::status>(res.status), version);
  for (const auto& [name, value] : res.headers) out.insert(name, value);
  if (!res.has_header("X-Content-Type-Options")) out.set("X-Content-Type-Options", kNoSniff);
  out.body() = std::move(res.body);
  return out;
}

}  // namespace

// Translates between the wire (libs/httpd) and the Router's Request/Response.
class DashboardServer::WireHandler : public httpd::HttpHandler {
 public:
  WireHandler(const Router& router, httpd::BlockingPool& pool) : router_(router), pool_(pool) {}

  asio::awaitable<void> Handle(httpd::HttpRequest& wire, httpd::ResponseWriter& writer) override {
    // Shared with the worker: the coroutine may be gone (shutdown) before the worker is done.
    struct Exchange {
      Request req;
      Response res;
    };
    auto exchange = std::make_shared<Exchange>();
    FillRequest(wire, writer, exchange->req);
    const Router::Route* route =
        router_.Find(exchange->req.method, exchange->req.path, exchange->req.matches);
    if (route != nullptr && route->blocking) {
      const Router& router = router_;
      auto op = pool_.Run([&router, route, exchange] {
        router.Dispatch(route, exchange->req, exchange->res);
      });
      const bool ran = co_await std::move(op);
      if (!ran) {
        httpd::HttpResponse busy =
            ErrorResponse(503, "the dashboard is busy; retry shortly", "service_unavailable");
        busy.set(http::field::retry_after, "1");
        co_await writer.Write(busy);
        co_return;
      }
    } else {
      router_.Dispatch(route, exchange->req, exchange->res);
    }
    httpd::HttpResponse out = ToWire(exchange->res, wire.version());
    co_await writer.Write(out);
  }

  httpd::HttpResponse Reject(std::string_view, httpd::RejectReason reason) override {
    switch (reason) {
      case httpd::RejectReason::kHeaderTooLarge:
        return ErrorResponse(431, "request header too large", "invalid_request_error");
      case httpd::RejectReason::kBodyTooLarge:
        return ErrorResponse(413, "request body too large (limit 1 MiB)", "invalid_request_error");
      case httpd::RejectReason::kInternal:
        return ErrorResponse(500, "internal error", "internal_error");
      default:
        return ErrorResponse(400, "invalid request", "invalid_request_error");
    }
  }

  // A write to /api/ without a session cookie: 401 before its body is read.
  std::optional<httpd::HttpResponse> RefuseAtHeader(const httpd::HttpRequest& header) override {
    const std::string method(header.method_string());
    if (!IsStateChangingMethod(method)) return std::nullopt;
    std::string path;
    ParamMap params;
    ParseTarget(std::string_view(header.target().data(), header.target().size()), path, params);
    if (path.rfind("/api/", 0) != 0) return std::nullopt;
    std::vector<std::string> matches;
    const Router::Route* route = router_.Find(method, path, matches);
    if (route != nullptr && !route->needs_session) return std::nullopt;
    const auto cookie = header[http::field::cookie];
    if (!SessionFromCookieHeader(std::string_view(cookie.data(), cookie.size())).empty()) {
      return std::nullopt;
    }
    return ErrorResponse(401, "not logged in", "authentication_error");
  }

 private:
  const Router& router_;
  httpd::BlockingPool& pool_;
};

absl::StatusOr<std::unique_ptr<DashboardServer>> DashboardServer::Start(
    DashboardApi& api, DashboardServerOptions options) {
  std::unique_ptr<DashboardServer> server(new DashboardServer());
  api.RegisterRoutes(server->router_);
  server->pool_ =
      std::make_unique<httpd::BlockingPool>(options.workers, options.max_queued, "dash-work");
  server->handler_ = std::make_unique<WireHandler>(server->router_, *server->pool_);
  httpd::HttpServerOptions http;
  http.address = options.address;
  http.threads = options.io_threads;
  http.body_limit = options.body_limit;
  http.idle_timeout = options.idle_timeout;
  http.header_timeout = options.header_timeout;
  http.request_read_timeout = options.body_timeout;
  http.write_timeout = options.write_timeout;
  http.thread_name = "dash-io";
  absl::StatusOr<std::unique_ptr<httpd::HttpServer>> started =
      httpd::HttpServer::Start(http, *server->handler_);
  if (!started.ok()) return started.status();
  server->server_ = *std::move(started);
  return server;
}

void DashboardServer::Stop(std::chrono::milliseconds grace) {
  if (server_ != nullptr) server_->Stop(grace);
}

DashboardServer::~DashboardServer() {
  Stop(std::chrono::milliseconds(0));
  pool_.reset();  // work still queued resumes into stopped (not yet destroyed) event loops
  server_.reset();
}

}  // namespace llmgw::dashboard

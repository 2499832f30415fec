#pragma once
// The gRPC server every service runs: its services plus grpc.health.v1 and reflection, on an
// address from config (port 0 in tests), with graceful shutdown.
//
// Handlers use the callback API and ServeUnary(): the internal token is checked, the work runs on
// the service's worker pool (database calls block; gRPC's own threads must not), and the result
// is translated from absl::Status.

#include <grpcpp/grpcpp.h>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/grpc/internal_token.h"
#include "libs/grpc/status.h"
#include "libs/metrics/metrics.h"

namespace llmgw::grpcutil {

class GrpcServer {
 public:
  // Builds and starts the server; health reports SERVING for the whole server (service "").
  // Client keepalive pings are accepted `min_client_ping` apart, with or without calls.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(
      const std::string& address, std::vector<grpc::Service*> services,
      std::chrono::milliseconds min_client_ping = kMinClientPing);
  ~GrpcServer();

  int port() const { return port_; }
  // Health NOT_SERVING, then stops accepting calls and waits up to `grace` for in-flight ones.
  void Shutdown(std::chrono::milliseconds grace);
  grpc::Server& server() { return *server_; }

 private:
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool shut_down_ = false;
};

// What every handler of a service shares.
struct HandlerEnv {
  std::string internal_token;
  boost::asio::thread_pool* pool = nullptr;
  metrics::GrpcServerMetrics* metrics = nullptr;  // optional
};

// Runs `fn() -> absl::Status` on env.pool after checking the internal token, then finishes the
// call with its status. `method` labels the metrics.
template <typename F>
grpc::ServerUnaryReactor* ServeUnary(grpc::CallbackServerContext* ctx, const HandlerEnv& env,
                                     const char* method, F&& fn) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  grpc::Status auth = CheckInternalToken(*ctx, env.internal_token);
  if (!auth.ok()) {
    if (env.metrics) env.metrics->Observe(method, auth.error_code(), 0);
    reactor->Finish(auth);
    return reactor;
  }
  auto start = std::chrono::steady_clock::now();
  boost::asio::post(*env.pool, [reactor, fn = std::forward<F>(fn), metrics = env.metrics, method,
                                start]() mutable {
    absl::Status s;
    try {
      s = fn();
    } catch (const std::exception& e) {
      s = absl::InternalError("internal error");
    }
    if (metrics) {
      metrics->Observe(
          method, static_cast<int>(s.code()),
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    reactor->Finish(ToGrpc(s));
  });
  return reactor;
}

// For work that completes later on another thread (e.g. a batch commit): after the token check,
// `fn(finish)` runs on gRPC's thread, must neither block nor throw, and arranges for
// `finish(absl::Status)` to be called exactly once, from any thread; that finishes the call.
template <typename F>
grpc::ServerUnaryReactor* ServeUnaryDeferred(grpc::CallbackServerContext* ctx,
                                             const HandlerEnv& env, const char* method, F&& fn) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  grpc::Status auth = CheckInternalToken(*ctx, env.internal_token);
  if (!auth.ok()) {
    if (env.metrics) env.metrics->Observe(method, auth.error_code(), 0);
    reactor->Finish(auth);
    return reactor;
  }
  auto start = std::chrono::steady_clock::now();
  std::function<void(const absl::Status&)> finish = [reactor, metrics = env.metrics, method,
                                                     start](const absl::Status& s) {
    if (metrics) {
      metrics->Observe(
          method, static_cast<int>(s.code()),
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    reactor->Finish(ToGrpc(s));
  };
  fn(std::move(finish));
  return reactor;
}

}  // namespace llmgw::grpcutil

#pragma once
// The dashboard's HTTP server: the shared event-driven server of libs/httpd (the gateway's), with
// header and idle timeouts, so idle or trickling connections cost a descriptor and a coroutine,
// never a thread. Routes that block (they call accounts, billing and metering synchronously) run
// on a bounded worker pool while the I/O stays on the event loop; /healthz and the web assets
// answer on the I/O thread.
//
// Before any handler: a write (POST, PUT, PATCH, DELETE) to /api/ without a session cookie is
// answered 401 at its header, before its body is read and before the CSRF and content-type
// checks (the public routes excepted: register, login, accept-invite). Every response carries
// `X-Content-Type-Options: nosniff`.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/httpd/blocking_pool.h"
#include "libs/httpd/server.h"
#include "services/dashboard/api/dashboard_api.h"
#include "services/dashboard/api/router.h"

namespace llmgw::dashboard {

struct DashboardServerOptions {
  std::string address = "0.0.0.0:3000";  // LLMGW_DASHBOARD_ADDR; port 0 picks a free one
  int io_threads = 1;                     // the event loops
  size_t workers = 16;                    // LLMGW_DASHBOARD_THREADS: blocking handlers at once
  size_t max_queued = 1024;               // more waiting requests are answered 503
  // LLMGW_DASHBOARD_IDLE_TIMEOUT_MS: a keep-alive connection with no request in flight is closed.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(30);
  // LLMGW_DASHBOARD_HEADER_TIMEOUT_MS: from a request's first byte to the end of its header.
  std::chrono::milliseconds header_timeout = std::chrono::seconds(10);
  std::chrono::milliseconds body_timeout = std::chrono::seconds(10);  // the header's end to the body's
  std::chrono::milliseconds write_timeout = std::chrono::seconds(10);
  uint64_t body_limit = 1 << 20;
};

class DashboardServer {
 public:
  // Registers `api`'s routes and starts listening. `api` must outlive the server.
  static absl::StatusOr<std::unique_ptr<DashboardServer>> Start(DashboardApi& api,
                                                                DashboardServerOptions options);
  ~DashboardServer();

  int port() const { return server_->port(); }
  size_t connections() const { return server_->connections(); }
  // Stops accepting, lets requests in flight finish for up to `grace`, then closes the rest.
  void Stop(std::chrono::milliseconds grace);

  class WireHandler;

 private:
  DashboardServer() = default;

  Router router_;
  std::unique_ptr<httpd::BlockingPool> pool_;  // drained before server_ goes
  std::unique_ptr<WireHandler> handler_;
  std::unique_ptr<httpd::HttpServer> server_;
};

}  // namespace llmgw::dashboard

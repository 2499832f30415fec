// llmgw-dashboard: the management REST API and web UI on LLMGW_DASHBOARD_ADDR, a gRPC client of
// accounts, billing and metering. Wiring only.

#include <httplib.h>
#include <prometheus/registry.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "libs/common/clock.h"
#include "libs/common/config.h"
#include "libs/common/log.h"
#include "libs/common/signals.h"
#include "libs/grpc/internal_token.h"
#include "libs/health/health_check.h"
#include "libs/metrics/metrics.h"
#include "services/dashboard/api/dashboard_api.h"
#include "services/dashboard/api/http_metrics.h"
#include "services/dashboard/clients/grpc_accounts_client.h"
#include "services/dashboard/clients/grpc_alerts_client.h"
#include "services/dashboard/clients/grpc_billing_client.h"
#include "services/dashboard/clients/grpc_metering_client.h"
#include "services/dashboard/clients/grpc_provider_sync_client.h"

namespace {
constexpr char kService[] = "dashboard";
constexpr char kAddrEnv[] = "LLMGW_DASHBOARD_ADDR";
constexpr char kDefaultAddr[] = "0.0.0.0:3000";

int Serve() {
  using namespace llmgw;
  BlockShutdownSignals();
  log::Init(kService);

  std::string http_addr =
      config::ValueOrExit(config::Address(kAddrEnv, kDefaultAddr), kService);
  std::string metrics_addr =
      config::ValueOrExit(config::Address("LLMGW_METRICS_ADDR", ":9102"), kService);
  std::string accounts_addr =
      config::ValueOrExit(config::Address("LLMGW_ACCOUNTS_ADDR", "127.0.0.1:50051"), kService);
  std::string metering_addr =
      config::ValueOrExit(config::Address("LLMGW_METERING_ADDR", "127.0.0.1:50052"), kService);
  std::string billing_addr =
      config::ValueOrExit(config::Address("LLMGW_BILLING_ADDR", "127.0.0.1:50053"), kService);
  std::string internal_token = config::ValueOrExit(config::InternalToken(), kService);
  dashboard::DashboardOptions options;
  options.self_topup = config::ValueOrExit(config::Bool("LLMGW_SELF_TOPUP", false), kService);
  options.cookie_secure = config::ValueOrExit(config::Bool("LLMGW_COOKIE_SECURE", false), kService);
  if (!config::String("LLMGW_PUBLIC_GATEWAY_URL").empty()) {
    options.public_gateway_url =
        config::ValueOrExit(config::Url("LLMGW_PUBLIC_GATEWAY_URL", ""), kService);
  }
  if (!config::String("LLMGW_PUBLIC_DASHBOARD_URL").empty()) {
    options.public_dashboard_url =
        config::ValueOrExit(config::Url("LLMGW_PUBLIC_DASHBOARD_URL", ""), kService);
  }
  options.trust_forwarded_for =
      config::ValueOrExit(config::Bool("LLMGW_TRUST_FORWARDED_FOR", false), kService);
  auto threads = static_cast<size_t>(
      config::ValueOrExit(config::Int("LLMGW_DASHBOARD_THREADS", 32, 1, 1024), kService));
  std::chrono::milliseconds rpc_timeout(
      config::ValueOrExit(config::Int("LLMGW_RPC_TIMEOUT_MS", 5000, 100, 120'000), kService));

  auto registry = std::make_shared<prometheus::Registry>();
  auto metrics_server =
      config::ValueOrExit(metrics::MetricsServer::Start(metrics_addr, registry), kService);
  dashboard::HttpMetrics http_metrics(*registry);

  dashboard::GrpcAccountsClient accounts(grpcutil::MakeChannel(accounts_addr), internal_token,
                                         rpc_timeout);
  dashboard::GrpcBillingClient billing(grpcutil::MakeChannel(billing_addr), internal_token,
                                       rpc_timeout);
  auto metering_channel = grpcutil::MakeChannel(metering_addr);
  dashboard::GrpcMeteringClient metering(metering_channel, internal_token, rpc_timeout);
  dashboard::GrpcProviderSyncClient provider_sync(metering_channel, internal_token, rpc_timeout);
  dashboard::GrpcAlertsClient alerts(metering_channel, internal_token, rpc_timeout);
  dashboard::DashboardApi api(accounts, billing, metering, SystemClock::Get(), options,
                              &http_metrics, &provider_sync, &alerts);

  httplib::Server server;
  dashboard::ConfigureHttpServer(server, threads);
  api.RegisterRoutes(server);
  size_t colon = http_addr.rfind(':');
  std::string host = http_addr.substr(0, colon);
  int port = std::stoi(http_addr.substr(colon + 1));
  if (port == 0) {
    port = server.bind_to_any_port(host);
  } else if (!server.bind_to_port(host, port)) {
    port = -1;
  }
  if (port <= 0) {
    log::Error("cannot listen", {{"addr", http_addr}});
    return 1;
  }
  std::thread http_thread([&server] { server.listen_after_bind(); });

  log::Info("listening", {{"http_port", port},
                          {"metrics_port", metrics_server->port()},
                          {"accounts", accounts_addr},
                          {"billing", billing_addr},
                          {"metering", metering_addr},
                          {"self_topup", options.self_topup}});
  int sig = WaitForShutdownSignal();
  log::Info("shutting down", {{"signal", sig}});
  // stop() closes the listener and lets the workers finish the requests in flight.
  server.stop();
  http_thread.join();
  log::Info("stopped");
  return 0;
}

}  // namespace

// `llmgw-dashboard --health-check`: exit 0 when the dashboard at LLMGW_DASHBOARD_ADDR is ready.
int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 1 && args[0] == "--health-check") {
    return llmgw::health::RunHttpHealthCheck(kService, kAddrEnv, kDefaultAddr);
  }
  if (!args.empty()) {
    std::cerr << "usage: llmgw-dashboard [--health-check]\n";
    return 2;
  }
  return Serve();
}

// llmgw-dashboard: the management REST API and web UI on LLMGW_DASHBOARD_ADDR, a gRPC client of
// accounts, billing and metering. Wiring only.

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
#include "libs/grpc/runtime.h"
#include "libs/health/health_check.h"
#include "libs/metrics/metrics.h"
#include "services/dashboard/api/dashboard_api.h"
#include "services/dashboard/api/dashboard_server.h"
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
  grpcutil::TuneProcessForServing();
  const long open_files = RaiseOpenFileLimit();  // every held connection is a descriptor
  log::Init(kService);

  std::string http_addr = config::ValueOrExit(config::Address(kAddrEnv, kDefaultAddr), kService);
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
  dashboard::DashboardServerOptions server_options;
  server_options.address = http_addr;
  server_options.workers = static_cast<size_t>(
      config::ValueOrExit(config::Int("LLMGW_DASHBOARD_THREADS", 16, 1, 1024), kService));
  server_options.idle_timeout = std::chrono::milliseconds(config::ValueOrExit(
      config::Int("LLMGW_DASHBOARD_IDLE_TIMEOUT_MS", 30'000, 100, 3'600'000), kService));
  server_options.header_timeout = std::chrono::milliseconds(config::ValueOrExit(
      config::Int("LLMGW_DASHBOARD_HEADER_TIMEOUT_MS", 10'000, 100, 600'000), kService));
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

  auto server = dashboard::DashboardServer::Start(api, server_options);
  if (!server.ok()) {
    log::Error("cannot listen", {{"addr", http_addr}, {"error", server.status().ToString()}});
    return 1;
  }
  const int port = (*server)->port();

  log::Info("listening", {{"http_port", port},
                          {"metrics_port", metrics_server->port()},
                          {"accounts", accounts_addr},
                          {"billing", billing_addr},
                          {"metering", metering_addr},
                          {"self_topup", options.self_topup},
                          {"open_files_limit", open_files}});
  int sig = WaitForShutdownSignal();
  log::Info("shutting down", {{"signal", sig}});
  // Stops accepting, lets the requests in flight finish (up to 10 s), closes the rest.
  (*server)->Stop(std::chrono::seconds(10));
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

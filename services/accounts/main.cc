// llmgw-accounts: organizations, logins, sessions, monitor tokens and API keys over gRPC.
// Wiring only: config -> database -> store -> domain -> gRPC and metrics servers.

#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "libs/common/clock.h"
#include "libs/common/config.h"
#include "libs/common/log.h"
#include "libs/common/signals.h"
#include "libs/grpc/runtime.h"
#include "libs/grpc/server.h"
#include "libs/health/health_check.h"
#include "libs/metrics/metrics.h"
#include "libs/pg/migrate.h"
#include "libs/pg/pool.h"
#include "services/accounts/api/accounts_service.h"
#include "services/accounts/api/login_metrics.h"
#include "services/accounts/domain/account_service.h"
#include "services/accounts/storage/migrations.h"
#include "services/accounts/storage/pg_account_store.h"

namespace {

constexpr char kService[] = "accounts";
constexpr char kAddrEnv[] = "LLMGW_ACCOUNTS_ADDR";
constexpr char kDefaultAddr[] = "127.0.0.1:50051";

int Fail(const char* what, const absl::Status& s) {
  llmgw::log::Error(what, {{"error", std::string(s.message())}});
  return 1;
}

int Serve() {
  using namespace llmgw;
  BlockShutdownSignals();
  grpcutil::TuneProcessForServing();
  log::Init(kService);

  const std::string database_url = config::ValueOrExit(config::DatabaseUrl(), kService);
  const std::string internal_token = config::ValueOrExit(config::InternalToken(), kService);
  const std::string grpc_addr =
      config::ValueOrExit(config::Address(kAddrEnv, kDefaultAddr), kService);
  const std::string metrics_addr =
      config::ValueOrExit(config::Address("LLMGW_METRICS_ADDR", ":9103"), kService);
  accounts::AccountServiceOptions options =
      config::ValueOrExit(accounts::AccountServiceOptionsFromEnv(), kService);
  const int pool_size =
      static_cast<int>(config::ValueOrExit(config::Int("LLMGW_DB_POOL_SIZE", 8, 1, 256), kService));
  const int workers_count = static_cast<int>(
      config::ValueOrExit(config::Int("LLMGW_WORKER_THREADS", 8, 1, 256), kService));
  const auto flush_interval = std::chrono::milliseconds(
      config::ValueOrExit(config::Int("LLMGW_LAST_USED_FLUSH_MS", 5000, 10, 3'600'000), kService));

  if (absl::Status s = pg::WaitForDatabase(database_url, std::chrono::seconds(30)); !s.ok()) {
    return Fail("database unreachable", s);
  }
  pg::PoolOptions pool_options;
  pool_options.url = database_url;
  pool_options.size = pool_size;
  pool_options.on_connect = accounts::PgAccountStore::PrepareStatements;
  auto pool = pg::PgPool::Create(std::move(pool_options));
  if (!pool.ok()) return Fail("database pool", pool.status());
  if (absl::Status s = pg::ApplyMigrations(**pool, kService, accounts::accountsMigrations());
      !s.ok()) {
    return Fail("migrations failed", s);
  }

  auto registry = std::make_shared<prometheus::Registry>();
  accounts::LoginThrottleMetrics throttle_metrics(*registry);
  options.throttle_listener = &throttle_metrics;
  accounts::PgAccountStore store(**pool);
  accounts::AccountService account_service(store, SystemClock::Get(), options);
  account_service.last_used().Start(flush_interval);

  metrics::GrpcServerMetrics grpc_metrics(*registry, kService);
  boost::asio::thread_pool workers(workers_count);
  accounts::AccountsGrpcService grpc_service(
      account_service, grpcutil::HandlerEnv{internal_token, &workers, &grpc_metrics});

  auto server = grpcutil::GrpcServer::Start(grpc_addr, {&grpc_service});
  if (!server.ok()) return Fail("gRPC server", server.status());
  auto metrics_server = metrics::MetricsServer::Start(metrics_addr, registry);
  if (!metrics_server.ok()) return Fail("metrics server", metrics_server.status());
  log::Info("listening", {{"grpc_addr", grpc_addr},
                          {"grpc_port", (*server)->port()},
                          {"metrics_port", (*metrics_server)->port()},
                          {"password_iterations", options.password_iterations}});

  int sig = WaitForShutdownSignal();
  log::Info("shutting down", {{"signal", sig}});
  (*server)->Shutdown(std::chrono::seconds(10));
  workers.join();
  if (absl::Status s = account_service.last_used().Stop(); !s.ok()) {
    log::Warn("final last_used_at flush failed", {{"error", std::string(s.message())}});
  }
  log::Info("stopped");
  return 0;
}

}  // namespace

// `llmgw-accounts --health-check`: exit 0 when the instance at LLMGW_ACCOUNTS_ADDR is serving.
int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 1 && args[0] == "--health-check") {
    return llmgw::health::RunGrpcHealthCheck(kService, kAddrEnv, kDefaultAddr);
  }
  if (!args.empty()) {
    std::cerr << "usage: llmgw-accounts [--health-check]\n";
    return 2;
  }
  return Serve();
}

// llmgw-metering: idempotent usage-event ingest, hourly rollups and stats over gRPC. Wiring only.

#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "libs/common/config.h"
#include "libs/common/log.h"
#include "libs/common/signals.h"
#include "libs/grpc/server.h"
#include "libs/metrics/metrics.h"
#include "libs/pg/migrate.h"
#include "libs/pg/pool.h"
#include "services/metering/api/metering_metrics.h"
#include "services/metering/api/metering_service.h"
#include "services/metering/storage/pg_usage_store.h"

namespace {

constexpr char kService[] = "metering";
constexpr int kWorkers = 8;

int Serve() {
  using namespace llmgw;
  const std::string db_url = config::ValueOrExit(config::DatabaseUrl(), kService);
  const std::string token = config::ValueOrExit(config::InternalToken(), kService);
  const std::string addr =
      config::ValueOrExit(config::Address("LLMGW_METERING_ADDR", "127.0.0.1:50052"), kService);
  const std::string metrics_addr =
      config::ValueOrExit(config::Address("LLMGW_METRICS_ADDR", ":9104"), kService);

  config::ExitOnError(pg::WaitForDatabase(db_url, std::chrono::seconds(30)), kService);
  auto pool = config::ValueOrExit(pg::PgPool::Create({.url = db_url, .size = kWorkers}), kService);
  config::ExitOnError(pg::ApplyMigrations(*pool, "metering", metering::meteringMigrations()),
                      kService);

  auto registry = std::make_shared<prometheus::Registry>();
  metrics::GrpcServerMetrics grpc_metrics(*registry, kService);
  metering::MeteringMetrics metering_metrics(*registry);
  auto metrics_server =
      config::ValueOrExit(metrics::MetricsServer::Start(metrics_addr, registry), kService);

  metering::PgUsageStore store(*pool);
  boost::asio::thread_pool workers(kWorkers);
  metering::MeteringService service(store, {token, &workers, &grpc_metrics}, &metering_metrics);
  auto server = config::ValueOrExit(grpcutil::GrpcServer::Start(addr, {&service}), kService);

  log::Info("listening", {{"grpc_port", server->port()}, {"metrics_port", metrics_server->port()}});
  int sig = WaitForShutdownSignal();
  log::Info("shutting down", {{"signal", sig}});
  server->Shutdown(std::chrono::seconds(10));  // NOT_SERVING, then drain in-flight calls
  workers.join();
  log::Info("stopped");
  return 0;
}

}  // namespace

int main() {
  llmgw::BlockShutdownSignals();
  llmgw::log::Init(kService);
  return Serve();
}

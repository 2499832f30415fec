// llmgw-billing: the price book, balances, holds and the ledger over gRPC, plus the operator's
// `topup` command. Wiring only.

#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
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
#include "services/billing/api/billing_metrics.h"
#include "services/billing/api/billing_service.h"
#include "services/billing/api/catalog_loader.h"
#include "services/billing/api/prices_command.h"
#include "services/billing/api/topup_command.h"
#include "services/billing/storage/group_committer.h"
#include "services/billing/storage/hold_sweeper.h"
#include "services/billing/storage/pg_billing_store.h"

namespace {

constexpr char kService[] = "billing";
constexpr char kAddrEnv[] = "LLMGW_BILLING_ADDR";
constexpr char kDefaultAddr[] = "127.0.0.1:50053";
constexpr int kWorkers = 16;
// Group-commit batches in flight at once (each holds a pool connection while it runs).
constexpr int kCommitters = 2;
constexpr std::chrono::milliseconds kSweepInterval{2000};

// The shipped catalog, or LLMGW_PRICE_CATALOG_FILE's, into the price book (once per content).
void LoadCatalogOrExit(llmgw::billing::BillingStore& store) {
  using namespace llmgw;
  std::string text(billing::ShippedPriceCatalog());
  std::string from = "shipped";
  if (const char* path = std::getenv("LLMGW_PRICE_CATALOG_FILE"); path != nullptr && *path) {
    std::ifstream in(path);
    if (!in) {
      log::Error("cannot read LLMGW_PRICE_CATALOG_FILE", {{"path", std::string(path)}});
      std::exit(2);
    }
    text.assign(std::istreambuf_iterator<char>(in), {});
    from = path;
  }
  auto loaded = billing::LoadPriceCatalog(store, text, SystemClock::Get().NowUnixMs());
  if (!loaded.ok()) {
    log::Error("price catalog not loaded",
               {{"from", from}, {"error", std::string(loaded.status().message())}});
    std::exit(loaded.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1);
  }
  log::Info("price catalog", {{"from", from},
                              {"version", loaded->version},
                              {"sha256", loaded->sha256},
                              {"models", loaded->models},
                              {"rows_added", loaded->added ? loaded->rows : 0}});
}

int Serve() {
  using namespace llmgw;
  const std::string db_url = config::ValueOrExit(config::DatabaseUrl(), kService);
  const std::string token = config::ValueOrExit(config::InternalToken(), kService);
  const std::string addr = config::ValueOrExit(config::Address(kAddrEnv, kDefaultAddr), kService);
  const std::string metrics_addr =
      config::ValueOrExit(config::Address("LLMGW_METRICS_ADDR", ":9105"), kService);
  billing::BillingServiceOptions options;
  options.margin_percent =
      config::ValueOrExit(config::Int("LLMGW_MARGIN_PERCENT", billing::kDefaultMarginPercent,
                                      billing::kMinMarginPercent, billing::kMaxMarginPercent),
                          kService);
  options.hold_ttl = std::chrono::seconds(config::ValueOrExit(
      config::Int("LLMGW_HOLD_TTL_SECONDS", billing::kDefaultHoldTtlSeconds, 1, 86400), kService));

  const bool group_commit =
      config::ValueOrExit(config::Bool("LLMGW_BILLING_GROUP_COMMIT", true), kService);

  config::ExitOnError(pg::WaitForDatabase(db_url, std::chrono::seconds(30)), kService);
  auto pool = config::ValueOrExit(pg::PgPool::Create({.url = db_url, .size = kWorkers}), kService);
  config::ExitOnError(pg::ApplyMigrations(*pool, "billing", billing::billingMigrations()),
                      kService);

  auto registry = std::make_shared<prometheus::Registry>();
  metrics::GrpcServerMetrics grpc_metrics(*registry, kService);
  billing::BillingMetrics billing_metrics(*registry);
  auto metrics_server =
      config::ValueOrExit(metrics::MetricsServer::Start(metrics_addr, registry), kService);

  billing::PgBillingStore store(*pool);
  LoadCatalogOrExit(store);
  billing::GroupCommitter committer(
      store, {.committers = kCommitters, .on_batch = [&](size_t ops, bool fell_back) {
                (fell_back ? billing_metrics.batches_fell_back : billing_metrics.batches_committed)
                    .Increment();
                billing_metrics.batched_calls.Increment(static_cast<double>(ops));
              }});
  if (group_commit) {
    committer.Start();
    options.group_commit = &committer;
  }
  boost::asio::thread_pool workers(kWorkers);
  billing::BillingService service(store, {token, &workers, &grpc_metrics}, options,
                                  SystemClock::Get(), &billing_metrics);
  auto server = config::ValueOrExit(grpcutil::GrpcServer::Start(addr, {&service}), kService);

  billing::HoldSweeper sweeper(store, SystemClock::Get(),
                               {.interval = kSweepInterval, .batch = 500, .on_voided = [&](int n) {
                                  billing_metrics.holds_expired.Increment(n);
                                }});
  sweeper.Start();

  log::Info("listening", {{"grpc_port", server->port()},
                          {"metrics_port", metrics_server->port()},
                          {"margin_percent", options.margin_percent},
                          {"hold_ttl_seconds", options.hold_ttl.count()},
                          {"group_commit", group_commit}});
  int sig = WaitForShutdownSignal();
  log::Info("shutting down", {{"signal", sig}});
  sweeper.Stop();
  server->Shutdown(std::chrono::seconds(10));
  committer.Stop();  // after the server: calls in flight are answered first
  workers.join();
  log::Info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  llmgw::BlockShutdownSignals();
  llmgw::grpcutil::TuneProcessForServing();
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "help" || args[0] == "--help" || args[0] == "-h")) {
    std::cout << llmgw::billing::Usage();
    return 0;
  }
  if (args.size() == 1 && args[0] == "--health-check") {
    return llmgw::health::RunGrpcHealthCheck(kService, kAddrEnv, kDefaultAddr);
  }
  if (!args.empty() && args[0] == "prices") {
    llmgw::log::Init(kService);
    return llmgw::billing::RunPricesCommand({args.begin() + 1, args.end()}, std::cout, std::cerr);
  }
  if (!args.empty() && args[0] == "topup") {
    llmgw::log::Init(kService);
    return llmgw::billing::RunTopupCommand({args.begin() + 1, args.end()}, std::cout, std::cerr);
  }
  if (!args.empty() && !(args.size() == 1 && args[0] == "serve")) {
    std::cerr << "llmgw-billing: unknown command \"" << args[0] << "\"\n"
              << llmgw::billing::Usage();
    return 2;
  }
  llmgw::log::Init(kService);
  return Serve();
}

// llmgw-metering: idempotent usage-event ingest, hourly rollups and stats over gRPC, and the
// provider sync (admin usage/cost reports pulled on a schedule, CSV import, reconciliation).
// Wiring only.

#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libs/common/clock.h"
#include "libs/common/config.h"
#include "libs/common/log.h"
#include "libs/common/secret_box.h"
#include "libs/common/signals.h"
#include "libs/grpc/internal_token.h"
#include "libs/grpc/runtime.h"
#include "libs/grpc/server.h"
#include "libs/health/health_check.h"
#include "libs/metrics/metrics.h"
#include "libs/pg/migrate.h"
#include "libs/pg/pool.h"
#include "services/metering/api/alert_service.h"
#include "services/metering/api/metering_metrics.h"
#include "services/metering/api/metering_service.h"
#include "services/metering/api/provider_sync_metrics.h"
#include "services/metering/api/provider_sync_service.h"
#include "services/metering/api/reencrypt_command.h"
#include "services/metering/clients/curl_alert_sender.h"
#include "services/metering/clients/curl_report_http.h"
#include "services/metering/clients/grpc_billing_balance.h"
#include "services/metering/domain/provider_syncer.h"
#include "services/metering/domain/sync_scheduler.h"
#include "services/metering/storage/pg_alert_store.h"
#include "services/metering/storage/pg_provider_store.h"
#include "services/metering/storage/pg_usage_store.h"

namespace {

constexpr char kService[] = "metering";
constexpr char kAddrEnv[] = "LLMGW_METERING_ADDR";
constexpr char kDefaultAddr[] = "127.0.0.1:50052";
constexpr int kWorkers = 8;

int Serve() {
  using namespace llmgw;
  const std::string db_url = config::ValueOrExit(config::DatabaseUrl(), kService);
  const std::string token = config::ValueOrExit(config::InternalToken(), kService);
  const std::string addr = config::ValueOrExit(config::Address(kAddrEnv, kDefaultAddr), kService);
  const std::string metrics_addr =
      config::ValueOrExit(config::Address("LLMGW_METRICS_ADDR", ":9104"), kService);
  const std::optional<crypto::SecretKeyring> keyring =
      config::ValueOrExit(crypto::SecretKeyring::FromEnvironment(), kService);
  metering::SyncSettings sync;
  sync.endpoints.openai_base_url = config::ValueOrExit(
      config::Url("LLMGW_OPENAI_BASE_URL", sync.endpoints.openai_base_url), kService);
  sync.endpoints.anthropic_base_url = config::ValueOrExit(
      config::Url("LLMGW_ANTHROPIC_BASE_URL", sync.endpoints.anthropic_base_url), kService);
  sync.interval = std::chrono::seconds(config::ValueOrExit(
      config::Int("LLMGW_SYNC_INTERVAL_SECONDS", 3600, 1, 7 * 86400), kService));

  const std::string billing_addr =
      config::ValueOrExit(config::Address("LLMGW_BILLING_ADDR", "127.0.0.1:50053"), kService);
  const std::string accounts_addr =
      config::ValueOrExit(config::Address("LLMGW_ACCOUNTS_ADDR", "127.0.0.1:50051"), kService);
  const std::chrono::seconds alert_interval(
      config::ValueOrExit(config::Int("LLMGW_ALERT_INTERVAL_SECONDS", 60, 1, 86400), kService));

  config::ExitOnError(pg::WaitForDatabase(db_url, std::chrono::seconds(30)), kService);
  // Two connections more than workers: a running provider sync holds one for its transaction,
  // the alert loop one at a time.
  auto pool =
      config::ValueOrExit(pg::PgPool::Create({.url = db_url, .size = kWorkers + 2}), kService);
  config::ExitOnError(pg::ApplyMigrations(*pool, "metering", metering::meteringMigrations()),
                      kService);

  auto registry = std::make_shared<prometheus::Registry>();
  metrics::GrpcServerMetrics grpc_metrics(*registry, kService);
  metering::MeteringMetrics metering_metrics(*registry);
  metering::ProviderSyncMetrics sync_metrics(*registry);
  metering::AlertMetrics alert_metrics(*registry);
  auto metrics_server =
      config::ValueOrExit(metrics::MetricsServer::Start(metrics_addr, registry), kService);

  metering::PgUsageStore store(*pool);
  metering::PgProviderStore provider_store(*pool);
  metering::CurlReportHttp http(metering::CurlReportHttp::FromEnvironment());
  metering::InterruptibleSleeper sleeper;
  const crypto::SecretKeyring* ring = keyring ? &*keyring : nullptr;
  metering::ProviderSyncer syncer(provider_store, http, ring, SystemClock::Get(), sleeper, sync);
  metering::SyncScheduler scheduler(
      syncer, sleeper,
      {.poll = std::min<std::chrono::milliseconds>(sync.interval, std::chrono::seconds(30)),
       .batch = 50,
       .on_sync = [&](const metering::SyncOutcome& o) { sync_metrics.Record(o); }});

  // Alerts: evaluated every LLMGW_ALERT_INTERVAL_SECONDS, delivered from the outbox every second.
  metering::PgAlertStore alert_store(*pool);
  metering::GrpcBillingBalance billing(grpcutil::MakeChannel(billing_addr), token);
  metering::GrpcAccountsLimits accounts_limits(grpcutil::MakeChannel(accounts_addr), token);
  metering::StoredAlertSources alert_sources(
      provider_store, store, [&](const std::string& org) { return billing.Balance(org); },
      [&](const std::string& org) -> absl::StatusOr<std::vector<metering::BudgetUsage>> {
        auto limits = accounts_limits.BudgetLimits(org);
        if (!limits.ok()) return limits.status();
        auto counters = billing.Budgets(org);
        if (!counters.ok()) return counters.status();
        return metering::BudgetUsages(*limits, *counters);
      });
  metering::CurlAlertSender alert_sender(metering::CurlAlertSender::FromEnvironment());
  metering::AlertEngine alert_engine(alert_store, alert_sources, alert_sender, ring,
                                     SystemClock::Get(), {});
  metering::AlertLoop alert_loop(
      alert_engine,
      {.evaluate_every = alert_interval,
       .on_delivery = [&](const metering::DeliveryOutcome& o) { alert_metrics.Delivered(o); },
       .on_fired = [&](int n) { alert_metrics.Fired(n); }});

  boost::asio::thread_pool workers(kWorkers);
  grpcutil::HandlerEnv env{token, &workers, &grpc_metrics};
  metering::MeteringService service(store, env, &metering_metrics);
  metering::ProviderSyncService sync_service(
      {provider_store, store, syncer, &scheduler, ring, SystemClock::Get()}, env);
  metering::AlertService alert_service(
      {alert_store, ring, alert_sender.email_enabled(), SystemClock::Get()}, env);
  auto server = config::ValueOrExit(
      grpcutil::GrpcServer::Start(addr, {&service, &sync_service, &alert_service}), kService);
  scheduler.Start();
  alert_loop.Start();

  log::Info("listening", {{"grpc_port", server->port()},
                          {"metrics_port", metrics_server->port()},
                          {"provider_sync", ring != nullptr},
                          {"sync_interval_seconds", sync.interval.count()},
                          {"alert_interval_seconds", alert_interval.count()},
                          {"email_alerts", alert_sender.email_enabled()}});
  int sig = WaitForShutdownSignal();
  log::Info("shutting down", {{"signal", sig}});
  server->Shutdown(std::chrono::seconds(10));  // NOT_SERVING, then drain in-flight calls
  http.Abort();       // a sync waiting on a provider ends at once and rolls back
  scheduler.Stop();   // as does one in its backoff
  alert_loop.Stop();  // after the delivery in progress (at most its 10 s timeout)
  workers.join();
  log::Info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  llmgw::BlockShutdownSignals();
  llmgw::grpcutil::TuneProcessForServing();
  llmgw::log::Init(kService);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "help" || args[0] == "--help" || args[0] == "-h")) {
    std::cout << llmgw::metering::Usage();
    return 0;
  }
  if (args.size() == 1 && args[0] == "--health-check") {
    return llmgw::health::RunGrpcHealthCheck(kService, kAddrEnv, kDefaultAddr);
  }
  if (!args.empty() && args[0] == "reencrypt-secrets") {
    return llmgw::metering::RunReencryptCommand({args.begin() + 1, args.end()}, std::cout,
                                                std::cerr);
  }
  if (!args.empty() && !(args.size() == 1 && args[0] == "serve")) {
    std::cerr << "llmgw-metering: unknown command \"" << args[0] << "\"\n"
              << llmgw::metering::Usage();
    return 2;
  }
  return Serve();
}

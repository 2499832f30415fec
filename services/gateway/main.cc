// llmgw-gateway: wiring only. Config -> clients -> handlers -> HTTP server; drain on SIGTERM.
// `llmgw-gateway requeue-dead-letters` moves refused usage events back into the spool.

#include <chrono>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "libs/common/config.h"
#include "libs/common/log.h"
#include "libs/common/signals.h"
#include "libs/grpc/internal_token.h"
#include "libs/grpc/runtime.h"
#include "libs/health/health_check.h"
#include "libs/metrics/metrics.h"
#include "services/gateway/api/authenticator.h"
#include "services/gateway/api/gateway_handler.h"
#include "services/gateway/api/gateway_metrics.h"
#include "services/gateway/api/http_server.h"
#include "services/gateway/api/passthrough_handler.h"
#include "services/gateway/api/reseller_handler.h"
#include "services/gateway/clients/accounts_client.h"
#include "services/gateway/clients/billing_client.h"
#include "services/gateway/clients/price_book.h"
#include "services/gateway/clients/rate_limiter.h"
#include "services/gateway/clients/settle_queue.h"
#include "services/gateway/clients/upstream_client.h"
#include "services/gateway/clients/usage_journal.h"
#include "services/gateway/clients/usage_shipper.h"
#include "services/gateway/domain/auth_cache.h"
#include "services/gateway/storage/dead_letters.h"

namespace {
constexpr char kService[] = "gateway";
constexpr char kAddrEnv[] = "LLMGW_GATEWAY_ADDR";
constexpr char kDefaultAddr[] = "0.0.0.0:8080";
constexpr char kDefaultSpoolDir[] = ".data/gateway-spool";
constexpr char kUsage[] =
    "usage:\n"
    "  llmgw-gateway [serve]               run the gateway\n"
    "  llmgw-gateway --health-check        exit 0 when the gateway at LLMGW_GATEWAY_ADDR is ready\n"
    "  llmgw-gateway requeue-dead-letters  move the usage events metering refused back into the\n"
    "                                      spool (LLMGW_SPOOL_DIR), for the next start to "
    "deliver;\n"
    "                                      stop the gateway that uses the directory first\n";

// Prints {"requeued":N,"spool_dir":"..."}; exit 1 when the files are in use or unreadable.
int RequeueDeadLettersCommand() {
  const std::string spool_dir = llmgw::config::String("LLMGW_SPOOL_DIR", kDefaultSpoolDir);
  absl::StatusOr<size_t> moved = llmgw::gateway::RequeueDeadLetters(spool_dir);
  if (!moved.ok()) {
    std::cerr << "llmgw-gateway requeue-dead-letters: " << moved.status().message() << "\n";
    if (moved.status().code() == absl::StatusCode::kFailedPrecondition) {
      std::cerr << "stop the gateway that uses " << spool_dir << " first\n";
    }
    return 1;
  }
  std::cout << nlohmann::json{{"requeued", *moved}, {"spool_dir", spool_dir}}.dump() << "\n";
  return 0;
}

template <typename StatusOrValue>
auto OrExit(StatusOrValue v) {
  return llmgw::config::ValueOrExit(std::move(v), kService);
}

// The providers' base URLs (LLMGW_*_BASE_URL), indexed by Provider, plus Gemini's native API.
llmgw::gateway::UpstreamEndpoints EndpointsFromEnv() {
  using namespace llmgw;
  using namespace llmgw::gateway;
  UpstreamEndpoints endpoints;
  const struct {
    Provider p;
    const char* env;
    const char* fallback;
  } kUpstreams[] = {
      {Provider::kOpenAI, "LLMGW_OPENAI_BASE_URL", "https://api.openai.com/v1"},
      {Provider::kAnthropic, "LLMGW_ANTHROPIC_BASE_URL", "https://api.anthropic.com"},
      {Provider::kGoogle, "LLMGW_GOOGLE_BASE_URL",
       "https://generativelanguage.googleapis.com/v1beta/openai"},
      {Provider::kXai, "LLMGW_XAI_BASE_URL", "https://api.x.ai/v1"},
  };
  for (const auto& u : kUpstreams) {
    const std::string url = OrExit(config::Url(u.env, u.fallback));
    endpoints[static_cast<size_t>(u.p)] = OrExit(ParseBaseUrl(url));
  }
  endpoints[kGoogleNativeEndpoint] = OrExit(ParseBaseUrl(OrExit(
      config::Url("LLMGW_GOOGLE_NATIVE_BASE_URL", "https://generativelanguage.googleapis.com"))));
  return endpoints;
}

// Reseller: a provider is offered only when the operator configured its key.
llmgw::gateway::ResellerOptions ResellerOptionsFromEnv() {
  using llmgw::gateway::Provider;
  llmgw::gateway::ResellerOptions options;
  for (const auto& [p, env] : {std::pair{Provider::kOpenAI, "LLMGW_OPENAI_API_KEY"},
                               std::pair{Provider::kAnthropic, "LLMGW_ANTHROPIC_API_KEY"},
                               std::pair{Provider::kGoogle, "LLMGW_GOOGLE_API_KEY"},
                               std::pair{Provider::kXai, "LLMGW_XAI_API_KEY"}}) {
    options.operator_keys[static_cast<size_t>(p)] = llmgw::config::String(env);
  }
  return options;
}

// LLMGW_REDIS_URL (unset: limits kept in this process) and LLMGW_RATE_LIMIT_REPLICAS (the share
// of a limit one replica enforces while Redis is unreachable).
std::unique_ptr<llmgw::gateway::RateLimiter> RateLimiterFromEnv(prometheus::Registry& registry) {
  llmgw::gateway::RateLimiterOptions o;
  o.redis_url = llmgw::config::String("LLMGW_REDIS_URL");
  o.replicas = llmgw::config::ValueOrExit(
      llmgw::config::Int("LLMGW_RATE_LIMIT_REPLICAS", 2, 1, 1'000), kService);
  o.registry = &registry;
  return llmgw::config::ValueOrExit(llmgw::gateway::MakeRateLimiter(o), kService);
}

llmgw::gateway::GrpcUsageShipper::Options ShipperOptionsFromEnv(const std::string& metering_addr,
                                                                const std::string& internal_token,
                                                                const std::string& spool_dir) {
  using namespace llmgw;
  gateway::GrpcUsageShipper::Options options;
  options.metering_target = metering_addr;
  options.internal_token = internal_token;
  options.spool_dir = spool_dir;
  options.batch_size = static_cast<size_t>(OrExit(
      config::Int("LLMGW_USAGE_BATCH_SIZE", static_cast<int64_t>(options.batch_size), 1, 10'000)));
  options.flush_interval = std::chrono::milliseconds(
      OrExit(config::Int("LLMGW_USAGE_FLUSH_MS", options.flush_interval.count(), 1, 60'000)));
  return options;
}

int Serve() {
  using namespace llmgw;
  using namespace llmgw::gateway;
  BlockShutdownSignals();
  grpcutil::TuneProcessForServing();
  const long open_files = RaiseOpenFileLimit();
  log::Init(kService);

  auto V = [](auto v) { return config::ValueOrExit(std::move(v), kService); };
  const std::string internal_token = V(config::InternalToken());
  HttpServerOptions http = GatewayServerOptions();
  http.address = V(config::Address(kAddrEnv, kDefaultAddr));
  http.threads = static_cast<int>(V(config::Int("LLMGW_GATEWAY_THREADS", 0, 0, 256)));
  http.busy_poll =
      std::chrono::microseconds(V(config::Int("LLMGW_GATEWAY_BUSY_POLL_US", 0, 0, 100000)));
  http.body_limit =
      static_cast<uint64_t>(V(config::Int("LLMGW_MAX_BODY_BYTES", 32ll << 20, 1024, 1ll << 30)));
  const std::string accounts_addr = V(config::Address("LLMGW_ACCOUNTS_ADDR", "127.0.0.1:50051"));
  const std::string billing_addr = V(config::Address("LLMGW_BILLING_ADDR", "127.0.0.1:50053"));
  const std::string metering_addr = V(config::Address("LLMGW_METERING_ADDR", "127.0.0.1:50052"));
  const std::string metrics_addr = V(config::Address("LLMGW_METRICS_ADDR", ":9101"));
  const std::string spool_dir = config::String("LLMGW_SPOOL_DIR", kDefaultSpoolDir);
  UpstreamOptions upstream_options;
  upstream_options.total_timeout =
      std::chrono::seconds(V(config::Int("LLMGW_UPSTREAM_TIMEOUT_SECONDS", 600, 1, 86'400)));
  AuthCache::Options cache_options;
  cache_options.positive_ttl =
      std::chrono::seconds(V(config::Int("LLMGW_AUTH_CACHE_TTL_SECONDS", 30, 0, 3'600)));
  const auto grace =
      std::chrono::seconds(V(config::Int("LLMGW_SHUTDOWN_GRACE_SECONDS", 30, 0, 3'600)));

  const UpstreamEndpoints endpoints = EndpointsFromEnv();

  auto registry = std::make_shared<prometheus::Registry>();
  auto metrics_server = V(metrics::MetricsServer::Start(metrics_addr, registry));
  GatewayMetrics gateway_metrics(*registry);

  GrpcAccountsClient accounts(grpcutil::MakeChannel(accounts_addr), internal_token);
  AuthCache auth_cache(SystemClock::Get(), cache_options);
  Authenticator authenticator(accounts, auth_cache, &gateway_metrics);
  PriceBook price_book;
  const auto price_refresh =
      std::chrono::seconds(V(config::Int("LLMGW_PRICE_REFRESH_SECONDS", 60, 1, 3'600)));
  auto refresher = std::make_unique<PriceBookRefresher>(grpcutil::MakeChannel(billing_addr),
                                                        internal_token, price_book, price_refresh);
  GrpcUsageShipper::Options shipper_options =
      ShipperOptionsFromEnv(metering_addr, internal_token, spool_dir);
  // Every usage event is journaled before it is queued: a killed process loses none (the
  // journal replays what the shipper never reported safe).
  std::unique_ptr<UsageJournal> usage_journal =
      V(UsageJournal::Open({.spool_dir = spool_dir}, *registry));
  shipper_options.on_durable = [journal = usage_journal.get()](
                                   const std::vector<std::string>& ids) { journal->Forget(ids); };
  GrpcUsageShipper shipper(shipper_options, *registry);
  usage_journal->Attach(shipper);
  UpstreamClient upstream(upstream_options);

  GrpcBillingClient billing(grpcutil::MakeChannel(billing_addr), internal_token);
  // What an earlier process still owed billing (its journal) is delivered from here on.
  std::unique_ptr<SettleQueue> settles =
      V(SettleQueue::Start({.spool_dir = spool_dir}, billing, *registry));
  ResellerMetrics reseller_metrics(*registry);
  std::unique_ptr<RateLimiter> limiter = RateLimiterFromEnv(*registry);
  RequestControls controls({.limiter = limiter.get(),
                            .billing = &billing,
                            .settles = settles.get(),
                            .metrics = &reseller_metrics});

  PassthroughHandler passthrough({.auth = authenticator,
                                  .upstream = upstream,
                                  .endpoints = endpoints,
                                  .prices = price_book,
                                  .usage = *usage_journal,
                                  .controls = &controls,
                                  .metrics = &gateway_metrics,
                                  .debug_log = config::String("LLMGW_LOG_LEVEL") == "debug"});
  GatewayHandler handler([&price_book] { return price_book.loaded(); }, &gateway_metrics,
                         http.body_limit);
  handler.Register(RouteKind::kPassthrough, &passthrough);

  ResellerHandler reseller({.auth = authenticator,
                            .upstream = upstream,
                            .endpoints = endpoints,
                            .prices = price_book,
                            .controls = controls,
                            .usage = *usage_journal,
                            .options = ResellerOptionsFromEnv(),
                            .metrics = &gateway_metrics,
                            .reseller_metrics = &reseller_metrics});
  handler.Register(RouteKind::kResellerChat, &reseller);
  handler.Register(RouteKind::kResellerModels, &reseller);
  handler.Register(RouteKind::kResellerMessages, &reseller);
  handler.Register(RouteKind::kResellerCountTokens, &reseller);
  handler.Register(RouteKind::kResellerResponses, &reseller);
  handler.Register(RouteKind::kResellerEmbeddings, &reseller);

  auto server = V(HttpServer::Start(http, handler));
  log::Info("listening",
            {{"http_port", server->port()},
             {"metrics_port", metrics_server->port()},
             {"open_files_limit", open_files},
             {"threads", http.threads > 0 ? http.threads
                                          : static_cast<int>(std::thread::hardware_concurrency())},
             {"busy_poll_us", static_cast<int64_t>(http.busy_poll.count())}});

  const int sig = WaitForShutdownSignal();
  log::Info("shutting down", {{"signal", sig}, {"grace_seconds", grace.count()}});
  // After the grace period, requests still waiting on an upstream are cut there, so that their
  // usage (marked incomplete) and billing are recorded before the process exits.
  server->Stop(grace, [&upstream] { upstream.AbortInFlight(); });
  upstream.CloseIdle();
  // What billing has not acknowledged by then stays in the journal for the next start.
  settles->Shutdown(std::chrono::seconds(5));
  shipper.Shutdown(std::chrono::seconds(5));
  refresher.reset();
  log::Info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || (args.size() == 1 && args[0] == "serve")) return Serve();
  if (args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return 0;
  }
  if (args.size() == 1 && args[0] == "--health-check") {
    return llmgw::health::RunHttpHealthCheck(kService, kAddrEnv, kDefaultAddr);
  }
  if (args.size() == 1 && args[0] == "requeue-dead-letters") return RequeueDeadLettersCommand();
  std::cerr << "llmgw-gateway: unknown command \"" << args[0] << "\"\n" << kUsage;
  return 2;
}

// Runs the real llmgw-billing binary against a fresh database: it migrates, serves Health
// SERVING, answers the internal-token RPCs, and exits 0 on SIGTERM.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "libs/grpc/internal_token.h"
#include "libs/testing/pg_test_db.h"
#include "llmgw/billing/v1/billing.grpc.pb.h"
#include "nlohmann/json.hpp"

namespace llmgw::billing {
namespace {

constexpr char kToken[] = "binary-test-internal-token-0123456789";

// The gRPC port from the "listening" log line in `path`, or 0 while it is not there yet.
int ListeningPort(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.value("msg", "") == "listening") return j.value("grpc_port", 0);
  }
  return 0;
}

TEST(BillingBinary, StartsOnAFreshDatabaseServesHealthAndStopsOnSigterm) {
  auto db = llmgw::test::PgTestDb::Create();
  std::string log_path = ::testing::TempDir() + "/llmgw-billing-binary-test.log";
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    FILE* f = freopen(log_path.c_str(), "w", stderr);
    (void)f;
    setenv("LLMGW_DATABASE_URL", db->url().c_str(), 1);
    setenv("LLMGW_INTERNAL_TOKEN", kToken, 1);
    setenv("LLMGW_BILLING_ADDR", "127.0.0.1:0", 1);
    setenv("LLMGW_METRICS_ADDR", "127.0.0.1:0", 1);
    execl(LLMGW_BILLING_BINARY, "llmgw-billing", "serve", static_cast<char*>(nullptr));
    _exit(127);
  }
  int port = 0;
  for (int i = 0; i < 300 && port == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    port = ListeningPort(log_path);
  }
  ASSERT_NE(port, 0) << "no listening line in " << log_path;
  auto channel = grpcutil::MakeChannel("127.0.0.1:" + std::to_string(port));

  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext hctx;
  hctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::health::v1::HealthCheckResponse hresp;
  ASSERT_TRUE(health->Check(&hctx, grpc::health::v1::HealthCheckRequest(), &hresp).ok());
  EXPECT_EQ(hresp.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  auto stub = v1::BillingService::NewStub(channel);
  grpc::ClientContext ctx;
  grpcutil::PrepareClientContext(ctx, kToken, std::chrono::seconds(5));
  v1::ListPricesResponse prices;
  ASSERT_TRUE(stub->ListPrices(&ctx, v1::ListPricesRequest(), &prices).ok());
  // The seven seed rows and, loaded at start, the shipped catalog: today's models at the
  // providers' prices (USD per 1M tokens: gpt-5-mini 0.25 / 0.025 cached / 2; Claude Sonnet 4.5
  // 3 / 15, 6 / 22.50 above 200k input tokens).
  int seed = 0, catalog = 0;
  const v1::ModelPrice* mini = nullptr;
  const v1::ModelPrice* sonnet = nullptr;
  for (const v1::ModelPrice& p : prices.prices()) {
    seed += p.source() == "seed";
    catalog += p.source() == "catalog";
    if (p.source() == "catalog" && p.model() == "gpt-5-mini") mini = &p;
    if (p.source() == "catalog" && p.model() == "claude-sonnet-4-5") sonnet = &p;
  }
  EXPECT_EQ(seed, 7);
  EXPECT_GT(catalog, 150);
  ASSERT_NE(mini, nullptr);
  EXPECT_EQ(mini->provider(), "openai");
  EXPECT_EQ(mini->input_nano_per_mtok(), 250'000'000);
  EXPECT_EQ(mini->cached_input_nano_per_mtok(), 25'000'000);
  EXPECT_EQ(mini->output_nano_per_mtok(), 2'000'000'000);
  EXPECT_EQ(mini->match_json(),
            R"({"or":[{"equals":"gpt-5-mini"},{"equals":"gpt-5-mini-2025-08-07"}]})");
  EXPECT_EQ(mini->catalog_version(), "@pydantic/genai-prices 0.1.8");
  EXPECT_GT(mini->price_id(), 0);
  ASSERT_NE(sonnet, nullptr);
  EXPECT_EQ(sonnet->tier_above_input_tokens(), 200'000);
  EXPECT_EQ(sonnet->tier_output_nano_per_mtok(), 22'500'000'000);
  EXPECT_EQ(prices.margin_percent(), 20);

  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace llmgw::billing

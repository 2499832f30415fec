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
  EXPECT_EQ(prices.prices_size(), 7);
  EXPECT_EQ(prices.margin_percent(), 20);

  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace llmgw::billing

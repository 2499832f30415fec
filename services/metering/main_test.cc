// Runs the real llmgw-metering binary: fresh database, health SERVING, an RPC with the token,
// the metrics endpoint, exit 0 on SIGTERM.

#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "libs/grpc/internal_token.h"
#include "libs/testing/pg_test_db.h"
#include "llmgw/metering/v1/metering.grpc.pb.h"
#include "nlohmann/json.hpp"

namespace llmgw::metering {
namespace {

constexpr char kToken[] = "binary-test-internal-token-0123456789";

struct Child {
  pid_t pid = -1;
  FILE* err = nullptr;  // the child's stderr (JSON log lines)
};

Child Spawn(const std::string& db_url) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);
    setenv("LLMGW_DATABASE_URL", db_url.c_str(), 1);
    setenv("LLMGW_INTERNAL_TOKEN", kToken, 1);
    setenv("LLMGW_METERING_ADDR", "127.0.0.1:0", 1);
    setenv("LLMGW_METRICS_ADDR", "127.0.0.1:0", 1);
    execl(LLMGW_METERING_BINARY, "llmgw-metering", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  return {pid, fdopen(fds[0], "r")};
}

// Reads log lines until "listening"; returns it (null when the child ended first).
nlohmann::json WaitForListening(FILE* err) {
  char line[4096];
  while (fgets(line, sizeof line, err) != nullptr) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.value("msg", "") == "listening") return j;
  }
  return nullptr;
}

TEST(MeteringBinary, StartsOnAFreshDatabaseServesAndStopsOnSigterm) {
  auto db = test::PgTestDb::Create();
  Child child = Spawn(db->url());
  ASSERT_GT(child.pid, 0);
  nlohmann::json listening = WaitForListening(child.err);
  ASSERT_TRUE(listening.is_object()) << "the binary exited before listening";
  int grpc_port = listening["grpc_port"];
  int metrics_port = listening["metrics_port"];
  ASSERT_GT(grpc_port, 0);
  ASSERT_GT(metrics_port, 0);

  auto channel = grpcutil::MakeChannel("127.0.0.1:" + std::to_string(grpc_port));
  {
    auto health = grpc::health::v1::Health::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    grpc::health::v1::HealthCheckRequest req;
    grpc::health::v1::HealthCheckResponse resp;
    ASSERT_TRUE(health->Check(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  }
  {
    auto stub = v1::MeteringService::NewStub(channel);
    grpc::ClientContext ctx;
    grpcutil::PrepareClientContext(ctx, kToken, std::chrono::seconds(5));
    v1::IngestUsageRequest req;
    auto* e = req.add_events();
    e->set_event_id("bin-1");
    e->set_organization_id("org-bin");
    e->set_input_tokens(5);
    e->set_requested_at_unix_ms(1'700'000'000'000);
    v1::IngestUsageResponse resp;
    ASSERT_TRUE(stub->IngestUsage(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.inserted(), 1);
  }
  {
    httplib::Client metrics("127.0.0.1", metrics_port);
    auto res = metrics.Get("/metrics");
    ASSERT_TRUE(res);
    EXPECT_THAT(res->body, ::testing::HasSubstr("llmgw_metering_events_ingested_total 1"));
    EXPECT_THAT(res->body, ::testing::HasSubstr("llmgw_metering_events_duplicate_total 0"));
  }

  channel.reset();  // a connected client delays gRPC's shutdown by seconds; not what we test
  ASSERT_EQ(kill(child.pid, SIGTERM), 0);
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  pid_t done = 0;
  while ((done = waitpid(child.pid, &status, WNOHANG)) == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (done == 0) kill(child.pid, SIGKILL);
  ASSERT_EQ(done, child.pid) << "did not stop within 20 s of SIGTERM";
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  std::string rest;
  char l[4096];
  while (fgets(l, sizeof l, child.err) != nullptr) rest += l;
  EXPECT_THAT(rest, ::testing::HasSubstr("\"msg\":\"stopped\""));
  fclose(child.err);
}

TEST(MeteringBinary, MissingTokenIsAConfigurationError) {
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, STDERR_FILENO);
    setenv("LLMGW_DATABASE_URL", "postgresql://127.0.0.1:1/none", 1);
    unsetenv("LLMGW_INTERNAL_TOKEN");
    execl(LLMGW_METERING_BINARY, "llmgw-metering", static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
}

// Runs the binary with `args` and extra environment; returns its exit code and stdout.
std::pair<int, std::string> RunBinary(std::vector<std::string> args,
                                      std::vector<std::pair<std::string, std::string>> env) {
  int fds[2];
  if (pipe(fds) != 0) return {-1, ""};
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);
    unsetenv("LLMGW_SECRET_KEY");
    unsetenv("LLMGW_SECRET_KEY_PREVIOUS");
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv = {const_cast<char*>("llmgw-metering")};
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(LLMGW_METERING_BINARY, argv.data());
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, n);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST(MeteringBinary, AMalformedSecretKeyIsAConfigurationError) {
  auto [code, out] = RunBinary({}, {{"LLMGW_DATABASE_URL", "postgresql://127.0.0.1:1/none"},
                                    {"LLMGW_INTERNAL_TOKEN", kToken},
                                    {"LLMGW_SECRET_KEY", "not-32-bytes"}});
  EXPECT_EQ(code, 2);
}

TEST(MeteringBinary, ReencryptSecretsCommand) {
  auto db = test::PgTestDb::Create();
  // 32 bytes of 'k', base64.
  const std::string key = "a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=";
  auto [code, out] = RunBinary({"reencrypt-secrets"},
                               {{"LLMGW_DATABASE_URL", db->url()}, {"LLMGW_SECRET_KEY", key}});
  EXPECT_EQ(code, 0);
  nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << out;
  EXPECT_EQ(j["resealed"], 0);
  EXPECT_EQ(j["already_current"], 0);
  EXPECT_EQ(j["unreadable"], 0);
  EXPECT_THAT(j["key_id"].get<std::string>(), ::testing::MatchesRegex("k[0-9a-f]{16}"));
  EXPECT_EQ(RunBinary({"reencrypt-secrets"}, {{"LLMGW_DATABASE_URL", db->url()}}).first,
            2);  // no key
  EXPECT_EQ(RunBinary({"reencrypt-secrets", "--now"},
                      {{"LLMGW_DATABASE_URL", db->url()}, {"LLMGW_SECRET_KEY", key}})
                .first,
            2);
  EXPECT_EQ(RunBinary({"no-such-command"}, {}).first, 2);
}

}  // namespace
}  // namespace llmgw::metering

// The llmgw-accounts binary: starts on a fresh database, applies migrations, answers gRPC (health
// and AccountsService), and exits 0 on SIGTERM; a missing LLMGW_INTERNAL_TOKEN exits 2.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "libs/grpc/internal_token.h"
#include "libs/testing/pg_test_db.h"
#include "llmgw/accounts/v1/accounts.grpc.pb.h"
#include "nlohmann/json.hpp"

extern char** environ;

namespace llmgw::accounts {
namespace {

constexpr char kToken[] = "main-test-internal-token-0123456";

// A child process with its stderr captured.
class Child {
 public:
  explicit Child(const std::vector<std::string>& env) {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    std::vector<char*> envp;
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    char* argv[] = {const_cast<char*>(LLMGW_ACCOUNTS_BINARY), nullptr};
    EXPECT_EQ(posix_spawn(&pid_, LLMGW_ACCOUNTS_BINARY, &actions, nullptr, argv, envp.data()), 0);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    fd_ = fds[0];
  }
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) close(fd_);
  }

  // Reads stderr until a line contains `needle` (returned) or `timeout` passes / EOF ("").
  std::string WaitForLine(const std::string& needle, std::chrono::seconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      size_t nl;
      while ((nl = buffer_.find('\n')) != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        output_ += line + "\n";
        if (line.find(needle) != std::string::npos) return line;
      }
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 200) <= 0) continue;
      char buf[4096];
      ssize_t n = read(fd_, buf, sizeof(buf));
      if (n <= 0) break;
      buffer_.append(buf, static_cast<size_t>(n));
    }
    return "";
  }

  // Waits for the exit; the exit status, or -1 when it did not exit normally in time.
  int Wait(std::chrono::seconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

  pid_t pid() const { return pid_; }
  const std::string& output() const { return output_; }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string buffer_;
  std::string output_;
};

std::vector<std::string> BaseEnv(const std::string& db_url) {
  return {"LLMGW_DATABASE_URL=" + db_url, "LLMGW_ACCOUNTS_ADDR=127.0.0.1:0",
          "LLMGW_METRICS_ADDR=127.0.0.1:0", "LLMGW_PASSWORD_ITERATIONS=1000"};
}

TEST(AccountsBinary, StartsMigratesAnswersAndExitsZeroOnSigterm) {
  auto db = test::PgTestDb::Create();
  std::vector<std::string> env = BaseEnv(db->url());
  env.push_back(std::string("LLMGW_INTERNAL_TOKEN=") + kToken);
  Child child(env);
  std::string line = child.WaitForLine("\"listening\"", std::chrono::seconds(30));
  ASSERT_FALSE(line.empty()) << child.output();
  EXPECT_THAT(child.output(), ::testing::HasSubstr("migrations applied"));
  auto json = nlohmann::json::parse(line, nullptr, false);
  ASSERT_FALSE(json.is_discarded()) << line;
  const int port = json.value("grpc_port", 0);
  ASSERT_GT(port, 0) << line;
  EXPECT_GT(json.value("metrics_port", 0), 0) << line;

  {
    // Scoped: an open client connection makes the server's graceful shutdown wait ~5 s longer.
    auto channel = grpcutil::MakeChannel("127.0.0.1:" + std::to_string(port));
    {
      auto health = grpc::health::v1::Health::NewStub(channel);
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      grpc::health::v1::HealthCheckRequest req;
      grpc::health::v1::HealthCheckResponse resp;
      ASSERT_TRUE(health->Check(&ctx, req, &resp).ok());
      EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING);
    }
    auto stub = v1::AccountsService::NewStub(channel);
    {
      grpc::ClientContext ctx;
      grpcutil::PrepareClientContext(ctx, kToken, std::chrono::seconds(10));
      v1::RegisterRequest req;
      req.set_name("Acme");
      req.set_email("ops@example.com");
      req.set_password("password123");
      v1::RegisterResponse resp;
      grpc::Status s = stub->Register(&ctx, req, &resp);
      ASSERT_TRUE(s.ok()) << s.error_message();
      EXPECT_EQ(resp.organization().email(), "ops@example.com");
    }
    {
      grpc::ClientContext ctx;
      grpcutil::PrepareClientContext(ctx, kToken, std::chrono::seconds(10));
      v1::LoginRequest req;
      req.set_email("OPS@example.com");
      req.set_password("password123");
      v1::LoginResponse resp;
      grpc::Status s = stub->Login(&ctx, req, &resp);
      ASSERT_TRUE(s.ok()) << s.error_message();
      EXPECT_EQ(resp.session_token().size(), 43u);
      // The secret never reaches the log.
      child.WaitForLine("never-appears", std::chrono::seconds(0));
      EXPECT_EQ(child.output().find(resp.session_token()), std::string::npos);
    }
  }

  ASSERT_EQ(kill(child.pid(), SIGTERM), 0);
  EXPECT_FALSE(child.WaitForLine("\"stopped\"", std::chrono::seconds(20)).empty())
      << child.output();
  EXPECT_EQ(child.Wait(std::chrono::seconds(20)), 0) << child.output();
  EXPECT_EQ(child.output().find("password123"), std::string::npos);
}

TEST(AccountsBinary, MissingInternalTokenExitsTwoWithAClearMessage) {
  Child child(BaseEnv("postgresql://127.0.0.1:1/none"));
  std::string line = child.WaitForLine("LLMGW_INTERNAL_TOKEN", std::chrono::seconds(10));
  EXPECT_THAT(line, ::testing::HasSubstr("configuration error"));
  EXPECT_EQ(child.Wait(std::chrono::seconds(10)), 2);
}

}  // namespace
}  // namespace llmgw::accounts

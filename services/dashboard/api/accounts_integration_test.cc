// The dashboard over HTTP against the REAL accounts service (in-process gRPC server on port 0,
// fresh PostgreSQL database): the seed scenario register → login → create a monitor token →
// list it → revoke it. Billing and metering are fakes; they are not exercised here.

#include <httplib.h>

#include <memory>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/grpc/internal_token.h"
#include "libs/testing/pg_test_db.h"
#include "nlohmann/json.hpp"
#include "services/accounts/api/accounts_service.h"
#include "services/dashboard/api/dashboard_api.h"
#include "services/dashboard/clients/fake_clients.h"
#include "services/dashboard/clients/grpc_accounts_client.h"

namespace llmgw::dashboard {
namespace {

using nlohmann::json;
using ::testing::AllOf;
using ::testing::Ge;
using ::testing::HasSubstr;
using ::testing::Le;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kToken[] = "integration-internal-token";

class AccountsIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = test::PgTestDb::Create();
    accounts::AccountServiceOptions service_options;
    service_options.password_iterations = 1000;  // the minimum: keeps the test fast
    auto accounts = accounts::InProcessAccounts::Start(
        {.database_url = db_->url(), .internal_token = kToken, .service_options = service_options});
    ASSERT_TRUE(accounts.ok()) << accounts.status();
    accounts_ = *std::move(accounts);
    client_accounts_ =
        std::make_unique<GrpcAccountsClient>(grpcutil::MakeChannel(accounts_->target()), kToken);
    api_ = std::make_unique<DashboardApi>(*client_accounts_, billing_, metering_,
                                          SystemClock::Get(), DashboardOptions{});
    ConfigureHttpServer(server_, 4);
    api_->RegisterRoutes(server_);
    int port = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    http_ = std::make_unique<httplib::Client>("127.0.0.1", port);
  }
  void TearDown() override {
    if (server_.is_running()) server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  std::unique_ptr<test::PgTestDb> db_;
  std::unique_ptr<accounts::InProcessAccounts> accounts_;
  std::unique_ptr<GrpcAccountsClient> client_accounts_;
  FakeBillingClient billing_{SystemClock::Get()};
  FakeMeteringClient metering_;
  std::unique_ptr<DashboardApi> api_;
  httplib::Server server_;
  std::thread thread_;
  std::unique_ptr<httplib::Client> http_;
};

TEST_F(AccountsIntegrationTest, SeedScenario) {
  EXPECT_EQ(http_->Get("/readyz")->status, 200);

  auto r = http_->Post("/api/auth/register",
                       R"({"name":"Test","email":"test@test.com","password":"password123"})",
                       "application/json");
  ASSERT_EQ(r->status, 201) << r->body;
  json org = json::parse(r->body)["org"];
  EXPECT_EQ(org["name"], "Test");
  EXPECT_EQ(org["email"], "test@test.com");
  EXPECT_EQ(org["id"].get<std::string>().size(), 36u);
  EXPECT_EQ(org.size(), 3u);

  r = http_->Post("/api/auth/register",
                  R"({"name":"Again","email":"test@test.com","password":"password123"})",
                  "application/json");
  EXPECT_EQ(r->status, 409);

  r = http_->Post("/api/auth/login", R"({"email":"test@test.com","password":"wrong-password"})",
                  "application/json");
  EXPECT_EQ(r->status, 401);

  r = http_->Post("/api/auth/login", R"({"email":"test@test.com","password":"password123"})",
                  "application/json");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["org"], org);
  std::string cookie = r->get_header_value("Set-Cookie");
  ASSERT_THAT(cookie, StartsWith("session="));
  std::string session = cookie.substr(8, cookie.find(';') - 8);
  ASSERT_FALSE(session.empty());
  std::string attrs = cookie.substr(cookie.find(';'));
  ASSERT_THAT(attrs, StartsWith("; HttpOnly; SameSite=Lax; Path=/; Max-Age="));
  int64_t max_age = std::stoll(attrs.substr(attrs.rfind('=') + 1));
  EXPECT_THAT(max_age, AllOf(Ge(168 * 3600 - 5), Le(168 * 3600)));
  httplib::Headers auth = {{"Cookie", "session=" + session}};

  r = http_->Post("/api/tokens", auth, R"({"name":"seed"})", "application/json");
  ASSERT_EQ(r->status, 201) << r->body;
  json created = json::parse(r->body);
  std::string secret = created["token"];
  EXPECT_THAT(secret, StartsWith("mon_sk_"));
  EXPECT_EQ(created["name"], "seed");
  EXPECT_EQ(created["is_active"], true);
  EXPECT_EQ(created["last_used_at"], nullptr);
  std::string id = created["id"];

  r = http_->Get("/api/tokens", auth);
  ASSERT_EQ(r->status, 200);
  json list = json::parse(r->body)["tokens"];
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["id"], id);
  EXPECT_EQ(list[0]["name"], "seed");
  EXPECT_EQ(list[0]["is_active"], true);
  EXPECT_EQ(list[0]["created_at"], created["created_at"]);
  std::string prefix = list[0]["prefix"];
  EXPECT_THAT(prefix, StartsWith("mon_sk_"));
  EXPECT_THAT(secret, StartsWith(prefix));
  EXPECT_LT(prefix.size(), secret.size());
  EXPECT_FALSE(list[0].contains("token"));
  EXPECT_THAT(r->body, Not(HasSubstr(secret)));

  // Another organization cannot see or revoke it.
  ASSERT_EQ(http_
                ->Post("/api/auth/register",
                       R"({"name":"Other","email":"other@test.com","password":"password123"})",
                       "application/json")
                ->status,
            201);
  r = http_->Post("/api/auth/login", R"({"email":"other@test.com","password":"password123"})",
                  "application/json");
  std::string other_cookie = r->get_header_value("Set-Cookie");
  httplib::Headers other = {{"Cookie", other_cookie.substr(0, other_cookie.find(';'))}};
  EXPECT_EQ(json::parse(http_->Get("/api/tokens", other)->body)["tokens"].size(), 0u);
  EXPECT_EQ(http_->Delete("/api/tokens?id=" + id, other)->status, 404);

  r = http_->Delete("/api/tokens?id=" + id, auth);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["is_active"], false);
  r = http_->Get("/api/tokens", auth);
  EXPECT_EQ(json::parse(r->body)["tokens"][0]["is_active"], false);

  r = http_->Post("/api/auth/logout", auth, "", "application/json");
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(http_->Get("/api/tokens", auth)->status, 401);
}

}  // namespace
}  // namespace llmgw::dashboard

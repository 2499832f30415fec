// The dashboard over HTTP against the REAL accounts service (in-process gRPC server on port 0,
// fresh PostgreSQL database): the seed scenario register → login → create a monitor token →
// list it → revoke it. Billing and metering are fakes; they are not exercised here.

#include <httplib.h>

#include <algorithm>
#include <map>
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
#include "services/dashboard/api/dashboard_server.h"
#include "services/dashboard/clients/fake_alerts_client.h"
#include "services/dashboard/clients/fake_clients.h"
#include "services/dashboard/clients/fake_provider_sync_client.h"
#include "services/dashboard/clients/grpc_accounts_client.h"
#include "services/dashboard/domain/permissions.h"

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
    auto server = DashboardServer::Start(*api_, {.address = "127.0.0.1:0", .workers = 4});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    int port = server_->port();
    http_ = std::make_unique<httplib::Client>("127.0.0.1", port);
  }
  void TearDown() override {
    server_.reset();
  }

  std::unique_ptr<test::PgTestDb> db_;
  std::unique_ptr<accounts::InProcessAccounts> accounts_;
  std::unique_ptr<GrpcAccountsClient> client_accounts_;
  FakeBillingClient billing_{SystemClock::Get()};
  FakeMeteringClient metering_;
  std::unique_ptr<DashboardApi> api_;
  std::unique_ptr<DashboardServer> server_;
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

// Teams on the real accounts service: invitations, roles, and the permission matrix over every
// management endpoint and role, written out here independently of domain/permissions.cc.
class TeamIntegrationTest : public AccountsIntegrationTest {
 protected:
  void SetUp() override {
    AccountsIntegrationTest::SetUp();
    // Rebuilt with provider sync and self top-up, so that every endpoint is served.
    server_.reset();
    DashboardOptions options;
    options.self_topup = true;
    api_ = std::make_unique<DashboardApi>(*client_accounts_, billing_, metering_,
                                          SystemClock::Get(), options, nullptr, &provider_sync_,
                                          &alerts_);
    auto server = DashboardServer::Start(*api_, {.address = "127.0.0.1:0", .workers = 4});
    ASSERT_TRUE(server.ok()) << server.status();
    server2_ = *std::move(server);
    int port = server2_->port();
    http_ = std::make_unique<httplib::Client>("127.0.0.1", port);
  }
  void TearDown() override {
    server2_.reset();
  }

  static httplib::Headers CookieOf(const httplib::Result& r) {
    std::string c = r->get_header_value("Set-Cookie");
    return {{"Cookie", c.substr(0, c.find(';'))}};
  }
  httplib::Headers RegisterAndLogin(const std::string& email) {
    auto r = http_->Post(
        "/api/auth/register",
        json{{"name", "Org " + email}, {"email", email}, {"password", "password123"}}.dump(),
        "application/json");
    EXPECT_EQ(r->status, 201) << r->body;
    r = http_->Post("/api/auth/login", json{{"email", email}, {"password", "password123"}}.dump(),
                    "application/json");
    EXPECT_EQ(r->status, 200) << r->body;
    return CookieOf(r);
  }
  // Invites `email` as `role` (by `by`), accepts the link as a new user; their session.
  httplib::Headers Join(const httplib::Headers& by, const std::string& email,
                        const std::string& role) {
    auto r = http_->Post("/api/members/invite", by, json{{"email", email}, {"role", role}}.dump(),
                         "application/json");
    EXPECT_EQ(r->status, 201) << r->body;
    std::string url = json::parse(r->body)["invite_url"];
    std::string token = url.substr(url.find("token=") + 6);
    r = http_->Post("/api/auth/accept-invite",
                    json{{"token", token}, {"name", email}, {"password", "password123"}}.dump(),
                    "application/json");
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(json::parse(r->body)["role"], role);
    return CookieOf(r);
  }
  json Get(const std::string& path, const httplib::Headers& who) {
    auto r = http_->Get(path, who);
    EXPECT_EQ(r->status, 200) << path << " " << r->body;
    return json::parse(r->body);
  }

  FakeProviderSyncClient provider_sync_;
  FakeAlertsClient alerts_;
  std::unique_ptr<DashboardServer> server2_;
};

TEST_F(TeamIntegrationTest, PermissionMatrixOverEveryEndpointAndRole) {
  httplib::Headers owner = RegisterAndLogin("owner@a.com");
  std::map<std::string, httplib::Headers> sessions = {
      {"owner", owner},
      {"admin", Join(owner, "admin@a.com", "admin")},
      {"member", Join(owner, "member@a.com", "member")},
      {"viewer", Join(owner, "viewer@a.com", "viewer")},
  };
  const std::vector<std::string> kRoles = {"viewer", "member", "admin", "owner"};
  const std::string org_a = Get("/api/config", owner)["org"]["id"];
  const std::string unknown = "00000000-0000-4000-8000-00000000abcd";
  struct Case {
    std::string method, path, body, content_type;
    std::string min_role;
    int ok_status;
  };
  // Bodies that differ per role (unique e-mails, keys) use {role}.
  const std::vector<Case> kCases = {
      {"GET", "/api/config", "", "", "viewer", 200},
      {"GET", "/api/tokens", "", "", "viewer", 200},
      {"POST", "/api/tokens", R"({"name":"t"})", "application/json", "member", 201},
      {"DELETE", "/api/tokens?id=" + unknown, "", "", "member", 404},
      {"GET", "/api/keys", "", "", "viewer", 200},
      {"POST", "/api/keys", R"({"name":"k"})", "application/json", "member", 201},
      {"DELETE", "/api/keys?id=" + unknown, "", "", "member", 404},
      {"PATCH", "/api/tokens?id=" + unknown, R"({"rpm":60})", "application/json", "admin", 404},
      {"PATCH", "/api/keys?id=" + unknown, R"({"rpm":60})", "application/json", "admin", 404},
      {"GET", "/api/org/limits", "", "", "viewer", 200},
      {"PUT", "/api/org/limits", R"({"rpm":600})", "application/json", "admin", 200},
      {"GET", "/api/balance", "", "", "viewer", 200},
      {"POST", "/api/balance/charge", R"({"amount":1})", "application/json", "owner", 200},
      {"GET", "/api/balance/transactions", "", "", "viewer", 200},
      {"GET", "/api/stats/summary", "", "", "viewer", 200},
      {"GET", "/api/stats/by-model", "", "", "viewer", 200},
      {"GET", "/api/stats/by-provider", "", "", "viewer", 200},
      {"GET", "/api/stats/timeseries", "", "", "viewer", 200},
      {"GET", "/api/usage", "", "", "viewer", 200},
      {"GET", "/api/provider-connections", "", "", "viewer", 200},
      {"POST", "/api/provider-connections",
       R"({"provider":"openai","admin_key":"sk-admin-{role}"})", "application/json", "admin", 201},
      {"DELETE", "/api/provider-connections?id=" + unknown, "", "", "admin", 404},
      {"POST", "/api/provider-connections/sync?id=" + unknown, "", "", "admin", 404},
      {"POST", "/api/provider-usage/import",
       "date,provider,model,input_tokens,cached_input_tokens,output_tokens,cost_usd\n", "text/csv",
       "admin", 200},
      {"GET", "/api/reconciliation", "", "", "viewer", 200},
      {"GET", "/api/alerts", "", "", "viewer", 200},
      {"POST", "/api/alerts",
       R"({"kind":"balance","threshold":5,"channel":"email","target":"{role}@a.com"})",
       "application/json", "admin", 201},
      {"DELETE", "/api/alerts?id=" + unknown, "", "", "admin", 404},
      {"GET", "/api/members", "", "", "viewer", 200},
      {"POST", "/api/members/invite", R"({"email":"new-{role}@a.com","role":"viewer"})",
       "application/json", "admin", 201},
      {"PATCH", "/api/members?id=" + unknown, R"({"role":"viewer"})", "application/json", "admin",
       404},
      {"DELETE", "/api/members?id=" + unknown, "", "", "admin", 404},
      {"POST", "/api/auth/switch-org", json{{"org_id", org_a}}.dump(), "application/json", "viewer",
       200},
      {"GET", "/api/audit", "", "", "admin", 200},
      {"POST", "/api/auth/logout", "", "", "viewer", 204},  // last: it ends each session
  };
  // Every management endpoint is in this matrix.
  for (const Endpoint& e : ManagementEndpoints()) {
    bool found = false;
    for (const Case& c : kCases) {
      found |= c.method == e.method && c.path.substr(0, c.path.find('?')) == e.pattern;
    }
    EXPECT_TRUE(found) << e.method << " " << e.pattern << " is missing from the matrix";
  }
  auto rank = [&](const std::string& role) {
    return std::find(kRoles.begin(), kRoles.end(), role) - kRoles.begin();
  };
  for (const Case& c : kCases) {
    for (const std::string& role : kRoles) {
      std::string body = c.body;
      if (size_t at = body.find("{role}"); at != std::string::npos) body.replace(at, 6, role);
      const httplib::Headers& who = sessions[role];
      httplib::Result r =
          c.method == "GET"     ? http_->Get(c.path, who)
          : c.method == "POST"  ? http_->Post(c.path, who, body, c.content_type.c_str())
          : c.method == "PATCH" ? http_->Patch(c.path, who, body, c.content_type.c_str())
          : c.method == "PUT"   ? http_->Put(c.path, who, body, c.content_type.c_str())
                                : http_->Delete(c.path, who);
      ASSERT_TRUE(r) << c.method << " " << c.path;
      const bool allowed = rank(role) >= rank(c.min_role);
      EXPECT_EQ(r->status, allowed ? c.ok_status : 403)
          << role << " " << c.method << " " << c.path << ": " << r->body;
      if (!allowed) EXPECT_EQ(json::parse(r->body)["error"]["type"], "permission_error");
    }
  }
}

TEST_F(TeamIntegrationTest, CrossOrganizationIdsAreNotFound) {
  httplib::Headers a = RegisterAndLogin("owner@a.com");
  httplib::Headers b = RegisterAndLogin("owner@b.com");
  json b_config = Get("/api/config", b);
  std::string b_user = b_config["user"]["id"];
  std::string b_org = b_config["org"]["id"];
  auto token = http_->Post("/api/tokens", b, R"({"name":"b"})", "application/json");
  auto key = http_->Post("/api/keys", b, R"({"name":"b"})", "application/json");
  auto conn = http_->Post("/api/provider-connections", b,
                          R"({"provider":"openai","admin_key":"sk-admin-b"})", "application/json");
  ASSERT_EQ(conn->status, 201);
  std::string token_id = json::parse(token->body)["id"];
  std::string key_id = json::parse(key->body)["id"];
  std::string conn_id = json::parse(conn->body)["id"];
  EXPECT_EQ(http_->Delete("/api/tokens?id=" + token_id, a)->status, 404);
  EXPECT_EQ(http_->Delete("/api/keys?id=" + key_id, a)->status, 404);
  EXPECT_EQ(http_->Delete("/api/provider-connections?id=" + conn_id, a)->status, 404);
  auto alert = http_->Post(
      "/api/alerts", b,
      R"({"kind":"balance","threshold":5,"channel":"webhook","target":"https://h.example/"})",
      "application/json");
  ASSERT_EQ(alert->status, 201);
  std::string alert_id = json::parse(alert->body)["id"];
  EXPECT_EQ(http_->Delete("/api/alerts?id=" + alert_id, a)->status, 404);
  EXPECT_EQ(json::parse(http_->Get("/api/alerts", a)->body)["alerts"].size(), 0u);
  EXPECT_EQ(http_->Delete("/api/alerts?id=" + alert_id, b)->status, 200);
  EXPECT_EQ(http_->Post("/api/provider-connections/sync?id=" + conn_id, a, "", "")->status, 404);
  EXPECT_EQ(http_->Patch("/api/members?id=" + b_user, a, R"({"role":"viewer"})", "application/json")
                ->status,
            404);
  EXPECT_EQ(http_->Delete("/api/members?id=" + b_user, a)->status, 404);
  EXPECT_EQ(
      http_->Post("/api/auth/switch-org", a, json{{"org_id", b_org}}.dump(), "application/json")
          ->status,
      404);
  // B's things are untouched.
  EXPECT_EQ(Get("/api/tokens", b)["tokens"][0]["is_active"], true);
  EXPECT_EQ(Get("/api/members", b)["members"][0]["role"], "owner");
}

TEST_F(TeamIntegrationTest, RolesOwnersAndSwitching) {
  httplib::Headers owner = RegisterAndLogin("owner@a.com");
  httplib::Headers admin = Join(owner, "admin@a.com", "admin");
  httplib::Headers member = Join(owner, "member@a.com", "member");
  json members = Get("/api/members", owner)["members"];
  ASSERT_EQ(members.size(), 3u);
  std::string owner_id = members[0]["id"];
  std::string admin_id = members[1]["id"];
  EXPECT_EQ(members[0]["role"], "owner");
  EXPECT_EQ(members[1]["email"], "admin@a.com");

  // A member revokes what they created, not the owner's.
  std::string owners_key = json::parse(
      http_->Post("/api/keys", owner, R"({"name":"o"})", "application/json")->body)["id"];
  std::string own_key = json::parse(
      http_->Post("/api/keys", member, R"({"name":"m"})", "application/json")->body)["id"];
  EXPECT_EQ(http_->Delete("/api/keys?id=" + owners_key, member)->status, 403);
  EXPECT_EQ(http_->Delete("/api/keys?id=" + own_key, member)->status, 200);
  EXPECT_EQ(http_->Delete("/api/keys?id=" + owners_key, admin)->status, 200);

  // Only owners touch owners; the last owner cannot be demoted or leave.
  auto r = http_->Post("/api/members/invite", admin, R"({"email":"x@a.com","role":"owner"})",
                       "application/json");
  EXPECT_EQ(r->status, 403) << r->body;
  r = http_->Patch("/api/members?id=" + owner_id, admin, R"({"role":"viewer"})",
                   "application/json");
  EXPECT_EQ(r->status, 403);
  r = http_->Patch("/api/members?id=" + owner_id, owner, R"({"role":"admin"})", "application/json");
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(json::parse(r->body)["error"]["message"].get<std::string>(), HasSubstr("last owner"));
  EXPECT_EQ(http_->Delete("/api/members?id=" + owner_id, owner)->status, 400);
  r = http_->Patch("/api/members?id=" + admin_id, owner, R"({"role":"owner"})", "application/json");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["role"], "owner");
  EXPECT_EQ(json::parse(r->body)["previous_role"], "admin");
  EXPECT_EQ(http_->Delete("/api/members?id=" + owner_id, owner)->status, 200);  // leaves
  EXPECT_EQ(http_->Get("/api/tokens", owner)->status, 401);

  // An existing user accepts into a second organization and switches between them.
  httplib::Headers b = RegisterAndLogin("owner@b.com");
  r = http_->Post("/api/members/invite", b, R"({"email":"ADMIN@a.com","role":"viewer"})",
                  "application/json");
  ASSERT_EQ(r->status, 201);
  std::string url = json::parse(r->body)["invite_url"];
  EXPECT_THAT(url, StartsWith("http://127.0.0.1:"));
  EXPECT_THAT(url, HasSubstr("/#/accept-invite?token=inv_"));
  std::string token = url.substr(url.find("token=") + 6);
  r = http_->Post("/api/auth/accept-invite",
                  json{{"token", token}, {"password", "wrong-password"}}.dump(),
                  "application/json");
  EXPECT_EQ(r->status, 403);
  r = http_->Post("/api/auth/accept-invite",
                  json{{"token", token}, {"password", "password123"}}.dump(), "application/json");
  ASSERT_EQ(r->status, 200) << r->body;
  httplib::Headers both = CookieOf(r);
  json config = Get("/api/config", both);
  EXPECT_EQ(config["role"], "viewer");
  ASSERT_EQ(config["orgs"].size(), 2u);
  EXPECT_EQ(config["orgs"][0]["role"], "owner");
  std::string org_a = config["orgs"][0]["id"];
  r = http_->Post("/api/auth/switch-org", both, json{{"org_id", org_a}}.dump(), "application/json");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Get("/api/config", both)["role"], "owner");
  // Single use.
  r = http_->Post("/api/auth/accept-invite",
                  json{{"token", token}, {"password", "password123"}}.dump(), "application/json");
  EXPECT_EQ(r->status, 400);
}

TEST_F(TeamIntegrationTest, AuditLogRecordsAlertsWithoutTheSigningSecret) {
  httplib::Headers owner = RegisterAndLogin("owner@a.com");
  auto r = http_->Post(
      "/api/alerts", owner,
      R"({"kind":"error_rate","threshold":25,"channel":"webhook","target":"https://h.example/"})",
      "application/json");
  ASSERT_EQ(r->status, 201) << r->body;
  json created = json::parse(r->body);
  const std::string secret = created["signing_secret"];
  ASSERT_FALSE(secret.empty());
  EXPECT_EQ(created["kind"], "error_rate");
  EXPECT_EQ(created["threshold"], 25);
  // Listed without the secret.
  r = http_->Get("/api/alerts", owner);
  EXPECT_THAT(r->body, Not(HasSubstr(secret)));
  EXPECT_EQ(json::parse(r->body)["alerts"][0]["id"], created["id"]);
  ASSERT_EQ(http_->Delete("/api/alerts?id=" + created["id"].get<std::string>(), owner)->status,
            200);
  r = http_->Get("/api/audit", owner);
  ASSERT_EQ(r->status, 200);
  EXPECT_THAT(r->body, Not(HasSubstr(secret)));
  json items = json::parse(r->body)["items"];
  ASSERT_GE(items.size(), 2u);
  EXPECT_EQ(items[0]["action"], "alert.delete");
  EXPECT_EQ(items[0]["target"], created["id"]);
  EXPECT_EQ(items[1]["action"], "alert.create");
  EXPECT_EQ(items[1]["target"], created["id"]);
  EXPECT_EQ(items[1]["details"]["request"]["kind"], "error_rate");
}

TEST_F(TeamIntegrationTest, AuditLogRecordsEveryActionWithoutSecrets) {
  httplib::Headers owner = RegisterAndLogin("owner@a.com");
  std::vector<std::string> secrets;
  auto r = http_->Post("/api/tokens", owner, R"({"name":"ci"})", "application/json");
  secrets.push_back(json::parse(r->body)["token"]);
  std::string token_id = json::parse(r->body)["id"];
  r = http_->Post("/api/keys", owner, R"({"name":"prod"})", "application/json");
  secrets.push_back(json::parse(r->body)["key"]);
  r = http_->Post("/api/provider-connections", owner,
                  R"({"provider":"openai","admin_key":"sk-admin-very-secret-value"})",
                  "application/json");
  ASSERT_EQ(r->status, 201);
  secrets.push_back("sk-admin-very-secret-value");
  r = http_->Post("/api/members/invite", owner, R"({"email":"bob@a.com","role":"admin"})",
                  "application/json");
  std::string url = json::parse(r->body)["invite_url"];
  std::string invite_token = url.substr(url.find("token=") + 6);
  secrets.push_back(invite_token);
  r = http_->Post(
      "/api/auth/accept-invite",
      json{{"token", invite_token}, {"name", "Bob"}, {"password", "bob-password-1"}}.dump(),
      "application/json");
  ASSERT_EQ(r->status, 200);
  secrets.push_back("bob-password-1");
  secrets.push_back("password123");
  httplib::Headers bob = CookieOf(r);
  secrets.push_back(bob.begin()->second.substr(8));  // the session token
  std::string bob_id = Get("/api/config", bob)["user"]["id"];
  ASSERT_EQ(http_->Delete("/api/tokens?id=" + token_id, bob)->status, 200);
  ASSERT_EQ(
      http_->Patch("/api/members?id=" + bob_id, owner, R"({"role":"member"})", "application/json")
          ->status,
      200);
  ASSERT_EQ(
      http_->Post("/api/balance/charge", owner, R"({"amount":2.5})", "application/json")->status,
      200);
  // Refused and failed calls are not actions.
  ASSERT_EQ(http_->Post("/api/keys", bob, "{}", "text/plain")->status, 415);

  r = http_->Get("/api/audit", owner);
  ASSERT_EQ(r->status, 200) << r->body;
  for (const std::string& secret : secrets) {
    EXPECT_THAT(r->body, Not(HasSubstr(secret)));
  }
  json items = json::parse(r->body)["items"];
  std::vector<std::string> actions;
  for (const json& item : items) actions.push_back(item["action"]);
  EXPECT_THAT(actions, ::testing::ElementsAre(
                           "balance.top_up", "member.role_change", "monitor_token.revoke",
                           "member.join", "member.invite", "provider_connection.create",
                           "api_key.create", "monitor_token.create", "login.new_address"));
  EXPECT_EQ(items[1]["actor_email"], "owner@a.com");
  EXPECT_EQ(items[1]["target"], bob_id);
  EXPECT_EQ(items[1]["details"]["before"]["role"], "admin");
  EXPECT_EQ(items[1]["details"]["after"]["role"], "member");
  EXPECT_EQ(items[2]["actor_email"], "bob@a.com");
  EXPECT_EQ(items[2]["target"], token_id);
  EXPECT_EQ(items[2]["details"]["after"]["is_active"], false);
  EXPECT_EQ(items[3]["target"], "bob@a.com");
  EXPECT_EQ(items[4]["target"], "bob@a.com");
  EXPECT_EQ(items[4]["details"]["request"]["role"], "admin");
  EXPECT_EQ(items[8]["target"], "127.0.0.1");
  EXPECT_EQ(items[8]["actor_email"], "owner@a.com");
  EXPECT_THAT(items[0]["at"].get<std::string>(), StartsWith("20"));
  // Pages.
  r = http_->Get("/api/audit?limit=4", owner);
  json page = json::parse(r->body);
  ASSERT_EQ(page["items"].size(), 4u);
  r = http_->Get("/api/audit?limit=50&before=" + page["next_before"].get<std::string>(), owner);
  EXPECT_EQ(json::parse(r->body)["items"][0]["action"], "member.invite");
  EXPECT_EQ(http_->Get("/api/audit?before=x", owner)->status, 400);
}

}  // namespace
}  // namespace llmgw::dashboard

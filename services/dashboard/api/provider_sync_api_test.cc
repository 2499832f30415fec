// The provider bills endpoints through DashboardApi over HTTP, with fake clients: session
// required, the organization's own connections only, status codes and bodies of API.md.

#include <httplib.h>

#include <memory>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "services/dashboard/api/dashboard_api.h"
#include "services/dashboard/api/dashboard_server.h"
#include "services/dashboard/clients/fake_clients.h"
#include "services/dashboard/clients/fake_provider_sync_client.h"

namespace llmgw::dashboard {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kNow = 1'722'513'600'000;  // 2024-08-01T12:00:00Z
constexpr int64_t kDayMs = 86'400'000;
constexpr char kAdminKey[] = "sk-admin-DASHBOARD-0123456789";

class ProviderSyncApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    api_ = std::make_unique<DashboardApi>(accounts_, billing_, metering_, clock_,
                                          DashboardOptions{}, nullptr, &sync_);
    auto server = DashboardServer::Start(*api_, {.address = "127.0.0.1:0", .workers = 4});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    int port = server_->port();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port);
    session_ = SignUp("a@example.com");
    other_ = SignUp("b@example.com");
  }
  void TearDown() override {
    server_.reset();
  }

  std::string SignUp(const std::string& email) {
    EXPECT_EQ(
        client_
            ->Post("/api/auth/register",
                   json{{"name", email}, {"email", email}, {"password", "password123"}}.dump(),
                   "application/json")
            ->status,
        201);
    auto login =
        client_->Post("/api/auth/login", json{{"email", email}, {"password", "password123"}}.dump(),
                      "application/json");
    std::string cookie = login->get_header_value("Set-Cookie");
    return cookie.substr(0, cookie.find(';'));
  }
  httplib::Headers As(const std::string& session) { return {{"Cookie", session}}; }
  static json Body(const httplib::Result& r) { return json::parse(r->body); }

  std::string Connect(const std::string& session, const std::string& key = kAdminKey) {
    auto r =
        client_->Post("/api/provider-connections", As(session),
                      json{{"provider", "openai"}, {"admin_key", key}}.dump(), "application/json");
    EXPECT_EQ(r->status, 201) << r->body;
    return Body(r)["id"];
  }

  FakeClock clock_{kNow};
  FakeAccountsClient accounts_{clock_};
  FakeBillingClient billing_{clock_};
  FakeMeteringClient metering_;
  FakeProviderSyncClient sync_;
  std::unique_ptr<DashboardApi> api_;
  std::unique_ptr<DashboardServer> server_;
  std::unique_ptr<httplib::Client> client_;
  std::string session_;
  std::string other_;
};

TEST_F(ProviderSyncApiTest, EveryEndpointNeedsASession) {
  struct Call {
    const char* method;
    const char* path;
  };
  for (const Call& c :
       {Call{"GET", "/api/provider-connections"}, Call{"POST", "/api/provider-connections"},
        Call{"DELETE", "/api/provider-connections?id=x"},
        Call{"POST", "/api/provider-connections/sync?id=x"},
        Call{"POST", "/api/provider-usage/import"}, Call{"GET", "/api/reconciliation"}}) {
    httplib::Request req;
    req.method = c.method;
    req.path = c.path;
    auto r = client_->send(req);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << c.method << " " << c.path;
    EXPECT_EQ(Body(r)["error"]["type"], "authentication_error");
  }
  EXPECT_TRUE(sync_.seen_keys.empty());
}

TEST_F(ProviderSyncApiTest, ConnectListSyncRemove) {
  auto r = client_->Post("/api/provider-connections", As(session_),
                         json{{"provider", "openai"}, {"admin_key", kAdminKey}}.dump(),
                         "application/json");
  ASSERT_EQ(r->status, 201) << r->body;
  json created = Body(r);
  EXPECT_EQ(created["provider"], "openai");
  EXPECT_EQ(created["key_prefix"], "sk-admin-DAS");
  EXPECT_EQ(created["status"], "pending");
  EXPECT_TRUE(created["last_sync_at"].is_null());
  EXPECT_TRUE(created["last_error"].is_null());
  EXPECT_THAT(r->body, Not(HasSubstr(kAdminKey)));
  EXPECT_THAT(sync_.seen_keys, ElementsAre(kAdminKey));
  std::string id = created["id"];

  r = client_->Get("/api/provider-connections", As(session_));
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(Body(r), json({{"connections", json::array({created})}}));
  EXPECT_EQ(Body(client_->Get("/api/provider-connections", As(other_))),
            json({{"connections", json::array()}}));

  // Another organization can neither sync nor remove it.
  EXPECT_EQ(client_->Post("/api/provider-connections/sync?id=" + id, As(other_), "", "")->status,
            404);
  EXPECT_EQ(client_->Delete("/api/provider-connections?id=" + id, As(other_))->status, 404);
  EXPECT_EQ(client_->Post("/api/provider-connections/sync?id=nope", As(session_), "", "")->status,
            404);
  r = client_->Post("/api/provider-connections/sync", As(session_), "", "");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Body(r)["error"]["message"], "id is required");

  r = client_->Post("/api/provider-connections/sync?id=" + id, As(session_), "", "");
  EXPECT_EQ(r->status, 202);
  EXPECT_EQ(Body(r)["id"], id);
  EXPECT_THAT(sync_.synced, ElementsAre(id));

  r = client_->Delete("/api/provider-connections?id=" + id, As(session_));
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Body(r)["id"], id);
  EXPECT_EQ(client_->Delete("/api/provider-connections?id=" + id, As(session_))->status, 404);
  EXPECT_EQ(Body(client_->Get("/api/provider-connections", As(session_))),
            json({{"connections", json::array()}}));
}

TEST_F(ProviderSyncApiTest, RefusalsCarryTheReasonNeverTheKey) {
  auto r =
      client_->Post("/api/provider-connections", As(session_),
                    json{{"provider", "openai"}, {"admin_key", "sk-admin-refused-123456"}}.dump(),
                    "application/json");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(
      Body(r),
      json({{"error",
             {{"message", "OpenAI refused the admin key (HTTP 401: Incorrect API key provided)"},
              {"type", "invalid_request_error"}}}}));
  EXPECT_THAT(r->body, Not(HasSubstr("sk-admin-refused")));
  Connect(session_);
  r = client_->Post("/api/provider-connections", As(session_),
                    json{{"provider", "openai"}, {"admin_key", kAdminKey}}.dump(),
                    "application/json");
  EXPECT_EQ(r->status, 409);
  EXPECT_EQ(Body(r)["error"]["message"],
            "this admin key is already connected to this organization");
  r = client_->Post("/api/provider-connections", As(session_), R"({"provider":"openai"})",
                    "application/json");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Body(r)["error"]["message"], "admin_key is required and must be a string");
  sync_.fail_with = absl::UnavailableError("metering down");
  r = client_->Get("/api/provider-connections", As(session_));
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->get_header_value("Retry-After"), "1");
}

TEST_F(ProviderSyncApiTest, CsvImport) {
  std::string csv =
      "date,provider,model,input_tokens,cached_input_tokens,output_tokens,cost_usd\n"
      "2024-08-01,google,gemini-1.5-flash,1000,0,100,0.000105\n";
  auto r = client_->Post("/api/provider-usage/import", As(session_), csv, "text/csv");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Body(r), json({{"imported_rows", 2}}));
  EXPECT_EQ(sync_.last_csv, csv);
  r = client_->Post("/api/provider-usage/import", As(session_), csv + "BAD", "text/csv");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Body(r), json({{"error",
                            {{"message", "line 3: output_tokens must be a whole number"},
                             {"type", "invalid_request_error"},
                             {"line", 3}}}}));
  r = client_->Post("/api/provider-usage/import", As(session_), "{}", "application/json");
  EXPECT_EQ(r->status, 415);
  EXPECT_EQ(Body(r)["error"]["message"], "the body must be text/csv");
}

TEST_F(ProviderSyncApiTest, Reconciliation) {
  ReconciliationRow row;
  row.day_unix_ms = kNow / kDayMs * kDayMs;
  row.provider = "openai";
  row.model = "gpt-4o-mini";
  row.provider_cost_nano = 10;
  row.drift_cost_nano = 10;
  row.unmetered_cost_nano = 10;
  sync_.rows = {row};
  auto r = client_->Get("/api/reconciliation", As(session_));
  ASSERT_EQ(r->status, 200) << r->body;
  json b = Body(r);
  EXPECT_EQ(b["from"], "2024-07-03");
  EXPECT_EQ(b["to"], "2024-08-01");
  ASSERT_EQ(b["rows"].size(), 1u);
  EXPECT_EQ(b["rows"][0]["date"], "2024-08-01");
  EXPECT_EQ(b["rows"][0]["unmetered_cost_nano"], 10);
  EXPECT_EQ(b["rows"][0]["drift_cost_usd"], "0.000000010");
  EXPECT_EQ(sync_.last_range.to_day_ms - sync_.last_range.from_day_ms, 30 * kDayMs);

  r = client_->Get("/api/reconciliation?from=2024-07-01&to=2024-07-02", As(session_));
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(Body(r)["from"], "2024-07-01");
  EXPECT_EQ(sync_.last_range.to_day_ms - sync_.last_range.from_day_ms, 2 * kDayMs);
  r = client_->Get("/api/reconciliation?from=2024-07-05&to=2024-07-02", As(session_));
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Body(r)["error"]["message"], "from must not be after to");
}

}  // namespace
}  // namespace llmgw::dashboard

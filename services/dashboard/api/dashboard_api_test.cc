#include "services/dashboard/api/dashboard_api.h"

#include <httplib.h>

#include <memory>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "services/dashboard/clients/fake_clients.h"

namespace llmgw::dashboard {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kNow = 1'700'000'000'000;  // 2023-11-14T22:13:20Z

class DashboardApiTest : public ::testing::Test {
 protected:
  void Start(DashboardOptions options = {}) {
    api_ = std::make_unique<DashboardApi>(accounts_, billing_, metering_, clock_, options);
    server_ = std::make_unique<httplib::Server>();
    ConfigureHttpServer(*server_, 4);
    api_->RegisterRoutes(*server_);
    port_ = server_->bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
  }
  void SetUp() override { Start(); }
  void TearDown() override {
    if (server_ != nullptr) server_->stop();
    if (thread_.joinable()) thread_.join();
  }
  // Restarts with other options (same fakes).
  void Restart(DashboardOptions options) {
    TearDown();
    Start(options);
  }

  httplib::Headers WithSession(const std::string& session) {
    return {{"Cookie", "theme=dark; session=" + session}};
  }

  // Registers and logs in; returns the session token.
  std::string SignUp(const std::string& email, std::string* org_id = nullptr) {
    auto reg = client_->Post(
        "/api/auth/register",
        json{{"name", "Org " + email}, {"email", email}, {"password", "password123"}}.dump(),
        "application/json");
    EXPECT_EQ(reg->status, 201);
    if (org_id != nullptr) *org_id = json::parse(reg->body)["org"]["id"];
    auto login =
        client_->Post("/api/auth/login", json{{"email", email}, {"password", "password123"}}.dump(),
                      "application/json");
    EXPECT_EQ(login->status, 200);
    std::string cookie = login->get_header_value("Set-Cookie");
    size_t start = cookie.find('=') + 1;
    return cookie.substr(start, cookie.find(';') - start);
  }

  static json Body(const httplib::Result& r) { return json::parse(r->body); }
  static json Error(const std::string& message, const std::string& type) {
    return json{{"error", {{"message", message}, {"type", type}}}};
  }

  FakeClock clock_{kNow};
  FakeAccountsClient accounts_{clock_};
  FakeBillingClient billing_{clock_};
  FakeMeteringClient metering_;
  std::unique_ptr<DashboardApi> api_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(DashboardApiTest, HealthAndReadiness) {
  auto r = client_->Get("/healthz");
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Body(r), json({{"status", "ok"}}));
  EXPECT_EQ(client_->Get("/readyz")->status, 200);
  accounts_.healthy = false;
  r = client_->Get("/readyz");
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(Body(r), json({{"status", "unavailable"}}));
}

TEST_F(DashboardApiTest, Register) {
  auto r = client_->Post("/api/auth/register",
                         R"({"name":"Test","email":"test@test.com","password":"password123"})",
                         "application/json");
  ASSERT_EQ(r->status, 201);
  json body = Body(r);
  EXPECT_EQ(body, json::parse(R"({"org":{"id":")" + body["org"]["id"].get<std::string>() +
                              R"(","name":"Test","email":"test@test.com"}})"));
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");

  r = client_->Post("/api/auth/register",
                    R"({"name":"Other","email":"test@test.com","password":"password123"})",
                    "application/json");
  EXPECT_EQ(r->status, 409);
  EXPECT_EQ(Body(r), Error("an organization with this email already exists", "conflict_error"));

  r = client_->Post("/api/auth/register",
                    R"({"name":"Test","email":"x@test.com","password":"short"})",
                    "application/json");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Body(r), Error("password must be at least 8 characters", "invalid_request_error"));

  r = client_->Post("/api/auth/register", "{nope", "application/json");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Body(r), Error("request body must be a JSON object", "invalid_request_error"));
}

TEST_F(DashboardApiTest, LoginSetsTheSessionCookie) {
  SignUp("a@test.com");
  auto r = client_->Post("/api/auth/login", R"({"email":"a@test.com","password":"password123"})",
                         "application/json");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(Body(r)["org"]["email"], "a@test.com");
  EXPECT_EQ(Body(r)["org"].size(), 3u);
  std::string cookie = r->get_header_value("Set-Cookie");
  EXPECT_THAT(cookie, StartsWith("session=sess_"));
  std::string token = cookie.substr(8, cookie.find(';') - 8);
  EXPECT_EQ(cookie, "session=" + token + "; HttpOnly; SameSite=Lax; Path=/; Max-Age=86400");

  r = client_->Post("/api/auth/login", R"({"email":"a@test.com","password":"wrong-password"})",
                    "application/json");
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(Body(r), Error("invalid email or password", "authentication_error"));
  EXPECT_FALSE(r->has_header("Set-Cookie"));

  accounts_.throttle_login = true;
  r = client_->Post("/api/auth/login", R"({"email":"a@test.com","password":"password123"})",
                    "application/json");
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(Body(r), Error("too many failed login attempts; try again later", "rate_limit_error"));
}

TEST_F(DashboardApiTest, SecureCookieWhenConfigured) {
  Restart({.cookie_secure = true});
  SignUp("s@test.com");
  auto r = client_->Post("/api/auth/login", R"({"email":"s@test.com","password":"password123"})",
                         "application/json");
  std::string cookie = r->get_header_value("Set-Cookie");
  std::string token = cookie.substr(8, cookie.find(';') - 8);
  EXPECT_EQ(cookie, "session=" + token + "; HttpOnly; SameSite=Lax; Path=/; Max-Age=86400; Secure");
}

TEST_F(DashboardApiTest, EveryOtherEndpointNeedsASession) {
  const std::vector<std::pair<std::string, std::string>> endpoints = {
      {"POST", "/api/auth/logout"},
      {"GET", "/api/config"},
      {"GET", "/api/tokens"},
      {"POST", "/api/tokens"},
      {"DELETE", "/api/tokens?id=00000000-0000-4000-8000-000000000001"},
      {"GET", "/api/keys"},
      {"POST", "/api/keys"},
      {"DELETE", "/api/keys?id=00000000-0000-4000-8000-000000000001"},
      {"GET", "/api/balance"},
      {"POST", "/api/balance/charge"},
      {"GET", "/api/balance/transactions"},
      {"GET", "/api/stats/summary"},
      {"GET", "/api/stats/by-model"},
      {"GET", "/api/stats/by-provider"},
      {"GET", "/api/stats/timeseries"},
      {"GET", "/api/usage"},
  };
  for (const auto& [method, path] : endpoints) {
    for (const httplib::Headers& headers : {httplib::Headers{}, WithSession("sess_bogus"),
                                            httplib::Headers{{"Authorization", "Bearer sess_1"}}}) {
      httplib::Result r = method == "GET" ? client_->Get(path, headers)
                          : method == "POST"
                              ? client_->Post(path, headers, "{}", "application/json")
                              : client_->Delete(path, headers);
      ASSERT_TRUE(r) << path;
      EXPECT_EQ(r->status, 401) << method << " " << path;
      json body = Body(r);
      EXPECT_EQ(body["error"]["type"], "authentication_error") << path;
    }
  }
  auto r = client_->Get("/api/tokens");
  EXPECT_EQ(Body(r), Error("not logged in", "authentication_error"));
  r = client_->Get("/api/tokens", WithSession("sess_bogus"));
  EXPECT_EQ(Body(r), Error("invalid or expired session", "authentication_error"));
}

TEST_F(DashboardApiTest, ExpiredSessionIs401) {
  std::string session = SignUp("e@test.com");
  EXPECT_EQ(client_->Get("/api/tokens", WithSession(session))->status, 200);
  clock_.Advance(std::chrono::hours(25));
  EXPECT_EQ(client_->Get("/api/tokens", WithSession(session))->status, 401);
}

TEST_F(DashboardApiTest, LogoutRevokesTheSession) {
  std::string session = SignUp("l@test.com");
  auto r = client_->Post("/api/auth/logout", WithSession(session), "", "application/json");
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(r->body, "");
  EXPECT_EQ(r->get_header_value("Set-Cookie"),
            "session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0");
  EXPECT_EQ(client_->Get("/api/tokens", WithSession(session))->status, 401);
}

TEST_F(DashboardApiTest, MonitorTokens) {
  std::string session = SignUp("t@test.com");
  auto r =
      client_->Post("/api/tokens", WithSession(session), R"({"name":"prod"})", "application/json");
  ASSERT_EQ(r->status, 201);
  json created = Body(r);
  std::string id = created["id"];
  std::string secret = created["token"];
  EXPECT_THAT(secret, StartsWith("mon_sk_"));
  std::string me = Body(client_->Get("/api/config", WithSession(session)))["user"]["id"];
  EXPECT_EQ(created["created_by"], me);
  created.erase("created_by");
  EXPECT_TRUE(created["limits"]["rpm"].is_null());
  created.erase("limits");
  EXPECT_EQ(created, json({{"id", id},
                           {"name", "prod"},
                           {"prefix", secret.substr(0, 11)},
                           {"is_active", true},
                           {"last_used_at", nullptr},
                           {"created_at", "2023-11-14T22:13:20Z"},
                           {"token", secret}}));

  accounts_.Touch(id, kNow + 1500);
  r = client_->Get("/api/tokens", WithSession(session));
  ASSERT_EQ(r->status, 200);
  json listed = Body(r);
  EXPECT_EQ(listed["tokens"][0]["created_by"], me);
  listed["tokens"][0].erase("created_by");
  EXPECT_EQ(listed["tokens"][0]["usage"]["minute_requests"], 0);
  listed["tokens"][0].erase("limits");
  listed["tokens"][0].erase("usage");
  EXPECT_EQ(listed, json({{"tokens",
                           {{{"id", id},
                             {"name", "prod"},
                             {"prefix", secret.substr(0, 11)},
                             {"is_active", true},
                             {"last_used_at", "2023-11-14T22:13:21.500Z"},
                             {"created_at", "2023-11-14T22:13:20Z"}}}}}));
  EXPECT_THAT(r->body, ::testing::Not(HasSubstr(secret)));

  // Another organization sees none of it and cannot revoke it.
  std::string other = SignUp("other@test.com");
  EXPECT_EQ(Body(client_->Get("/api/tokens", WithSession(other))),
            json({{"tokens", json::array()}}));
  r = client_->Delete("/api/tokens?id=" + id, WithSession(other));
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(Body(r), Error("token not found", "not_found_error"));
  EXPECT_EQ(client_->Delete("/api/tokens?id=not-a-uuid", WithSession(session))->status, 404);
  r = client_->Delete("/api/tokens", WithSession(session));
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Body(r), Error("id is required", "invalid_request_error"));

  r = client_->Delete("/api/tokens?id=" + id, WithSession(session));
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(Body(r)["id"], id);
  EXPECT_EQ(Body(r)["is_active"], false);
  EXPECT_FALSE(Body(r).contains("token"));
  EXPECT_EQ(Body(client_->Get("/api/tokens", WithSession(session)))["tokens"][0]["is_active"],
            false);
}

TEST_F(DashboardApiTest, CredentialNamesAreValidated) {
  std::string session = SignUp("n@test.com");
  for (const char* body : {R"({"name":""})", R"({})", R"({"name":5})", "nope"}) {
    auto r = client_->Post("/api/tokens", WithSession(session), body, "application/json");
    EXPECT_EQ(r->status, 400) << body;
    EXPECT_EQ(Body(r)["error"]["type"], "invalid_request_error");
  }
  auto r = client_->Post("/api/keys", WithSession(session),
                         json{{"name", std::string(101, 'x')}}.dump(), "application/json");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Body(r), Error("name must be 1 to 100 characters of text without control characters",
                           "invalid_request_error"));
}

TEST_F(DashboardApiTest, ApiKeys) {
  std::string session = SignUp("k@test.com");
  auto r = client_->Post("/api/keys", WithSession(session), R"({"name":"reseller"})",
                         "application/json");
  ASSERT_EQ(r->status, 201);
  std::string id = Body(r)["id"];
  EXPECT_THAT(Body(r)["key"].get<std::string>(), StartsWith("llm_sk_"));
  EXPECT_FALSE(Body(r).contains("token"));
  r = client_->Get("/api/keys", WithSession(session));
  ASSERT_EQ(r->status, 200);
  ASSERT_EQ(Body(r)["keys"].size(), 1u);
  EXPECT_EQ(Body(r)["keys"][0]["id"], id);
  EXPECT_FALSE(Body(r)["keys"][0].contains("key"));
  std::string other = SignUp("k2@test.com");
  r = client_->Delete("/api/keys?id=" + id, WithSession(other));
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(Body(r), Error("key not found", "not_found_error"));
  r = client_->Delete("/api/keys?id=" + id, WithSession(session));
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Body(r)["is_active"], false);
}

TEST_F(DashboardApiTest, Balance) {
  std::string org_id;
  std::string session = SignUp("b@test.com", &org_id);
  billing_.SetBalance(org_id, {12'500'000'000, 300'000'000});
  auto r = client_->Get("/api/balance", WithSession(session));
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(Body(r), json::parse(R"({"balance_nano":12500000000,"balance_usd":"12.500000000",
                                    "held_nano":300000000,"held_usd":"0.300000000"})"));
}

TEST_F(DashboardApiTest, SelfTopUpDisabledByDefault) {
  std::string session = SignUp("off@test.com");
  auto r = client_->Post("/api/balance/charge", WithSession(session), R"({"amount":10})",
                         "application/json");
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(Body(r), Error("self top-up is disabled; ask an operator", "permission_error"));
  EXPECT_TRUE(billing_.charge_keys().empty());
}

TEST_F(DashboardApiTest, SelfTopUpEnabled) {
  Restart({.self_topup = true});
  std::string org_id;
  std::string session = SignUp("on@test.com", &org_id);
  billing_.SetBalance(org_id, {1'000'000'000, 0});
  httplib::Headers headers = WithSession(session);
  headers.emplace("Idempotency-Key", "topup-1");
  auto r = client_->Post("/api/balance/charge", headers, R"({"amount":10.5})", "application/json");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Body(r), json::parse(R"({"balance_nano":11500000000,"balance_usd":"11.500000000",
      "transaction":{"id":"tx-1","type":"charge","amount_nano":10500000000,
      "amount_usd":"10.500000000","balance_after_nano":11500000000,
      "balance_after_usd":"11.500000000","description":"self top-up from the dashboard",
      "created_at":"2023-11-14T22:13:20Z"}})"));
  // The same key again: billing returns the first result, the balance moves once.
  r = client_->Post("/api/balance/charge", headers, R"({"amount":10.5})", "application/json");
  EXPECT_EQ(Body(r)["balance_nano"], 11'500'000'000);
  EXPECT_THAT(billing_.charge_keys(),
              ElementsAre("dashboard:" + org_id + ":topup-1", "dashboard:" + org_id + ":topup-1"));
  // Without a key, each request gets a fresh one.
  r = client_->Post("/api/balance/charge", WithSession(session), R"({"amount":0.000000001})",
                    "application/json");
  EXPECT_EQ(Body(r)["balance_nano"], 11'500'000'001);
  r = client_->Post("/api/balance/charge", WithSession(session), R"({"amount":0.000000001})",
                    "application/json");
  EXPECT_EQ(Body(r)["balance_nano"], 11'500'000'002);
  EXPECT_NE(billing_.charge_keys()[2], billing_.charge_keys()[3]);

  for (const char* bad : {R"({"amount":1e3})", R"({"amount":-1})", R"({"amount":0})",
                          R"({"amount":10.0000000001})", R"({"amount":"10"})", R"({})"}) {
    r = client_->Post("/api/balance/charge", WithSession(session), bad, "application/json");
    EXPECT_EQ(r->status, 400) << bad;
    EXPECT_EQ(Body(r)["error"]["type"], "invalid_request_error") << bad;
  }
  EXPECT_EQ(billing_.charge_keys().size(), 4u);
}

TEST_F(DashboardApiTest, Transactions) {
  std::string org_id;
  std::string session = SignUp("tx@test.com", &org_id);
  billing_.AddTransaction(org_id, {"t1", TransactionType::kCharge, 5'000'000'000, 5'000'000'000,
                                   "top-up", kNow - 2000});
  billing_.AddTransaction(
      org_id, {"t2", TransactionType::kUsage, -1'234, 4'999'998'766, "gpt-4o", kNow - 1000});
  auto r = client_->Get("/api/balance/transactions?limit=10", WithSession(session));
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(billing_.last_limit(), 10);
  EXPECT_EQ(Body(r), json::parse(R"({"transactions":[
      {"id":"t2","type":"usage","amount_nano":-1234,"amount_usd":"-0.000001234",
       "balance_after_nano":4999998766,"balance_after_usd":"4.999998766",
       "description":"gpt-4o","created_at":"2023-11-14T22:13:19Z"},
      {"id":"t1","type":"charge","amount_nano":5000000000,"amount_usd":"5.000000000",
       "balance_after_nano":5000000000,"balance_after_usd":"5.000000000",
       "description":"top-up","created_at":"2023-11-14T22:13:18Z"}]})"));
  EXPECT_EQ(client_->Get("/api/balance/transactions", WithSession(session))->status, 200);
  EXPECT_EQ(billing_.last_limit(), 50);
  EXPECT_EQ(client_->Get("/api/balance/transactions?limit=0", WithSession(session))->status, 400);
  EXPECT_EQ(client_->Get("/api/balance/transactions?limit=x", WithSession(session))->status, 400);
}

TEST_F(DashboardApiTest, StatsShapes) {
  std::string org_id;
  std::string session = SignUp("st@test.com", &org_id);
  metering_.summary = {
      {3, 30, 60, 900, 750, 150}, {1, 10, 20, 300, 0, 0}, {2, 20, 40, 600, 500, 100}};
  metering_.models = {{"openai", "gpt-4o", {2, 20, 40, 600, 0, 0}}};
  metering_.providers = {{"openai", {2, 20, 40, 600, 0, 0}}};
  metering_.points = {{1'699'920'000'000, {3, 30, 60, 900, 0, 0}}};

  auto r = client_->Get("/api/stats/summary", WithSession(session));
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(Body(r), json::parse(R"({"requests":3,"input_tokens":30,"output_tokens":60,
      "cost_nano":900,"cost_usd":"0.000000900","errors":0,"by_mode":{
      "passthrough":{"requests":1,"input_tokens":10,"output_tokens":20,"cost_nano":300,
        "cost_usd":"0.000000300","errors":0},
      "reseller":{"requests":2,"input_tokens":20,"output_tokens":40,"cost_nano":600,
        "cost_usd":"0.000000600","errors":0,"provider_cost_nano":500,"provider_cost_usd":"0.000000500",
        "margin_nano":100,"margin_usd":"0.000000100"}}})"));
  EXPECT_EQ(metering_.asked().org_id, org_id);
  EXPECT_EQ(metering_.asked().range.to_unix_ms, kNow);
  EXPECT_EQ(metering_.asked().range.from_unix_ms, kNow - 30LL * 86'400'000);

  r = client_->Get("/api/stats/by-model?from=2023-11-01T00:00:00Z&to=2023-11-02T00:00:00Z",
                   WithSession(session));
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(Body(r), json::parse(R"({"models":[{"provider":"openai","model":"gpt-4o",
      "requests":2,"input_tokens":20,"output_tokens":40,"cost_nano":600,
      "cost_usd":"0.000000600","errors":0}]})"));
  EXPECT_EQ(metering_.asked().range.from_unix_ms, 1'698'796'800'000);
  EXPECT_EQ(metering_.asked().range.to_unix_ms, 1'698'883'200'000);

  r = client_->Get("/api/stats/by-provider", WithSession(session));
  EXPECT_EQ(Body(r), json::parse(R"({"providers":[{"provider":"openai","requests":2,
      "input_tokens":20,"output_tokens":40,"cost_nano":600,"cost_usd":"0.000000600","errors":0}]})"));

  r = client_->Get("/api/stats/timeseries?bucket=hour", WithSession(session));
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(metering_.asked().bucket, Bucket::kHour);
  EXPECT_EQ(Body(r), json::parse(R"({"points":[{"ts":"2023-11-14T00:00:00Z","requests":3,
      "input_tokens":30,"output_tokens":60,"cost_nano":900,"cost_usd":"0.000000900","errors":0}]})"));
  client_->Get("/api/stats/timeseries", WithSession(session));
  EXPECT_EQ(metering_.asked().bucket, Bucket::kDay);

  r = client_->Get("/api/stats/timeseries?bucket=week", WithSession(session));
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Body(r), Error("bucket must be hour or day", "invalid_request_error"));
  r = client_->Get("/api/stats/summary?from=yesterday", WithSession(session));
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Body(r), Error("from must be an RFC 3339 timestamp such as 2024-01-31T00:00:00Z",
                           "invalid_request_error"));
}

TEST_F(DashboardApiTest, UsagePages) {
  std::string org_id;
  std::string session = SignUp("u@test.com", &org_id);
  metering_.rows = {{"req-2", Mode::kReseller, "anthropic", "claude-3-5-haiku-20241022", 1, 2, 120,
                     100, 20, 50, 200, false, kNow - 1000},
                    {"req-1", Mode::kPassthrough, "openai", "gpt-4o", 10, 20, 300, 0, 0, 120, 200,
                     true, kNow - 2500}};
  auto r = client_->Get("/api/usage", WithSession(session));
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(metering_.usage_queries().front().limit, 50);
  EXPECT_EQ(metering_.usage_queries().front().before_unix_ms, 0);
  EXPECT_EQ(Body(r), json::parse(R"({"items":[
      {"request_id":"req-2","mode":"reseller","provider":"anthropic",
       "model":"claude-3-5-haiku-20241022","input_tokens":1,"output_tokens":2,
       "cached_input_tokens":0,"cache_write_tokens":0,"reasoning_tokens":0,"cost_nano":120,
       "cost_usd":"0.000000120","unpriced":false,"price_id":0,
       "provider_cost_nano":100,"provider_cost_usd":"0.000000100",
       "margin_nano":20,"margin_usd":"0.000000020","latency_ms":50,"status_code":200,
       "is_streaming":false,"requested_at":"2023-11-14T22:13:19Z","credential_id":"",
       "endpoint":"","ttft_ms":0,"incomplete":false,"cache_write_1h_tokens":0},
      {"request_id":"req-1","mode":"passthrough","provider":"openai","model":"gpt-4o",
       "input_tokens":10,"output_tokens":20,"cached_input_tokens":0,"cache_write_tokens":0,
       "reasoning_tokens":0,"cost_nano":300,"cost_usd":"0.000000300","unpriced":false,
       "price_id":0,"latency_ms":120,"status_code":200,"is_streaming":true,
       "requested_at":"2023-11-14T22:13:17.500Z","credential_id":"","endpoint":"","ttft_ms":0,
       "incomplete":false,"cache_write_1h_tokens":0}],"next_before":null})"));
  // Keyset paging: a full page names its cursor, the last page has none.
  r = client_->Get("/api/usage?limit=1", WithSession(session));
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(Body(r)["items"][0]["request_id"], "req-2");
  EXPECT_EQ(Body(r)["next_before"], "2023-11-14T22:13:19Z");
  r = client_->Get("/api/usage?limit=2&before=2023-11-14T22:13:19Z", WithSession(session));
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(metering_.usage_queries().back().before_unix_ms, kNow - 2500);  // the probe
  EXPECT_EQ(Body(r)["items"].size(), 1u);
  EXPECT_EQ(Body(r)["next_before"], nullptr);
  // Filters reach metering.
  r = client_->Get("/api/usage?mode=reseller&provider=anthropic&model=m&status=error&streaming=false"
                   "&credential_id=123e4567-e89b-12d3-a456-426614174000",
                   WithSession(session));
  ASSERT_EQ(r->status, 200);
  UsageQuery q = metering_.usage_queries().back();
  EXPECT_EQ(q.mode, Mode::kReseller);
  EXPECT_EQ(q.provider, "anthropic");
  EXPECT_EQ(q.model, "m");
  EXPECT_EQ(q.status_min, 400);
  EXPECT_EQ(q.status_max, 999);
  EXPECT_EQ(q.streaming, 0);
  EXPECT_EQ(q.credential_id, "123e4567-e89b-12d3-a456-426614174000");
  EXPECT_EQ(client_->Get("/api/usage?status=2xx", WithSession(session))->status, 400);
  EXPECT_EQ(client_->Get("/api/usage?mode=x", WithSession(session))->status, 400);
  EXPECT_EQ(client_->Get("/api/usage?credential_id=x", WithSession(session))->status, 400);
  EXPECT_EQ(client_->Get("/api/usage?format=xml", WithSession(session))->status, 400);
  // CSV: every matching row, a header first.
  r = client_->Get("/api/usage?format=csv&provider=openai", WithSession(session));
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/csv; charset=utf-8");
  EXPECT_THAT(r->body, testing::StartsWith("requested_at,request_id,"));
  EXPECT_THAT(r->body, HasSubstr("\r\n2023-11-14T22:13:17.500Z,req-1,passthrough,openai,gpt-4o,"));
  EXPECT_THAT(r->body, testing::Not(HasSubstr("req-2")));
  EXPECT_EQ(client_->Get("/api/usage?before=x", WithSession(session))->status, 400);
  EXPECT_EQ(client_->Get("/api/usage?limit=501", WithSession(session))->status, 400);
}

TEST_F(DashboardApiTest, DependencyDownIs503) {
  std::string session = SignUp("d@test.com");
  billing_.fail_with = absl::UnavailableError("connection refused");
  auto r = client_->Get("/api/balance", WithSession(session));
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(Body(r),
            Error("a backend service is unavailable; retry shortly", "service_unavailable"));
  metering_.fail_with = absl::DeadlineExceededError("slow");
  EXPECT_EQ(client_->Get("/api/stats/summary", WithSession(session))->status, 504);
  accounts_.fail_with = absl::UnavailableError("down");
  r = client_->Get("/api/tokens", WithSession(session));
  EXPECT_EQ(r->status, 503);
  r = client_->Post("/api/auth/login", R"({"email":"d@test.com","password":"password123"})",
                    "application/json");
  EXPECT_EQ(r->status, 503);
  metering_.fail_with = absl::InternalError("secret detail");
  accounts_.fail_with = absl::OkStatus();
  r = client_->Get("/api/stats/summary", WithSession(session));
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(Body(r), Error("internal error", "internal_error"));
}

TEST_F(DashboardApiTest, Config) {
  std::string org_id;
  std::string session = SignUp("c@test.com", &org_id);
  httplib::Headers headers = WithSession(session);
  headers.emplace("Host", "dash.example.com:3000");
  auto r = client_->Get("/api/config", headers);
  ASSERT_EQ(r->status, 200);
  json config = Body(r);
  std::string user_id = config["user"]["id"];
  EXPECT_EQ(
      config, json::parse(R"({"gateway_url":"http://dash.example.com:8080",
      "self_topup":false,"org":{"id":")" +
                          org_id +
                          R"(","name":"Org c@test.com","email":"c@test.com"},
      "user":{"id":")" + user_id +
                          R"(","name":"Org c@test.com","email":"c@test.com"},
      "role":"owner","permissions":["signed_in","read","use_own_credentials",
      "manage_credentials","manage_settings","manage_members","read_audit","manage_owners",
      "top_up","delete_organization"],
      "orgs":[{"id":")" + org_id +
                          R"(","name":"Org c@test.com","email":"c@test.com","role":"owner"}]})"));
  Restart({.self_topup = true, .public_gateway_url = "https://gw.example.com"});
  session = SignUp("c2@test.com");
  r = client_->Get("/api/config", WithSession(session));
  EXPECT_EQ(Body(r)["gateway_url"], "https://gw.example.com");
  EXPECT_EQ(Body(r)["self_topup"], true);
}

TEST_F(DashboardApiTest, WebUiAndUnknownPaths) {
  auto r = client_->Get("/");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_THAT(r->body, HasSubstr("<!doctype html>"));
  EXPECT_THAT(r->get_header_value("Content-Security-Policy"), HasSubstr("script-src 'self'"));
  r = client_->Get("/assets/app.js");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  r = client_->Get("/assets/style.css");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/css; charset=utf-8");
  r = client_->Get("/assets/missing.js");
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(Body(r), Error("no such file", "not_found_error"));
  r = client_->Get("/api/nope");
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(Body(r), Error("no such endpoint", "not_found_error"));
  r = client_->Post("/api/auth/register", std::string(2 << 20, 'x'), "application/json");
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(Body(r)["error"]["type"], "invalid_request_error");
}

}  // namespace
}  // namespace llmgw::dashboard

namespace llmgw::dashboard {
namespace {

// The probe's attack: a page on another origin posts with the victim's cookie. Every
// state-changing method and body type is refused; the same request from the dashboard's own
// page (or from curl, without Origin) goes through.
TEST_F(DashboardApiTest, CrossSiteRequestsAreRefused) {
  Restart({.self_topup = true});
  std::string session = SignUp("csrf@test.com");
  const std::string evil = "http://evil.example";
  const std::string own = "http://127.0.0.1:" + std::to_string(port_);
  struct Case {
    std::string method, path, origin, site, type, body;
    int want;
  };
  const std::string name = R"({"name":"x"})";
  const std::vector<Case> cases = {
      {"POST", "/api/tokens", evil, "", "text/plain", name, 403},
      {"POST", "/api/tokens", evil, "", "application/x-www-form-urlencoded", "name=x", 403},
      {"POST", "/api/tokens", evil, "", "application/json", name, 403},
      {"POST", "/api/keys", evil, "", "multipart/form-data; boundary=b",
       "--b\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nx\r\n--b--\r\n", 403},
      {"POST", "/api/balance/charge", evil, "", "text/plain", R"({"amount":5})", 403},
      {"POST", "/api/auth/logout", evil, "", "", "", 403},
      {"POST", "/api/auth/login", evil, "", "text/plain",
       R"({"email":"csrf@test.com","password":"password123"})", 403},
      {"DELETE", "/api/tokens?id=00000000-0000-4000-8000-000000000001", evil, "", "", "", 403},
      {"POST", "/api/tokens", "", "cross-site", "application/json", name, 403},
      {"POST", "/api/tokens", own, "same-origin", "text/plain", name, 415},
      {"POST", "/api/tokens", own, "", "application/x-www-form-urlencoded", "name=x", 415},
      {"POST", "/api/balance/charge", "", "", "text/plain", R"({"amount":5})", 415},
      {"POST", "/api/tokens", own, "same-origin", "application/json", name, 201},
      {"POST", "/api/tokens", "", "", "application/json", name, 201},
      {"POST", "/api/balance/charge", own, "", "application/json", R"({"amount":5})", 200},
  };
  for (const Case& c : cases) {
    httplib::Headers h = WithSession(session);
    if (!c.origin.empty()) h.emplace("Origin", c.origin);
    if (!c.site.empty()) h.emplace("Sec-Fetch-Site", c.site);
    httplib::Result r = c.method == "POST"
                            ? client_->Post(c.path.c_str(), h, c.body, c.type.c_str())
                            : client_->Delete(c.path.c_str(), h);
    ASSERT_TRUE(r) << c.method << " " << c.path;
    EXPECT_EQ(r->status, c.want) << c.method << " " << c.path << " " << c.origin << " " << c.type;
    if (c.want == 403 || c.want == 415) {
      EXPECT_EQ(Body(r)["error"]["type"],
                c.want == 403 ? "permission_error" : "invalid_request_error");
    }
  }
  // Only the two allowed creations happened.
  auto list = client_->Get("/api/tokens", WithSession(session));
  EXPECT_EQ(Body(list)["tokens"].size(), 2u);
}

TEST_F(DashboardApiTest, LoginPassesTheClientAddressForThrottling) {
  SignUp("addr@test.com");
  EXPECT_EQ(accounts_.last_login_address, "127.0.0.1");
  Restart({.trust_forwarded_for = true});
  auto r =
      client_->Post("/api/auth/login", {{"X-Forwarded-For", "203.0.113.5, 198.51.100.9"}},
                    R"({"email":"addr@test.com","password":"password123"})", "application/json");
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(accounts_.last_login_address, "198.51.100.9");
}

}  // namespace
}  // namespace llmgw::dashboard

namespace llmgw::dashboard {
namespace {

// The role check runs before any handler, in the route itself: a role without the permission
// gets 403 and the client is never called.
TEST_F(DashboardApiTest, ARoleWithoutThePermissionIs403BeforeTheHandler) {
  Restart({.self_topup = true});
  std::string session = SignUp("roles@test.com");
  accounts_.SetSessionRole(session, Role::kViewer);
  auto r =
      client_->Post("/api/tokens", WithSession(session), R"({"name":"x"})", "application/json");
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(Body(r), Error("the viewer role may not do this (needs use_own_credentials)",
                           "permission_error"));
  EXPECT_EQ(Body(client_->Get("/api/tokens", WithSession(session)))["tokens"].size(), 0u);
  EXPECT_EQ(
      client_
          ->Post("/api/balance/charge", WithSession(session), R"({"amount":1})", "application/json")
          ->status,
      403);
  EXPECT_EQ(client_->Get("/api/audit", WithSession(session))->status, 403);
  EXPECT_EQ(client_->Get("/api/balance", WithSession(session))->status, 200);

  // A member creates, and revokes only what they created.
  accounts_.SetSessionRole(session, Role::kMember);
  r = client_->Post("/api/tokens", WithSession(session), R"({"name":"mine"})", "application/json");
  ASSERT_EQ(r->status, 201);
  std::string mine = Body(r)["id"];
  EXPECT_EQ(
      client_
          ->Post("/api/balance/charge", WithSession(session), R"({"amount":1})", "application/json")
          ->status,
      403);
  EXPECT_EQ(client_->Delete("/api/tokens?id=" + mine, WithSession(session))->status, 200);
  // Config mirrors the role for the UI.
  json config = Body(client_->Get("/api/config", WithSession(session)));
  EXPECT_EQ(config["role"], "member");
  EXPECT_EQ(config["permissions"], json({"signed_in", "read", "use_own_credentials"}));
  // Each audited success was recorded once, with the actor.
  std::vector<AuditRecord> audit = accounts_.audit();
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[0].action, "monitor_token.create");
  EXPECT_EQ(audit[1].action, "monitor_token.revoke");
  EXPECT_EQ(audit[1].actor_email, "roles@test.com");
  EXPECT_EQ(audit[1].target, mine);
}

TEST_F(DashboardApiTest, PatchAndPutAreGuardedToo) {
  std::string session = SignUp("patch@test.com");
  httplib::Headers h = WithSession(session);
  h.emplace("Origin", "http://evil.example");
  EXPECT_EQ(client_
                ->Patch("/api/members?id=00000000-0000-4000-8000-000000000001", h,
                        R"({"role":"viewer"})", "application/json")
                ->status,
            403);
  EXPECT_EQ(client_
                ->Patch("/api/members?id=00000000-0000-4000-8000-000000000001",
                        WithSession(session), "role=viewer", "application/x-www-form-urlencoded")
                ->status,
            415);
}

}  // namespace
TEST_F(DashboardApiTest, LimitsOfCredentialsAndTheOrganization) {
  std::string org_id;
  std::string session = SignUp("limits@test.com", &org_id);
  auto r =
      client_->Post("/api/keys", WithSession(session), R"({"name":"svc"})", "application/json");
  ASSERT_EQ(r->status, 201);
  std::string id = Body(r)["id"];
  r = client_->Patch("/api/keys?id=" + id, WithSession(session),
                     R"({"rpm":600,"tpm":200000,"daily_budget_usd":50})", "application/json");
  ASSERT_EQ(r->status, 200) << r->body;
  json key = Body(r);
  EXPECT_EQ(key["limits"]["rpm"], 600);
  EXPECT_EQ(key["limits"]["daily_budget_nano"], 50'000'000'000);
  EXPECT_TRUE(key["limits"]["monthly_budget_usd"].is_null());
  EXPECT_EQ(key["usage"]["day_spent_nano"], 0);
  // Absent stays, null unsets.
  r = client_->Patch("/api/keys?id=" + id, WithSession(session), R"({"rpm":null})",
                     "application/json");
  ASSERT_EQ(r->status, 200);
  EXPECT_TRUE(Body(r)["limits"]["rpm"].is_null());
  EXPECT_EQ(Body(r)["limits"]["tpm"], 200000);
  EXPECT_EQ(Body(client_->Get("/api/keys", WithSession(session)))["keys"][0]["limits"]["tpm"],
            200000);
  // Bad input: 400 in the API's error shape; unknown ids: 404.
  r = client_->Patch("/api/keys?id=" + id, WithSession(session), R"({"rpm":0})",
                     "application/json");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Body(r)["error"]["type"], "invalid_request_error");
  EXPECT_EQ(client_->Patch("/api/keys?id=00000000-0000-4000-8000-00000000ffff",
                           WithSession(session), R"({"rpm":1})", "application/json")
                ->status,
            404);
  EXPECT_EQ(client_->Patch("/api/tokens?id=" + id, WithSession(session), R"({"rpm":1})",
                           "application/json")
                ->status,
            404);  // a key is not a token

  r = client_->Put("/api/org/limits", WithSession(session), R"({"monthly_budget_usd":"1000"})",
                   "application/json");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Body(r)["limits"]["monthly_budget_usd"], "1000.000000000");
  billing_.SetBudgets(org_id, {{"org", "month", 7, 3}, {"org", "day", 2, 0}});
  json org = Body(client_->Get("/api/org/limits", WithSession(session)));
  EXPECT_EQ(org["usage"]["month_spent_nano"], 10);
  EXPECT_EQ(org["usage"]["day_spent_nano"], 2);
}

}  // namespace llmgw::dashboard

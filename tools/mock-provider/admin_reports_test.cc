#include "tools/mock-provider/admin_reports.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/crypto.h"
#include "nlohmann/json.hpp"

namespace llmgw::mock {
namespace {

using json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kDay = 1'722'470'400;  // 2024-08-01T00:00:00Z, unix seconds
constexpr int64_t kNow = kDay + 12 * 3600;
const Context kContext{9, kNow};

MockRequest Get(std::string target, HeaderList headers) {
  MockRequest r;
  r.method = "GET";
  r.target = std::move(target);
  r.headers = std::move(headers);
  return r;
}
HeaderList OpenAiAdmin(const std::string& key = "sk-admin-good") {
  return {{"authorization", "Bearer " + key}};
}
HeaderList AnthropicAdmin(const std::string& key = "sk-ant-admin01-good") {
  return {{"x-api-key", key}, {"anthropic-version", "2023-06-01"}};
}

MockResponse Report(UsageLedger& ledger, const std::string& target, HeaderList headers,
                    AdminOptions options = {}) {
  auto r = HandleAdminReport(Get(target, std::move(headers)), ledger, options, kContext, kNow);
  EXPECT_TRUE(r.has_value()) << target;
  return r.value_or(MockResponse{});
}

json Body(const MockResponse& r) { return json::parse(r.body); }

// A chat completion the mock served, recorded against the caller's key.
void Serve(UsageLedger& ledger, const std::string& provider, const std::string& key,
           const std::string& model, int64_t input, int64_t output, int64_t cached = 0,
           int64_t w5m = 0, int64_t w1h = 0, int64_t at = kNow) {
  MockRequest req;
  req.method = "POST";
  req.headers = provider == "anthropic" ? HeaderList{{"x-api-key", key}}
                                        : HeaderList{{"authorization", "Bearer " + key}};
  MockResponse resp;
  resp.served = ServedUsage{provider, model, input, cached, w5m, w1h, output};
  RecordServed(req, resp, ledger, at);
}

TEST(AdminReports, KeyIdsAreStableDigests) {
  EXPECT_EQ(ApiKeyId("sk-customer"), "key_" + crypto::Sha256Hex("sk-customer").substr(0, 12));
  EXPECT_EQ(ApiKeyId("sk-customer").size(), 16u);
  EXPECT_NE(ApiKeyId("sk-customer"), ApiKeyId("sk-customer2"));
}

TEST(AdminReports, OpenAiUsageGroupedByModelAndKey) {
  UsageLedger ledger;
  Serve(ledger, "openai", "sk-a", "gpt-4o-mini", 100, 10, 40);
  Serve(ledger, "openai", "sk-a", "gpt-4o-mini", 50, 5);
  Serve(ledger, "openai", "sk-b", "gpt-4o-mini", 7, 1);
  Serve(ledger, "openai", "sk-a", "gpt-4o", 3, 3, 0, 0, 0, kNow - 86400);     // yesterday
  Serve(ledger, "anthropic", "sk-ant-x", "claude-3-5-haiku-20241022", 1, 1);  // not OpenAI's
  Serve(ledger, "google", "g", "gemini-1.5-flash", 1, 1);                     // no usage API
  MockResponse r = Report(ledger,
                          "/openai/v1/organization/usage/completions?start_time=1722384000"
                          "&end_time=1722556800&bucket_width=1d&group_by=model&group_by=api_key_id"
                          "&limit=31",
                          OpenAiAdmin());
  ASSERT_EQ(r.status, 200) << r.body;
  json b = Body(r);
  EXPECT_EQ(b["object"], "page");
  EXPECT_EQ(b["has_more"], false);
  EXPECT_TRUE(b["next_page"].is_null());
  ASSERT_EQ(b["data"].size(), 2u);
  EXPECT_EQ(b["data"][0]["start_time"], kDay - 86400);
  EXPECT_EQ(b["data"][0]["end_time"], kDay);
  EXPECT_EQ(b["data"][0]["results"],
            json::parse(R"([{"object":"organization.usage.completions.result","input_tokens":3,
              "output_tokens":3,"input_cached_tokens":0,"input_audio_tokens":0,
              "output_audio_tokens":0,"num_model_requests":1,"project_id":null,"user_id":null,
              "api_key_id":")" +
                        ApiKeyId("sk-a") + R"(","model":"gpt-4o","batch":null}])"));
  const json& today = b["data"][1]["results"];
  ASSERT_EQ(today.size(), 2u);
  std::map<std::string, json> by_key;
  for (const json& x : today) by_key[x["api_key_id"]] = x;
  EXPECT_EQ(by_key[ApiKeyId("sk-a")]["input_tokens"], 150);
  EXPECT_EQ(by_key[ApiKeyId("sk-a")]["input_cached_tokens"], 40);
  EXPECT_EQ(by_key[ApiKeyId("sk-a")]["output_tokens"], 15);
  EXPECT_EQ(by_key[ApiKeyId("sk-a")]["num_model_requests"], 2);
  EXPECT_EQ(by_key[ApiKeyId("sk-b")]["input_tokens"], 7);

  // Without group_by, one result per day.
  r = Report(ledger, "/openai/v1/organization/usage/completions?start_time=1722470400&limit=1",
             OpenAiAdmin());
  b = Body(r);
  ASSERT_EQ(b["data"].size(), 1u);
  EXPECT_EQ(b["data"][0]["results"][0]["input_tokens"], 157);
  EXPECT_TRUE(b["data"][0]["results"][0]["model"].is_null());
  EXPECT_TRUE(b["data"][0]["results"][0]["api_key_id"].is_null());
}

TEST(AdminReports, PagesFollowNextPage) {
  UsageLedger ledger;
  for (int d = 0; d < 10; ++d) {
    Serve(ledger, "openai", "sk-a", "gpt-4o-mini", 10 + d, 1, 0, 0, 0, kDay - d * 86400);
  }
  std::string base =
      "/openai/v1/organization/usage/completions?start_time=" + std::to_string(kDay - 9 * 86400) +
      "&end_time=" + std::to_string(kDay + 86400) + "&group_by=model&limit=4";
  std::vector<int64_t> starts;
  int64_t total = 0;
  std::string page;
  int pages = 0;
  for (;; ++pages) {
    json b = Body(Report(ledger, base + (page.empty() ? "" : "&page=" + page), OpenAiAdmin()));
    for (const json& bucket : b["data"]) {
      starts.push_back(bucket["start_time"]);
      for (const json& x : bucket["results"]) total += x["input_tokens"].get<int64_t>();
    }
    if (!b["has_more"].get<bool>()) break;
    page = b["next_page"];
  }
  EXPECT_EQ(pages + 1, 3);  // 4 + 4 + 2 buckets
  ASSERT_EQ(starts.size(), 10u);
  for (size_t i = 0; i < starts.size(); ++i) EXPECT_EQ(starts[i], kDay - (9 - i) * 86400);
  EXPECT_EQ(total, 10 * 10 + 45);
  // --report-page-buckets caps a page below `limit`.
  json capped = Body(Report(ledger, base, OpenAiAdmin(), {2}));
  EXPECT_EQ(capped["data"].size(), 2u);
  EXPECT_EQ(capped["next_page"], "page_" + std::to_string(kDay - 7 * 86400));
  // A forged cursor, an unsupported width, a limit over the maximum.
  for (const char* bad : {"&page=page_123", "&bucket_width=1h", "&limit=32", "&group_by=color"}) {
    MockResponse r = Report(ledger, base.substr(0, base.find("&limit")) + bad, OpenAiAdmin());
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(Body(r)["error"]["type"], "invalid_request_error") << bad;
  }
  EXPECT_EQ(Report(ledger, "/openai/v1/organization/usage/completions", OpenAiAdmin()).status, 400);
}

TEST(AdminReports, OpenAiCostsByLineItem) {
  UsageLedger ledger;
  Serve(ledger, "openai", "sk-a", "gpt-4o-mini", 1000, 100, 200);  // 800 uncached
  Serve(ledger, "openai", "sk-b", "unknown-model", 10, 10);
  json b = Body(Report(ledger,
                       "/openai/v1/organization/costs?start_time=1722470400&bucket_width=1d"
                       "&group_by=line_item&limit=7",
                       OpenAiAdmin()));
  ASSERT_EQ(b["data"].size(), 1u);
  std::map<std::string, double> items;
  for (const json& x : b["data"][0]["results"]) {
    EXPECT_EQ(x["object"], "organization.costs.result");
    EXPECT_EQ(x["amount"]["currency"], "usd");
    items[x["line_item"]] = x["amount"]["value"].get<double>();
  }
  EXPECT_EQ(items.size(), 5u);
  EXPECT_DOUBLE_EQ(items["gpt-4o-mini, input"], 800 * 150 / 1e9);
  EXPECT_DOUBLE_EQ(items["gpt-4o-mini, cached input"], 200 * 75 / 1e9);
  EXPECT_DOUBLE_EQ(items["gpt-4o-mini, output"], 100 * 600 / 1e9);
  EXPECT_DOUBLE_EQ(items["unknown-model, input"], 10 * 1000 / 1e9);
  EXPECT_DOUBLE_EQ(items["unknown-model, output"], 10 * 4000 / 1e9);
  // The number is written as the JSON encoder writes the double, e.g. 0.00012.
  EXPECT_THAT(
      Report(ledger, "/openai/v1/organization/costs?start_time=1722470400&group_by=line_item",
             OpenAiAdmin())
          .body,
      HasSubstr(R"({"currency":"usd","value":0.00012})"));
}

TEST(AdminReports, AnthropicUsageAndCostsInCents) {
  UsageLedger ledger;
  // 1000 input of which 200 cache reads, 300 five-minute and 100 one-hour cache writes.
  Serve(ledger, "anthropic", "sk-ant-api-1", "claude-3-5-haiku-20241022", 1000, 50, 200, 300, 100);
  MockResponse r =
      Report(ledger,
             "/anthropic/v1/organizations/usage_report/messages?"
             "starting_at=2024-08-01T00%3A00%3A00Z&ending_at=2024-08-02T00%3A00%3A00Z"
             "&bucket_width=1d&group_by%5B%5D=model&group_by%5B%5D=api_key_id&limit=31",
             AnthropicAdmin());
  ASSERT_EQ(r.status, 200) << r.body;
  json b = Body(r);
  EXPECT_EQ(b["has_more"], false);
  ASSERT_EQ(b["data"].size(), 1u);
  EXPECT_EQ(b["data"][0]["starting_at"], "2024-08-01T00:00:00Z");
  EXPECT_EQ(b["data"][0]["ending_at"], "2024-08-02T00:00:00Z");
  const json& u = b["data"][0]["results"][0];
  EXPECT_EQ(u["uncached_input_tokens"], 400);
  EXPECT_EQ(u["cache_read_input_tokens"], 200);
  EXPECT_EQ(u["cache_creation"]["ephemeral_5m_input_tokens"], 300);
  EXPECT_EQ(u["cache_creation"]["ephemeral_1h_input_tokens"], 100);
  EXPECT_EQ(u["output_tokens"], 50);
  EXPECT_EQ(u["model"], "claude-3-5-haiku-20241022");
  EXPECT_EQ(u["api_key_id"], ApiKeyId("sk-ant-api-1"));

  b = Body(Report(ledger,
                  "/anthropic/v1/organizations/cost_report?starting_at=2024-08-01T00:00:00Z"
                  "&group_by[]=description",
                  AnthropicAdmin()));
  std::map<std::string, std::string> cents;
  for (const json& x : b["data"][0]["results"]) {
    EXPECT_EQ(x["currency"], "USD");
    EXPECT_EQ(x["model"], "claude-3-5-haiku-20241022");
    cents[x["token_type"]] = x["amount"];
  }
  // 400 × 800 nano = 320,000 nano = 0.032 cents; reads 200 × 80; writes 300 × 1000, 100 × 1600;
  // output 50 × 4000.
  EXPECT_EQ(cents, (std::map<std::string, std::string>{
                       {"uncached_input_tokens", "0.032"},
                       {"cache_read_input_tokens", "0.0016"},
                       {"cache_creation.ephemeral_5m_input_tokens", "0.03"},
                       {"cache_creation.ephemeral_1h_input_tokens", "0.016"},
                       {"output_tokens", "0.02"}}));
}

TEST(AdminReports, AdminKeysOnlyInTheProvidersErrorShapes) {
  UsageLedger ledger;
  const std::string usage = "/openai/v1/organization/usage/completions?start_time=1722470400";
  MockResponse r = Report(ledger, usage, {});
  EXPECT_EQ(r.status, 401);
  r = Report(ledger, usage, OpenAiAdmin("sk-proj-customer"));
  EXPECT_EQ(r.status, 403);
  EXPECT_THAT(Body(r)["error"]["message"].get<std::string>(),
              HasSubstr("insufficient permissions"));
  r = Report(ledger, usage, OpenAiAdmin("sk-admin-revoked-1234567890"));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Body(r)["error"]["code"], "invalid_api_key");
  EXPECT_THAT(r.body, ::testing::Not(HasSubstr("sk-admin-revoked-1234567890")));
  ledger.Revoke("sk-admin-good");
  EXPECT_EQ(Report(ledger, usage, OpenAiAdmin()).status, 401);

  const std::string messages =
      "/anthropic/v1/organizations/usage_report/messages?starting_at=2024-08-01T00:00:00Z";
  r = Report(ledger, messages, {{"x-api-key", "sk-ant-admin01-good"}});
  EXPECT_EQ(r.status, 400);  // no anthropic-version
  r = Report(ledger, messages, AnthropicAdmin("sk-ant-api03-customer"));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Body(r)["error"]["type"], "permission_error");
  r = Report(ledger, messages, AnthropicAdmin("sk-ant-admin01-revoked"));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Body(r), json::parse(R"({"type":"error","error":{"type":"authentication_error",
                                     "message":"invalid x-api-key"}})"));
  EXPECT_FALSE(
      HandleAdminReport(Get("/openai/v1/models", OpenAiAdmin()), ledger, {}, kContext, kNow)
          .has_value());
}

TEST(AdminReports, InjectedFaultsThenAnswers) {
  UsageLedger ledger;
  ledger.AddFaults({429, 500});
  const std::string usage = "/openai/v1/organization/usage/completions?start_time=1722470400";
  MockResponse r = Report(ledger, usage, OpenAiAdmin());
  EXPECT_EQ(r.status, 429);
  EXPECT_THAT(r.headers,
              ::testing::Contains(std::pair<std::string, std::string>("retry-after", "0")));
  EXPECT_EQ(Body(r)["error"]["code"], "rate_limit_exceeded");
  EXPECT_EQ(Report(ledger, usage, OpenAiAdmin()).status, 500);
  EXPECT_EQ(Report(ledger, usage, OpenAiAdmin()).status, 200);
  ledger.AddFaults({529});
  EXPECT_EQ(Body(Report(ledger,
                        "/anthropic/v1/organizations/cost_report?starting_at=2024-08-01T00:00:00Z",
                        AnthropicAdmin()))["error"]["type"],
            "overloaded_error");
}

TEST(AdminReports, ControlsInjectListRevokeAndReset) {
  UsageLedger ledger;
  MockRequest post;
  post.method = "POST";
  post.target = "/_mock/admin-usage";
  post.body = R"([{"provider":"openai","api_key":"sk-direct","model":"gpt-4o","date":"2024-07-31",
                   "input_tokens":500,"cached_input_tokens":100,"output_tokens":50},
                  {"provider":"anthropic","api_key_id":"apikey_x","model":"claude-3-5-haiku-20241022",
                   "input_tokens":10,"output_tokens":1,"requests":3}])";
  auto r = HandleAdminControl(post, ledger, kNow);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200) << r->body;
  MockRequest list = Get("/_mock/admin-usage", {});
  json listed = json::parse(HandleAdminControl(list, ledger, kNow)->body);
  EXPECT_EQ(listed, json::parse(R"([
    {"provider":"anthropic","date":"2024-08-01","model":"claude-3-5-haiku-20241022",
     "api_key_id":"apikey_x","input_tokens":10,"cached_input_tokens":0,"cache_write_tokens":0,
     "cache_write_1h_tokens":0,"output_tokens":1,"requests":3},
    {"provider":"openai","date":"2024-07-31","model":"gpt-4o","api_key_id":")" +
                                ApiKeyId("sk-direct") + R"(","input_tokens":500,
     "cached_input_tokens":100,"cache_write_tokens":0,"cache_write_1h_tokens":0,
     "output_tokens":50,"requests":1}])"));
  // Every entry is validated before any is added.
  for (
      const char* bad :
      {R"({"provider":"google","api_key":"k","model":"m"})", R"({"provider":"openai","model":"m"})",
       R"([{"provider":"openai","api_key":"k","model":"m"},{"provider":"openai","api_key":"k","model":"m","input_tokens":-1}])",
       R"({"provider":"openai","api_key":"k","model":"m","input_tokens":1,"cached_input_tokens":2})",
       R"({"provider":"openai","api_key":"k","model":"m","date":"31.07.2024"})", "not json"}) {
    post.body = bad;
    EXPECT_EQ(HandleAdminControl(post, ledger, kNow)->status, 400) << bad;
  }
  EXPECT_EQ(ledger.Snapshot().size(), 2u);
  MockRequest revoke;
  revoke.method = "POST";
  revoke.target = "/_mock/admin-revoke";
  revoke.body = R"({"admin_key":"sk-admin-x"})";
  EXPECT_EQ(HandleAdminControl(revoke, ledger, kNow)->status, 200);
  EXPECT_TRUE(ledger.Revoked("sk-admin-x"));
  ledger.Clear();
  EXPECT_TRUE(ledger.Snapshot().empty());
  EXPECT_FALSE(ledger.Revoked("sk-admin-x"));
  EXPECT_FALSE(HandleAdminControl(Get("/_mock/requests", {}), ledger, kNow).has_value());
}

// The real request path: what HandleRequest serves is what the report tells, per customer key;
// a stream cut midway is not reported.
TEST(AdminReports, ServedCallsAreReportedPerKey) {
  UsageLedger ledger;
  auto serve = [&](std::string target, json body, HeaderList headers) {
    MockRequest req;
    req.method = "POST";
    req.target = std::move(target);
    req.headers = std::move(headers);
    req.body = body.dump();
    MockResponse resp = HandleRequest(req, {}, kContext);
    RecordServed(req, resp, ledger, kNow);
    return resp;
  };
  json chat = {{"model", "gpt-4o-mini"},
               {"messages", {{{"role", "user"}, {"content", "hi there"}}}}};
  MockResponse plain = serve("/openai/v1/chat/completions", chat,
                             {{"authorization", "Bearer sk-one"}, {"x-mock-cached-tokens", "2"}});
  json stream_body = chat;
  stream_body["stream"] = true;
  serve("/openai/v1/chat/completions", stream_body, {{"authorization", "Bearer sk-one"}});
  serve("/openai/v1/chat/completions", stream_body,
        {{"authorization", "Bearer sk-one"}, {"x-mock-fail-mid-stream", "1"}});
  serve("/openai/v1/chat/completions", chat,
        {{"authorization", "Bearer sk-one"}, {"x-mock-status", "500"}});
  json responses = {{"model", "gpt-4o-mini"}, {"input", "four words of input"}};
  MockResponse resp =
      serve("/openai/v1/responses", responses, {{"authorization", "Bearer sk-one"}});
  responses["stream"] = true;
  serve("/openai/v1/responses", responses, {{"authorization", "Bearer sk-one"}});
  json msg = {{"model", "claude-3-5-haiku-20241022"},
              {"max_tokens", 64},
              {"messages", {{{"role", "user"}, {"content", "hello"}}}}};
  MockResponse m = serve("/anthropic/v1/messages", msg,
                         {{"x-api-key", "sk-ant-two"},
                          {"anthropic-version", "2023-06-01"},
                          {"x-mock-cached-tokens", "5"},
                          {"x-mock-cache-write-tokens", "3"}});
  json usage = json::parse(plain.body)["usage"];
  json anthropic_usage = json::parse(m.body)["usage"];
  auto snapshot = ledger.Snapshot();
  ASSERT_EQ(snapshot.size(), 2u);
  const UsageLedger::Counts& openai =
      snapshot.at({"openai", kDay, "gpt-4o-mini", ApiKeyId("sk-one")});
  // Two chat completions (one streamed) and two responses (one streamed).
  json responses_usage = json::parse(resp.body)["usage"];
  EXPECT_EQ(openai.requests, 4);
  EXPECT_EQ(openai.input, 2 * usage["prompt_tokens"].get<int64_t>() +
                              2 * responses_usage["input_tokens"].get<int64_t>());
  EXPECT_EQ(openai.cached, 2);
  EXPECT_EQ(openai.output, 2 * usage["completion_tokens"].get<int64_t>() +
                               2 * responses_usage["output_tokens"].get<int64_t>());
  const UsageLedger::Counts& claude =
      snapshot.at({"anthropic", kDay, "claude-3-5-haiku-20241022", ApiKeyId("sk-ant-two")});
  EXPECT_EQ(claude.input, anthropic_usage["input_tokens"].get<int64_t>() + 5 + 3);
  EXPECT_EQ(claude.cached, 5);
  EXPECT_EQ(claude.write_5m, 3);
  EXPECT_EQ(claude.output, anthropic_usage["output_tokens"].get<int64_t>());
}

}  // namespace
}  // namespace llmgw::mock

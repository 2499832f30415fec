#include "services/metering/domain/provider_reports.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/testing/status_matchers.h"
#include "services/metering/domain/provider_usage.h"

namespace llmgw::metering {
namespace {

using test::IsOk;
using test::IsOkAndHolds;
using test::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;

constexpr int64_t kDay = 1'722'470'400'000;  // 2024-08-01T00:00:00Z
constexpr char kKey[] = "sk-admin-SECRET0123456789abcdef";

// ---- decimals, model families, admin keys ----

TEST(ProviderUsage, DecimalsBecomeNanoExactly) {
  EXPECT_THAT(DecimalToNano("12", 9), IsOkAndHolds(12'000'000'000));
  EXPECT_THAT(DecimalToNano("0.06", 9), IsOkAndHolds(60'000'000));
  // A float's shortest text, as JSON encoders write small amounts.
  EXPECT_THAT(DecimalToNano("1.23e-05", 9), IsOkAndHolds(12'300));
  EXPECT_THAT(DecimalToNano("4.5E2", 9), IsOkAndHolds(450'000'000'000));
  // Binary float noise past the ninth decimal is rounded away.
  EXPECT_THAT(DecimalToNano("0.10659000000000001", 9), IsOkAndHolds(106'590'000));
  EXPECT_THAT(DecimalToNano("0.0000000015", 9), IsOkAndHolds(2));  // half away from zero
  EXPECT_THAT(DecimalToNano("0.0000000014999", 9), IsOkAndHolds(1));
  EXPECT_THAT(DecimalToNano("0.0000000005", 9), IsOkAndHolds(1));
  EXPECT_THAT(DecimalToNano("0.0000000004", 9), IsOkAndHolds(0));
  EXPECT_THAT(DecimalToNano("-0.0000000015", 9), IsOkAndHolds(-2));  // credits
  EXPECT_THAT(DecimalToNano("-1.5", 9), IsOkAndHolds(-1'500'000'000));
  EXPECT_THAT(DecimalToNano("0", 9), IsOkAndHolds(0));
  EXPECT_THAT(DecimalToNano("000.000", 9), IsOkAndHolds(0));
  // Anthropic's cents: "123.78912" cents = $1.2378912.
  EXPECT_THAT(DecimalToNano("123.78912", 7), IsOkAndHolds(1'237'891'200));
  EXPECT_THAT(DecimalToNano("0.00000005", 7), IsOkAndHolds(1));
  EXPECT_THAT(DecimalToNano("9223372036.854775807", 9), IsOkAndHolds(INT64_MAX));
  for (const char* bad :
       {"", "-", ".", "1.2.3", "1e", "abc", "1,5", " 1", "9223372036.854775808", "1e30", "0x10"}) {
    EXPECT_THAT(DecimalToNano(bad, 9), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
  EXPECT_THAT(DecimalToNano("1e-400", 9), IsOkAndHolds(0));
}

TEST(ProviderUsage, ModelFamiliesDropDatedSnapshots) {
  EXPECT_EQ(ModelFamily("gpt-4o-mini-2024-07-18"), "gpt-4o-mini");
  EXPECT_EQ(ModelFamily("gpt-4o-mini"), "gpt-4o-mini");
  EXPECT_EQ(ModelFamily("claude-3-5-haiku-20241022"), "claude-3-5-haiku");
  EXPECT_EQ(ModelFamily("o1-2024-12-17"), "o1");
  EXPECT_EQ(ModelFamily("gpt-4-0613"), "gpt-4-0613");  // not a date
  EXPECT_EQ(ModelFamily("model-12345678"), "model-12345678");
  EXPECT_EQ(ModelFamily("-2024-07-18"), "-2024-07-18");  // nothing before it
  EXPECT_EQ(ModelFamily(""), "");
}

TEST(ProviderUsage, MergeSumsEqualKeysInKeyOrder) {
  ReportedBucket a{kDay, "m", "key_b", {10, 2, 0, 5, 1}, {}};
  ReportedBucket b{kDay, "m", "key_a", {1, 0, 0, 1, 1}, {}};
  ReportedBucket c{kDay, "m", "key_b", {5, 1, 1, 5, 2}, {}};
  ReportedBucket cost{kDay, "m", "", {}, {100, 0, 0, 50, 0}};
  ReportedBucket cost2{kDay, "m", "", {}, {1, 2, 3, 4, 5}};
  std::vector<ReportedBucket> merged = MergeBuckets({a, b, c, cost, cost2});
  ASSERT_EQ(merged.size(), 3u);
  EXPECT_EQ(merged[0], (ReportedBucket{kDay, "m", "", {}, {101, 2, 3, 54, 5}}));
  EXPECT_EQ(merged[1], b);
  EXPECT_EQ(merged[2], (ReportedBucket{kDay, "m", "key_b", {15, 3, 1, 10, 3}, {}}));
  EXPECT_EQ(merged[0].cost.Total(), 165);
}

TEST(ProviderUsage, AdminKeysAreCheckedAndShownByPrefix) {
  EXPECT_TRUE(ValidateAdminKey("sk-admin-0123456789abcdef").ok());
  for (std::string bad :
       {std::string("short"), std::string(513, 'a'), std::string("sk-admin-0123 456789abcdef"),
        std::string("sk-admin-0123456789abcdef\n"),
        std::string("sk-admin-\xC3\xA9"
                    "0123456789abcdef")}) {
    absl::Status s = ValidateAdminKey(bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(s.message()), Not(HasSubstr("sk-admin-0123")));
  }
  EXPECT_EQ(AdminKeyPrefix("sk-admin-0123456789abcdef0123456789abcdef"), "sk-admin-012");
  EXPECT_EQ(AdminKeyPrefix("sk-ant-admin01-abcdefghijklmnop"), "sk-ant-adm");
  EXPECT_EQ(AdminKeyPrefix("0123456789abcdef"), "01234");  // never more than a third
}

// ---- requests ----

TEST(ReportRequest, OpenAiUsageAndCosts) {
  ReportEndpoints e{"http://mock/openai/v1", "http://mock/anthropic"};
  DayWindow w{kDay, kDay + 31 * kDayMs};
  HttpRequest usage =
      ReportRequest(e, ReportProvider::kOpenAi, ReportKind::kUsage, w, 31, "", kKey);
  EXPECT_EQ(usage.url,
            "http://mock/openai/v1/organization/usage/completions?start_time=1722470400"
            "&end_time=1725148800&bucket_width=1d&group_by=model&group_by=api_key_id&limit=31");
  EXPECT_THAT(usage.headers, ElementsAre(Pair("Authorization", std::string("Bearer ") + kKey),
                                         Pair("Accept", "application/json")));
  HttpRequest costs =
      ReportRequest(e, ReportProvider::kOpenAi, ReportKind::kCosts, w, 7, "page_ABC=", kKey);
  EXPECT_EQ(costs.url,
            "http://mock/openai/v1/organization/costs?start_time=1722470400&end_time=1725148800"
            "&bucket_width=1d&group_by=line_item&limit=7&page=page_ABC%3D");
  EXPECT_THAT(usage.url, Not(HasSubstr(kKey)));
}

TEST(ReportRequest, AnthropicUsageAndCosts) {
  ReportEndpoints e{"http://mock/openai/v1", "https://api.anthropic.com"};
  DayWindow w{kDay, kDay + kDayMs};
  HttpRequest usage =
      ReportRequest(e, ReportProvider::kAnthropic, ReportKind::kUsage, w, 31, "", "sk-ant-admin-x");
  EXPECT_EQ(usage.url,
            "https://api.anthropic.com/v1/organizations/usage_report/messages?"
            "starting_at=2024-08-01T00%3A00%3A00Z&ending_at=2024-08-02T00%3A00%3A00Z"
            "&bucket_width=1d&group_by%5B%5D=model&group_by%5B%5D=api_key_id&limit=31");
  EXPECT_THAT(usage.headers, ElementsAre(Pair("x-api-key", "sk-ant-admin-x"),
                                         Pair("anthropic-version", "2023-06-01"),
                                         Pair("Accept", "application/json")));
  HttpRequest costs = ReportRequest(e, ReportProvider::kAnthropic, ReportKind::kCosts, w, 31,
                                    "page_2", "sk-ant-admin-x");
  EXPECT_EQ(costs.url,
            "https://api.anthropic.com/v1/organizations/cost_report?"
            "starting_at=2024-08-01T00%3A00%3A00Z&ending_at=2024-08-02T00%3A00%3A00Z"
            "&bucket_width=1d&group_by%5B%5D=description&limit=31&page=page_2");
}

// ---- pages ----

TEST(ParseReportPage, OpenAiUsage) {
  // As the API answers (abridged): a bucket per day, results per model and key; input_tokens
  // include the cached ones; a day without usage has no results.
  const char* body = R"({
    "object": "page",
    "data": [
      {"object": "bucket", "start_time": 1722470400, "end_time": 1722556800, "results": [
        {"object": "organization.usage.completions.result", "input_tokens": 1000,
         "output_tokens": 200, "input_cached_tokens": 300, "input_audio_tokens": 0,
         "output_audio_tokens": 0, "num_model_requests": 4, "project_id": null, "user_id": null,
         "api_key_id": "key_abc", "model": "gpt-4o-mini-2024-07-18", "batch": null},
        {"object": "organization.usage.completions.result", "input_tokens": 7,
         "output_tokens": 1, "input_cached_tokens": null, "num_model_requests": 1,
         "api_key_id": null, "model": "gpt-4o"}]},
      {"object": "bucket", "start_time": 1722556800, "end_time": 1722643200, "results": []}
    ],
    "has_more": true,
    "next_page": "page_AAAA"
  })";
  auto page = ParseReportPage(ReportProvider::kOpenAi, ReportKind::kUsage, body);
  ASSERT_THAT(page, IsOk());
  EXPECT_TRUE(page->has_more);
  EXPECT_EQ(page->next_page, "page_AAAA");
  EXPECT_THAT(
      page->buckets,
      ElementsAre(
          ReportedBucket{kDay, "gpt-4o-mini-2024-07-18", "key_abc", {1000, 300, 0, 200, 4}, {}},
          ReportedBucket{kDay, "gpt-4o", "", {7, 0, 0, 1, 1}, {}}));
}

TEST(ParseReportPage, OpenAiCostsByLineItemExactly) {
  const char* body = R"json({
    "object": "page",
    "data": [{"object": "bucket", "start_time": 1722470400, "end_time": 1722556800, "results": [
      {"object": "organization.costs.result", "amount": {"value": 0.10659000000000001,
       "currency": "usd"}, "line_item": "gpt-4o-mini-2024-07-18, input", "project_id": null},
      {"object": "organization.costs.result", "amount": {"value": 1.23e-05, "currency": "usd"},
       "line_item": "gpt-4o-mini-2024-07-18, cached input", "project_id": null},
      {"object": "organization.costs.result", "amount": {"value": 2, "currency": "usd"},
       "line_item": "gpt-4o-mini-2024-07-18, output", "project_id": null},
      {"object": "organization.costs.result", "amount": {"value": 0.5, "currency": "usd"},
       "line_item": "web search tool calls", "project_id": null},
      {"object": "organization.costs.result", "amount": {"value": 0.25, "currency": "usd"},
       "line_item": "gpt-4o, input (batch)", "project_id": null}]
}],
    "has_more": false,
    "next_page": null
})json";
  auto page = ParseReportPage(ReportProvider::kOpenAi, ReportKind::kCosts, body);
  ASSERT_THAT(page, IsOk());
  EXPECT_FALSE(page->has_more);
  EXPECT_EQ(page->next_page, "");
  std::vector<ReportedBucket> merged = MergeBuckets(page->buckets);
  ASSERT_EQ(merged.size(), 3u);
  EXPECT_EQ(merged[0], (ReportedBucket{kDay, "gpt-4o", "", {}, {0, 0, 0, 0, 250'000'000}}));
  EXPECT_EQ(
      merged[1],
      (ReportedBucket{
          kDay, "gpt-4o-mini-2024-07-18", "", {}, {106'590'000, 12'300, 0, 2'000'000'000, 0}}));
  EXPECT_EQ(merged[2],
            (ReportedBucket{kDay, "web search tool calls", "", {}, {0, 0, 0, 0, 500'000'000}}));
}

TEST(ParseReportPage, AnthropicUsageAddsCacheTokensToInput) {
  const char* body = R"({
    "data": [{"starting_at": "2024-08-01T00:00:00Z", "ending_at": "2024-08-02T00:00:00Z",
      "results": [{"uncached_input_tokens": 1500, "cache_creation":
        {"ephemeral_1h_input_tokens": 1000, "ephemeral_5m_input_tokens": 500},
        "cache_read_input_tokens": 200, "output_tokens": 500,
        "server_tool_use": {"web_search_requests": 10}, "api_key_id": "apikey_01Rj",
        "workspace_id": null, "model": "claude-sonnet-4-20250514", "service_tier": "standard",
        "context_window": "0-200k"}]}],
    "has_more": false, "next_page": null})";
  auto page = ParseReportPage(ReportProvider::kAnthropic, ReportKind::kUsage, body);
  ASSERT_THAT(page, IsOk());
  EXPECT_THAT(page->buckets,
              ElementsAre(ReportedBucket{
                  kDay, "claude-sonnet-4-20250514", "apikey_01Rj", {3200, 200, 1500, 500, 0}, {}}));
}

TEST(ParseReportPage, AnthropicCostsAreCentsByTokenType) {
  const char* body = R"({
    "data": [{"starting_at": "2024-08-01T00:00:00Z", "ending_at": "2024-08-02T00:00:00Z",
      "results": [
        {"currency": "USD", "amount": "123.78912", "workspace_id": null,
         "description": "Claude Sonnet 4 Usage - Input Tokens", "cost_type": "tokens",
         "context_window": "0-200k", "model": "claude-sonnet-4-20250514",
         "service_tier": "standard", "token_type": "uncached_input_tokens"},
        {"currency": "USD", "amount": "7.5", "model": "claude-sonnet-4-20250514",
         "token_type": "output_tokens", "cost_type": "tokens"},
        {"currency": "USD", "amount": "0.06", "model": "claude-sonnet-4-20250514",
         "token_type": "cache_read_input_tokens", "cost_type": "tokens"},
        {"currency": "USD", "amount": "1", "model": "claude-sonnet-4-20250514",
         "token_type": "cache_creation.ephemeral_1h_input_tokens", "cost_type": "tokens"},
        {"currency": "USD", "amount": "2", "model": "claude-sonnet-4-20250514",
         "token_type": "cache_creation.ephemeral_5m_input_tokens", "cost_type": "tokens"},
        {"currency": "USD", "amount": "100", "model": null, "token_type": null,
         "description": "Web Search", "cost_type": "web_search"}]}],
    "has_more": true, "next_page": "page_2"})";
  auto page = ParseReportPage(ReportProvider::kAnthropic, ReportKind::kCosts, body);
  ASSERT_THAT(page, IsOk());
  std::vector<ReportedBucket> merged = MergeBuckets(page->buckets);
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged[0], (ReportedBucket{kDay, "Web Search", "", {}, {0, 0, 0, 0, 1'000'000'000}}));
  EXPECT_EQ(merged[1], (ReportedBucket{kDay,
                                       "claude-sonnet-4-20250514",
                                       "",
                                       {},
                                       {1'237'891'200, 600'000, 30'000'000, 75'000'000, 0}}));
}

TEST(ParseReportPage, UnalignedBucketsLandOnTheirUtcDay) {
  // A bucket starting at 05:00 UTC counts for that day.
  const char* body = R"({"data": [{"start_time": 1722488400, "results": [
    {"input_tokens": 1, "output_tokens": 1, "model": "m"}]}], "has_more": false})";
  auto page = ParseReportPage(ReportProvider::kOpenAi, ReportKind::kUsage, body);
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->buckets.size(), 1u);
  EXPECT_EQ(page->buckets[0].day_unix_ms, kDay);
}

TEST(ParseReportPage, MalformedPagesAreRefused) {
  struct Case {
    ReportProvider p;
    ReportKind k;
    const char* body;
    const char* why;
  };
  const Case cases[] = {
      {ReportProvider::kOpenAi, ReportKind::kUsage, "not json", "not a JSON object"},
      {ReportProvider::kOpenAi, ReportKind::kUsage, R"({"object":"page"})", "no data array"},
      {ReportProvider::kOpenAi, ReportKind::kUsage, R"({"data":[{"results":[]}]})",
       "no start_time"},
      {ReportProvider::kOpenAi, ReportKind::kUsage,
       R"({"data":[{"start_time":1722470400,"results":[{"input_tokens":-1}]}]})",
       "input_tokens is not a token count"},
      {ReportProvider::kOpenAi, ReportKind::kUsage,
       R"({"data":[{"start_time":1722470400,"results":[{"input_tokens":1.5}]}]})",
       "input_tokens is not a token count"},
      {ReportProvider::kOpenAi, ReportKind::kUsage,
       R"({"data":[{"start_time":1722470400,"results":[{"input_tokens":1,"input_cached_tokens":2}]}]})",
       "exceed"},
      {ReportProvider::kOpenAi, ReportKind::kUsage, R"({"data":[],"has_more":true})",
       "has_more without next_page"},
      {ReportProvider::kOpenAi, ReportKind::kCosts,
       R"({"data":[{"start_time":1722470400,"results":[{"amount":{"value":"x"}}]}]})",
       "not a decimal amount"},
      {ReportProvider::kOpenAi, ReportKind::kCosts,
       R"({"data":[{"start_time":1722470400,"results":[{"amount":{"value":1,"currency":"eur"}}]}]})",
       "USD only"},
      {ReportProvider::kAnthropic, ReportKind::kUsage,
       R"({"data":[{"starting_at":"yesterday","results":[]}]})", "starting_at"},
      {ReportProvider::kAnthropic, ReportKind::kCosts,
       R"({"data":[{"starting_at":"2024-08-01T00:00:00Z","results":[{"currency":"USD"}]}]})",
       "no amount"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(ParseReportPage(c.p, c.k, c.body),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         ::testing::AllOf(HasSubstr("malformed"), HasSubstr(c.why))))
        << c.body;
  }
}

TEST(ProviderErrorMessage, ProviderShapesWithoutTheKey) {
  EXPECT_EQ(
      ProviderErrorMessage(
          R"({"error":{"message":"Incorrect API key provided: sk-admin-SECRET0123456789abcdef.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}})",
          kKey),
      "Incorrect API key provided: [redacted].");
  EXPECT_EQ(
      ProviderErrorMessage(
          R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}})",
          kKey),
      "invalid x-api-key");
  EXPECT_EQ(ProviderErrorMessage("<html>502</html>", kKey), "");
  EXPECT_EQ(ProviderErrorMessage(R"({"error":"line one\nline two"})", kKey), "line one line two");
  // At most 300 bytes, never half a UTF-8 character.
  std::string long_message(299, 'a');
  long_message += "\xC3\xA9\xC3\xA9";
  std::string body = R"({"error":{"message":")" + long_message + R"("}})";
  EXPECT_EQ(ProviderErrorMessage(body, kKey), std::string(299, 'a'));
}

TEST(QueryString, PercentEncodesReservedBytes) {
  EXPECT_EQ(QueryString({{"group_by[]", "model"}, {"t", "2024-08-01T00:00:00Z"}, {"s", "a b&c"}}),
            "group_by%5B%5D=model&t=2024-08-01T00%3A00%3A00Z&s=a%20b%26c");
}

}  // namespace
}  // namespace llmgw::metering

#include "services/dashboard/domain/provider_sync.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/testing/status_matchers.h"

namespace llmgw::dashboard {
namespace {

using test::IsOk;
using test::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kDay = 1'722'470'400'000;  // 2024-08-01T00:00:00Z
constexpr int64_t kDayMs = 86'400'000;

TEST(ProviderSync, ConnectionBodies) {
  auto in = ParseConnectionBody(R"({"provider":"openai","admin_key":"sk-admin-x"})");
  ASSERT_THAT(in, IsOk());
  EXPECT_EQ(in->provider, "openai");
  EXPECT_EQ(in->admin_key, "sk-admin-x");
  for (const char* bad :
       {"", "[]", "{nope", R"({"provider":"openai"})", R"({"provider":"openai","admin_key":42})",
        R"({"provider":"","admin_key":"sk-admin-secret"})"}) {
    auto r = ParseConnectionBody(bad);
    EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
    EXPECT_THAT(std::string(r.status().message()), Not(HasSubstr("sk-admin-secret")));
  }
}

TEST(ProviderSync, DayRanges) {
  auto r = ParseDayRange(std::nullopt, std::nullopt, kDay + 5 * 3'600'000);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->from_day_ms, kDay - 29 * kDayMs);  // 30 days, today included
  EXPECT_EQ(r->to_day_ms, kDay + kDayMs);
  r = ParseDayRange("2024-07-01", "2024-07-31", kDay);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->to_day_ms - r->from_day_ms, 31 * kDayMs);
  r = ParseDayRange("2024-08-01", "2024-08-01", 0);  // one day
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->from_day_ms, kDay);
  EXPECT_EQ(r->to_day_ms, kDay + kDayMs);
  EXPECT_THAT(ParseDayRange("2024-08-02", "2024-08-01", kDay),
              StatusIs(absl::StatusCode::kInvalidArgument, "from must not be after to"));
  EXPECT_THAT(ParseDayRange("2023-01-01", "2024-08-01", kDay),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("366 days")));
  EXPECT_THAT(ParseDayRange("yesterday", std::nullopt, kDay),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("from must be a date")));
  EXPECT_THAT(ParseDayRange(std::nullopt, "2024-08-01T00:00:00Z", kDay),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("to must be a date")));
}

TEST(ProviderSync, CsvContentTypes) {
  EXPECT_TRUE(IsCsvContentType("text/csv"));
  EXPECT_TRUE(IsCsvContentType("text/csv; charset=utf-8"));
  EXPECT_TRUE(IsCsvContentType("Text/CSV"));
  EXPECT_TRUE(IsCsvContentType("text/plain"));
  EXPECT_FALSE(IsCsvContentType("application/json"));
  EXPECT_FALSE(IsCsvContentType(""));
  EXPECT_FALSE(IsCsvContentType("multipart/form-data; boundary=x"));
}

TEST(ProviderSync, JsonShapes) {
  ProviderConnection c{"id-1",
                       "anthropic",
                       "sk-ant-admin",
                       "failed",
                       "Anthropic refused the admin key (HTTP 401: invalid x-api-key)",
                       0,
                       1'700'000'000'000};
  EXPECT_EQ(
      ProviderConnectionJson(c).dump(),
      R"j({"id":"id-1","provider":"anthropic","key_prefix":"sk-ant-admin","status":"failed",)j"
      R"j("last_sync_at":null,"last_error":"Anthropic refused the admin key (HTTP 401: )j"
      R"j(invalid x-api-key)","created_at":"2023-11-14T22:13:20Z"})j");
  c.status = "ok";
  c.last_error.clear();
  c.last_sync_at_unix_ms = 1'700'000'000'250;
  Json j = ProviderConnectionJson(c);
  EXPECT_EQ(j["last_sync_at"], "2023-11-14T22:13:20.250Z");
  EXPECT_TRUE(j["last_error"].is_null());

  ReconciliationRow row;
  row.day_unix_ms = kDay;
  row.provider = "openai";
  row.model = "gpt-4o-mini";
  row.provider_input_tokens = 1300;
  row.provider_output_tokens = 160;
  row.provider_cost_nano = 291'000;
  row.metered_input_tokens = 1000;
  row.metered_output_tokens = 120;
  row.metered_cost_nano = 222'000;
  row.metered_requests = 4;
  row.unmetered_input_tokens = 300;
  row.unmetered_output_tokens = 40;
  row.unmetered_cost_nano = 69'000;
  row.drift_cost_nano = 69'000;
  EXPECT_EQ(ReconciliationJson({kDay - kDayMs, kDay + kDayMs}, {row}).dump(),
            R"({"from":"2024-07-31","to":"2024-08-01","rows":[{"date":"2024-08-01",)"
            R"("provider":"openai","model":"gpt-4o-mini","provider_input_tokens":1300,)"
            R"("provider_cached_input_tokens":0,"provider_output_tokens":160,)"
            R"("provider_cost_nano":291000,"provider_cost_usd":"0.000291000",)"
            R"("metered_requests":4,"metered_input_tokens":1000,"metered_cached_input_tokens":0,)"
            R"("metered_output_tokens":120,"metered_cost_nano":222000,)"
            R"("metered_cost_usd":"0.000222000","unmetered_input_tokens":300,)"
            R"("unmetered_output_tokens":40,"unmetered_cost_nano":69000,)"
            R"("unmetered_cost_usd":"0.000069000","drift_cost_nano":69000,)"
            R"("drift_cost_usd":"0.000069000"}]})");
  row.drift_cost_nano = -5;
  EXPECT_EQ(ReconciliationJson({kDay, kDay + kDayMs}, {row})["rows"][0]["drift_cost_usd"],
            "-0.000000005");
  EXPECT_EQ(CsvErrorJson({0, 3, "line 3: bad"}).dump(),
            R"({"error":{"message":"line 3: bad","type":"invalid_request_error","line":3}})");
}

}  // namespace
}  // namespace llmgw::dashboard

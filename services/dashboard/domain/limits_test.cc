#include "services/dashboard/domain/limits.h"

#include "gtest/gtest.h"
#include "libs/testing/status_matchers.h"

namespace llmgw::dashboard {
namespace {

using ::llmgw::test::StatusIs;

TEST(ParseLimitsBody, AbsentStaysNullUnsetsValuesSet) {
  auto p = ParseLimitsBody(R"({"rpm":60,"tpm":null,"daily_budget_usd":0.5})");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->set_rpm);
  EXPECT_EQ(p->values.rpm, 60);
  EXPECT_TRUE(p->set_tpm);
  EXPECT_FALSE(p->values.tpm.has_value());
  EXPECT_TRUE(p->set_daily);
  EXPECT_EQ(p->values.daily_budget_nano, 500'000'000);
  EXPECT_FALSE(p->set_monthly);
}

TEST(ParseLimitsBody, BudgetsAsNumbersOrStringsExactly) {
  EXPECT_EQ(ParseLimitsBody(R"({"monthly_budget_usd":"50"})")->values.monthly_budget_nano,
            50'000'000'000);
  EXPECT_EQ(ParseLimitsBody(R"({"monthly_budget_usd":0.1})")->values.monthly_budget_nano,
            100'000'000);
  EXPECT_EQ(ParseLimitsBody(R"({"daily_budget_usd":"0.000000001"})")->values.daily_budget_nano, 1);
  EXPECT_EQ(ParseLimitsBody(R"({"daily_budget_usd":1000000000})")->values.daily_budget_nano,
            kMaxBudgetNano);
}

TEST(ParseLimitsBody, RefusesWhatIsNotALimit) {
  for (const char* body :
       {"[]", "nope", R"({"rpm":0})", R"({"rpm":1.5})", R"({"rpm":"60"})",
        R"({"tpm":1000000001})", R"({"daily_budget_usd":0})", R"({"daily_budget_usd":-1})",
        R"({"daily_budget_usd":"1e3"})", R"({"daily_budget_usd":true})",
        R"({"monthly_budget_usd":1000000001})", R"({"rate":5})"}) {
    EXPECT_THAT(ParseLimitsBody(body), StatusIs(absl::StatusCode::kInvalidArgument)) << body;
  }
  EXPECT_EQ(ParseLimitsBody(R"({"rate":5})").status().message(), "unknown field: rate");
}

TEST(LimitsJson, NullWhereUnsetMoneyTwice) {
  Json j = LimitsJson(Limits{.rpm = 60, .daily_budget_nano = 500'000'000});
  EXPECT_EQ(j["rpm"], 60);
  EXPECT_TRUE(j["tpm"].is_null());
  EXPECT_EQ(j["daily_budget_nano"], 500'000'000);
  EXPECT_EQ(j["daily_budget_usd"], "0.500000000");
  EXPECT_TRUE(j["monthly_budget_usd"].is_null());
}

TEST(BudgetUsageOf, SpentPlusReservedOfTheScope) {
  std::vector<BudgetSpend> b = {{"org", "day", 100, 20},
                                {"org", "month", 900, 20},
                                {"cred:k", "day", 5, 0}};
  QuotaUsage org = BudgetUsageOf("org", b);
  EXPECT_EQ(org.day_spent_nano, 120);
  EXPECT_EQ(org.month_spent_nano, 920);
  EXPECT_EQ(BudgetUsageOf("cred:k", b).day_spent_nano, 5);
  EXPECT_EQ(BudgetUsageOf("cred:x", b).day_spent_nano, 0);
}

TEST(CountLastMinute, StopsAtTheFirstOlderRow) {
  std::vector<UsageRow> rows(3);
  rows[0].requested_at_unix_ms = 100'000;
  rows[0].input_tokens = 10;
  rows[0].output_tokens = 5;
  rows[1].requested_at_unix_ms = 45'000;
  rows[1].input_tokens = 1;
  rows[2].requested_at_unix_ms = 39'999;
  rows[2].input_tokens = 1000;
  QuotaUsage u;
  CountLastMinute(rows, 100'000, u);
  EXPECT_EQ(u.minute_requests, 2);
  EXPECT_EQ(u.minute_tokens, 16);
}

}  // namespace
}  // namespace llmgw::dashboard

#include "services/gateway/domain/controls.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace llmgw::gateway {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

TEST(BudgetsOf, CredentialThenOrganizationOnlyWhereSet) {
  EXPECT_TRUE(BudgetsOf("c1", {}, {.rpm = 5}).empty());
  EXPECT_THAT(BudgetsOf("c1", {.daily_budget = 50}, {.daily_budget = 7, .monthly_budget = 900}),
              ElementsAre(BudgetSpec{"cred:c1", "day", 50}, BudgetSpec{"org", "day", 7},
                          BudgetSpec{"org", "month", 900}));
}

TEST(RateScopesOf, OnlyScopesWithALimit) {
  auto scopes = RateScopesOf("o1", "c1", {.rpm = 60}, {.daily_budget = 5});
  ASSERT_EQ(scopes.size(), 1u);
  EXPECT_EQ(scopes[0].key, "cred:c1");
  EXPECT_EQ(scopes[0].limits.rpm, 60);
  EXPECT_EQ(scopes[0].limits.tpm, 0);
  scopes = RateScopesOf("o1", "c1", {}, {.tpm = 1000});
  ASSERT_EQ(scopes.size(), 1u);
  EXPECT_EQ(scopes[0].key, "org:o1");
}

TEST(TokenBound, InputPlusOutputAtLeastOne) {
  EXPECT_EQ(TokenBound(100, 50), 150);
  EXPECT_EQ(TokenBound(0, 0), 1);
  EXPECT_EQ(TokenBound(-5, 10), 10);
}

TEST(OpenAIDuration, MatchesOpenAIsFormat) {
  EXPECT_EQ(OpenAIDuration(0), "0ms");
  EXPECT_EQ(OpenAIDuration(250), "250ms");
  EXPECT_EQ(OpenAIDuration(1000), "1s");
  EXPECT_EQ(OpenAIDuration(1500), "1.5s");
  EXPECT_EQ(OpenAIDuration(1234), "1.234s");
  EXPECT_EQ(OpenAIDuration(60'000), "1m0s");
  EXPECT_EQ(OpenAIDuration(360'000), "6m0s");
  EXPECT_EQ(OpenAIDuration(61'200), "1m1.2s");
  EXPECT_EQ(OpenAIDuration(-3), "0ms");
}

RateDecision Decision() {
  RateDecision d;
  d.limits_requests = true;
  d.limit_requests = 60;
  d.remaining_requests = 59;
  d.reset_requests_ms = 1000;
  return d;
}

TEST(RateLimitHeaders, OpenAIShowsLimitRemainingAndResetOfLimitedDimensions) {
  EXPECT_THAT(RateLimitHeaders(Surface::kOpenAI, Decision(), true, 0),
              ElementsAre(Pair("x-ratelimit-limit-requests", "60"),
                          Pair("x-ratelimit-remaining-requests", "59"),
                          Pair("x-ratelimit-reset-requests", "1s")));
}

TEST(RateLimitHeaders, AnthropicResetsAreRfc3339Times) {
  RateDecision d = Decision();
  d.limits_tokens = true;
  d.limit_tokens = 1000;
  d.remaining_tokens = -4;  // shown as 0
  d.reset_tokens_ms = 30'000;
  EXPECT_THAT(RateLimitHeaders(Surface::kAnthropic, d, true, 1'750'000'000'000),
              ElementsAre(Pair("anthropic-ratelimit-requests-limit", "60"),
                          Pair("anthropic-ratelimit-requests-remaining", "59"),
                          Pair("anthropic-ratelimit-requests-reset", "2025-06-15T15:06:41Z"),
                          Pair("anthropic-ratelimit-tokens-limit", "1000"),
                          Pair("anthropic-ratelimit-tokens-remaining", "0"),
                          Pair("anthropic-ratelimit-tokens-reset", "2025-06-15T15:07:10Z")));
}

TEST(RateLimitHeaders, PassThroughAddsOnlyTheGatewaysRemaining) {
  EXPECT_THAT(RateLimitHeaders(Surface::kOpenAI, Decision(), false, 0),
              ElementsAre(Pair("x-llmgw-ratelimit-remaining-requests", "59")));
  EXPECT_TRUE(RateLimitHeaders(Surface::kOpenAI, RateDecision{}, false, 0).empty());
}

TEST(RetryAfterSeconds, RoundsUpToAtLeastOne) {
  RateDecision d;
  d.retry_after_ms = 0;
  EXPECT_EQ(RetryAfterSeconds(d), 1);
  d.retry_after_ms = 1001;
  EXPECT_EQ(RetryAfterSeconds(d), 2);
  d.retry_after_ms = 3000;
  EXPECT_EQ(RetryAfterSeconds(d), 3);
}

TEST(RefusalText, NamesTheLimitAndScope) {
  RateDecision d;
  d.refused_by = "cred:abc/requests";
  d.retry_after_ms = 500;
  EXPECT_EQ(RefusalText(d), "requests per minute of this key");
  d.refused_by = "org:o/tokens";
  EXPECT_EQ(RefusalText(d), "tokens per minute of this organization");
  d.retry_after_ms = 0;
  d.exceeds_limit = true;
  EXPECT_THAT(RefusalText(d), ::testing::HasSubstr("lower max_tokens"));
}

TEST(BudgetRefusalText, NamesPeriodAndScope) {
  EXPECT_EQ(BudgetRefusalText("budget_exceeded: the day budget of cred:abc is spent"),
            "the daily budget of this key is spent");
  EXPECT_EQ(BudgetRefusalText("budget_exceeded: the month budget of org is spent"),
            "the monthly budget of this organization is spent");
}

}  // namespace
}  // namespace llmgw::gateway

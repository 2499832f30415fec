#include "services/gateway/domain/rate_limit.h"

#include <gtest/gtest.h>

#include <limits>

namespace llmgw::gateway {
namespace {

constexpr int64_t kNow = 1'700'000'000'000'000;  // µs
constexpr int64_t kSec = 1'000'000;

LimitScope Scope(std::string key, int64_t rpm, int64_t tpm) { return {std::move(key), {rpm, tpm}}; }

// Runs one check against `tats` and stores the result when admitted, as a limiter would.
RateDecision Check(const std::vector<LimitScope>& scopes, std::vector<ScopeTats>& tats,
                   int64_t tokens, int64_t now) {
  RateCheck c = CheckRateLimits(scopes, tats, tokens, now);
  if (c.decision.allowed) tats = c.tats;
  return c.decision;
}

TEST(GcraTest, IncrementRoundsUp) {
  EXPECT_EQ(GcraIncrementUs(1, 60), kSec);
  EXPECT_EQ(GcraIncrementUs(1, 7), 8'571'429);  // 8571428.57…
  EXPECT_EQ(GcraIncrementUs(0, 7), 0);
  EXPECT_EQ(GcraIncrementUs(3, 60'000'000), 3);
  EXPECT_EQ(GcraIncrementUs(1, 120'000'000), 1);  // half a µs rounds up to one
}

TEST(GcraTest, BurstOfTheLimitThenOnePerInterval) {
  const std::vector<LimitScope> scopes = {Scope("cred:a", 60, 0)};
  std::vector<ScopeTats> tats(1);
  for (int i = 0; i < 60; ++i) {
    RateDecision d = Check(scopes, tats, 0, kNow);
    ASSERT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.remaining_requests, 59 - i);
    EXPECT_EQ(d.limit_requests, 60);
    EXPECT_EQ(d.reset_requests_ms, (i + 1) * 1000);
  }
  RateDecision refused = Check(scopes, tats, 0, kNow);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_ms, 999);  // the 1 ms slack: admitted 1 ms before the second
  EXPECT_EQ(refused.refused_by, "cred:a/requests");
  EXPECT_EQ(refused.remaining_requests, 0);
  EXPECT_EQ(refused.reset_requests_ms, 60'000);
  EXPECT_FALSE(refused.exceeds_limit);
  // Just before the interval: still refused, with the rest of it to wait.
  RateDecision early = Check(scopes, tats, 0, kNow + kSec - 1'001);
  EXPECT_FALSE(early.allowed);
  EXPECT_EQ(early.retry_after_ms, 1);
  // Then one per second, never two.
  for (int s = 1; s <= 5; ++s) {
    EXPECT_TRUE(Check(scopes, tats, 0, kNow + s * kSec).allowed) << s;
    EXPECT_FALSE(Check(scopes, tats, 0, kNow + s * kSec).allowed) << s;
  }
  // Idle for a minute: the whole burst again.
  const int64_t later = kNow + 5 * kSec + 60 * kSec;
  RateDecision fresh = Check(scopes, tats, 0, later);
  EXPECT_TRUE(fresh.allowed);
  EXPECT_EQ(fresh.remaining_requests, 59);
}

TEST(GcraTest, OddLimitAdmitsExactlyItsBurst) {
  for (int64_t rpm : {1, 7, 13, 999, 1000}) {
    const std::vector<LimitScope> scopes = {Scope("k", rpm, 0)};
    std::vector<ScopeTats> tats(1);
    int64_t admitted = 0;
    for (int64_t i = 0; i < rpm + 5; ++i) admitted += Check(scopes, tats, 0, kNow).allowed;
    EXPECT_EQ(admitted, rpm) << rpm;
  }
}

TEST(GcraTest, OneRequestPerMinute) {
  const std::vector<LimitScope> scopes = {Scope("k", 1, 0)};
  std::vector<ScopeTats> tats(1);
  RateDecision d = Check(scopes, tats, 0, kNow);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining_requests, 0);
  EXPECT_EQ(d.reset_requests_ms, 60'000);
  RateDecision r = Check(scopes, tats, 0, kNow + 30 * kSec);
  EXPECT_FALSE(r.allowed);
  EXPECT_EQ(r.retry_after_ms, 29'999);
  EXPECT_EQ(r.reset_requests_ms, 30'000);
  EXPECT_TRUE(Check(scopes, tats, 0, kNow + 60 * kSec).allowed);
}

TEST(GcraTest, ClockNotMovingAdmitsNothingMore) {
  const std::vector<LimitScope> scopes = {Scope("k", 3, 0)};
  std::vector<ScopeTats> tats(1);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(Check(scopes, tats, 0, kNow).allowed);
  const std::vector<ScopeTats> before = tats;
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(Check(scopes, tats, 0, kNow).allowed);
  EXPECT_EQ(tats, before);  // refusals charge nothing
}

TEST(GcraTest, TokensReservedFromTheBound) {
  const std::vector<LimitScope> scopes = {Scope("k", 0, 1000)};
  std::vector<ScopeTats> tats(1);
  RateDecision d = Check(scopes, tats, 600, kNow);
  EXPECT_TRUE(d.allowed);
  EXPECT_TRUE(d.limits_tokens);
  EXPECT_FALSE(d.limits_requests);
  EXPECT_EQ(d.limit_tokens, 1000);
  EXPECT_EQ(d.remaining_tokens, 400);
  EXPECT_EQ(d.reset_tokens_ms, 36'000);
  RateDecision r = Check(scopes, tats, 500, kNow);
  EXPECT_FALSE(r.allowed);
  EXPECT_EQ(r.refused_by, "k/tokens");
  EXPECT_EQ(r.retry_after_ms, 5'999);  // 100 tokens at 60 ms each, less the slack
  EXPECT_EQ(r.remaining_tokens, 400);
  EXPECT_TRUE(Check(scopes, tats, 400, kNow).allowed);
}

TEST(GcraTest, BoundAboveTheLimitIsNeverAdmitted) {
  const std::vector<LimitScope> scopes = {Scope("cred:a", 100, 0), Scope("org:o", 0, 1000)};
  std::vector<ScopeTats> tats(2);
  RateDecision d = Check(scopes, tats, 1001, kNow);
  EXPECT_FALSE(d.allowed);
  EXPECT_TRUE(d.exceeds_limit);
  EXPECT_EQ(d.retry_after_ms, 0);
  EXPECT_EQ(d.refused_by, "org:o/tokens");
  EXPECT_EQ(tats, std::vector<ScopeTats>(2));
  EXPECT_TRUE(Check(scopes, tats, 1000, kNow).allowed);  // exactly the limit fits an idle bucket
}

TEST(GcraTest, AllOrNothingAcrossScopesAndDimensions) {
  const std::vector<LimitScope> scopes = {Scope("cred:a", 10, 0), Scope("org:o", 5, 1000)};
  std::vector<ScopeTats> tats(2);
  // The organization's rpm is the tighter one: five, then refused, and the credential is not
  // charged for the refusals.
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(Check(scopes, tats, 10, kNow).allowed);
  const std::vector<ScopeTats> after_five = tats;
  RateDecision r = Check(scopes, tats, 10, kNow);
  EXPECT_FALSE(r.allowed);
  EXPECT_EQ(r.refused_by, "org:o/requests");
  EXPECT_EQ(tats, after_five);
  EXPECT_EQ(r.remaining_requests, 0);
  EXPECT_EQ(r.limit_requests, 5);
  EXPECT_EQ(r.remaining_tokens, 950);
  // The credential alone would have admitted five more: it has 5 left.
  const std::vector<LimitScope> cred_only = {scopes[0]};
  std::vector<ScopeTats> cred_tats = {tats[0]};
  EXPECT_EQ(Check(cred_only, cred_tats, 0, kNow).remaining_requests, 4);

  // Tokens refuse while requests would admit: nothing charged either.
  std::vector<ScopeTats> t2(2);
  EXPECT_TRUE(Check(scopes, t2, 990, kNow).allowed);
  const std::vector<ScopeTats> before = t2;
  RateDecision tr = Check(scopes, t2, 20, kNow);
  EXPECT_FALSE(tr.allowed);
  EXPECT_EQ(tr.refused_by, "org:o/tokens");
  EXPECT_EQ(t2, before);
}

TEST(GcraTest, ReportsTheMostConstrainingScope) {
  const std::vector<LimitScope> scopes = {Scope("cred:a", 100, 0), Scope("org:o", 10, 0)};
  std::vector<ScopeTats> tats(2);
  RateDecision d = Check(scopes, tats, 0, kNow);
  EXPECT_EQ(d.limit_requests, 10);
  EXPECT_EQ(d.remaining_requests, 9);
  EXPECT_EQ(d.reset_requests_ms, 6'000);
}

TEST(GcraTest, NoLimitsAdmitsAndSaysSo) {
  const std::vector<LimitScope> scopes = {Scope("cred:a", 0, 0)};
  std::vector<ScopeTats> tats(1);
  RateDecision d = Check(scopes, tats, 1'000'000, kNow);
  EXPECT_TRUE(d.allowed);
  EXPECT_FALSE(d.limits_requests);
  EXPECT_FALSE(d.limits_tokens);
  EXPECT_TRUE(Check({}, tats, 5, kNow).allowed);
}

TEST(GcraTest, CorrectionRefundsAndOvercharges) {
  const std::vector<LimitScope> scopes = {Scope("k", 0, 1000)};
  std::vector<ScopeTats> tats(1);
  ASSERT_TRUE(Check(scopes, tats, 800, kNow).allowed);
  EXPECT_EQ(tats[0].tokens_tat_us, kNow + 48 * kSec);
  // 300 used: 500 back.
  tats = CorrectRateLimits(scopes, tats, 800, 300, kNow);
  EXPECT_EQ(tats[0].tokens_tat_us, kNow + 18 * kSec);
  EXPECT_EQ(Check(scopes, tats, 0, kNow).remaining_tokens, 700);
  // A refund never moves the TAT before now.
  tats = CorrectRateLimits(scopes, tats, 900, 0, kNow + 10 * kSec);
  EXPECT_EQ(tats[0].tokens_tat_us, kNow + 10 * kSec);
  // Used more than reserved: charged, never refused, may push beyond the window.
  tats = CorrectRateLimits(scopes, tats, 100, 2100, kNow + 10 * kSec);
  EXPECT_EQ(tats[0].tokens_tat_us, kNow + 130 * kSec);
  RateDecision r = Check(scopes, tats, 1, kNow + 10 * kSec);
  EXPECT_FALSE(r.allowed);
  EXPECT_EQ(r.remaining_tokens, 0);
  EXPECT_EQ(r.retry_after_ms, 60'059);
  // Equal: unchanged; scopes without tpm: unchanged.
  EXPECT_EQ(CorrectRateLimits(scopes, tats, 5, 5, kNow), tats);
  const std::vector<LimitScope> rpm_only = {Scope("k", 10, 0)};
  EXPECT_EQ(CorrectRateLimits(rpm_only, tats, 100, 0, kNow), tats);
}

TEST(GcraTest, HugeValuesDoNotOverflow) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  const std::vector<LimitScope> scopes = {Scope("k", kMax, kMax)};
  std::vector<ScopeTats> tats(1);
  RateDecision d = Check(scopes, tats, kMax, kNow);
  EXPECT_TRUE(d.allowed);
  EXPECT_GT(d.remaining_requests, 0);
  EXPECT_LT(d.remaining_requests, kMax);
  // A bound of int64 max against a tiny tpm: never admitted, no overflow.
  const std::vector<LimitScope> tiny = {Scope("k", 1, 1)};
  std::vector<ScopeTats> t2(1);
  RateDecision e = Check(tiny, t2, kMax, kNow);
  EXPECT_FALSE(e.allowed);
  EXPECT_TRUE(e.exceeds_limit);
  // An absurd overcharge is capped a day ahead.
  t2 = CorrectRateLimits(tiny, t2, 0, kMax, kNow);
  EXPECT_EQ(t2[0].tokens_tat_us, kNow + kRateMaxDebtUs);
  // A stored TAT near the end of time and a clock near it.
  std::vector<ScopeTats> t3 = {{kMax - 5, kMax - 5}};
  RateDecision f = Check(tiny, t3, 1, kMax - 70 * kSec);
  EXPECT_FALSE(f.allowed);
  EXPECT_EQ(f.retry_after_ms, 69'999);
  EXPECT_TRUE(Check(tiny, t3, 1, kMax - 10).allowed);
  EXPECT_EQ(t3[0].requests_tat_us, kMax);  // saturated, not wrapped
  EXPECT_EQ(GcraCheck(kMax, kMax, kMax, 1).allowed, false);
  EXPECT_EQ(GcraIncrementUs(kMax, 1), kRateMaxDebtUs + kRateWindowUs);
}

TEST(GcraTest, ShareOfLimitsRoundsUpToAtLeastOne) {
  EXPECT_EQ(ShareOfLimits({60, 1001}, 2).rpm, 30);
  EXPECT_EQ(ShareOfLimits({60, 1001}, 2).tpm, 501);
  EXPECT_EQ(ShareOfLimits({1, 0}, 3).rpm, 1);
  EXPECT_EQ(ShareOfLimits({1, 0}, 3).tpm, 0);
  EXPECT_EQ(ShareOfLimits({7, 7}, 1).rpm, 7);
}

}  // namespace
}  // namespace llmgw::gateway

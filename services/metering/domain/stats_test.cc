#include "services/metering/domain/stats.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/testing/status_matchers.h"

namespace llmgw::metering {
namespace {

using test::IsOk;
using test::StatusIs;

constexpr int64_t kDay0 = 1'700'006'400'000;  // 2023-11-15T00:00:00Z, a UTC midnight

TEST(Buckets, FloorAndCeilAreUtcAndHandleNegativeTimes) {
  EXPECT_EQ(kDay0 % kDayMs, 0);
  EXPECT_EQ(FloorTo(kDay0 + 5, kHourMs), kDay0);
  EXPECT_EQ(CeilTo(kDay0 + 5, kHourMs), kDay0 + kHourMs);
  EXPECT_EQ(CeilTo(kDay0, kHourMs), kDay0);
  EXPECT_EQ(FloorTo(-1, kHourMs), -kHourMs);
  EXPECT_EQ(CeilTo(-1, kHourMs), 0);
  EXPECT_EQ(BucketStart(kDay0 + 25 * kHourMs + 7, Bucket::kHour), kDay0 + 25 * kHourMs);
  EXPECT_EQ(BucketStart(kDay0 + 25 * kHourMs + 7, Bucket::kDay), kDay0 + kDayMs);
  EXPECT_EQ(BucketStart(kDay0 + 25 * kHourMs + 7, Bucket::kNone), 0);
}

TEST(ValidateStatsQuery, NeedsOrgAndNonEmptyRange) {
  EXPECT_THAT(ValidateStatsQuery("org", {1, 2}), IsOk());
  EXPECT_THAT(ValidateStatsQuery("", {1, 2}),
              StatusIs(absl::StatusCode::kInvalidArgument, "organization_id is required"));
  EXPECT_THAT(ValidateStatsQuery("org", {2, 2}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateStatsQuery("org", {3, 2}), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(PlanRange, HourAlignedRangeIsAllRollup) {
  RangePlan p = PlanRange({kDay0, kDay0 + 5 * kHourMs});
  EXPECT_TRUE(p.raw_head.empty());
  EXPECT_EQ(p.rollup, (TimeRange{kDay0, kDay0 + 5 * kHourMs}));
  EXPECT_TRUE(p.raw_tail.empty());
}

TEST(PlanRange, PartialHoursAtTheEdgesAreRaw) {
  RangePlan p = PlanRange({kDay0 + 10, kDay0 + 3 * kHourMs + 20});
  EXPECT_EQ(p.raw_head, (TimeRange{kDay0 + 10, kDay0 + kHourMs}));
  EXPECT_EQ(p.rollup, (TimeRange{kDay0 + kHourMs, kDay0 + 3 * kHourMs}));
  EXPECT_EQ(p.raw_tail, (TimeRange{kDay0 + 3 * kHourMs, kDay0 + 3 * kHourMs + 20}));
}

TEST(PlanRange, RangeWithoutAWholeHourIsRaw) {
  RangePlan p = PlanRange({kDay0 + 10, kDay0 + kHourMs + 20});  // crosses one hour boundary
  EXPECT_EQ(p.raw_head, (TimeRange{kDay0 + 10, kDay0 + kHourMs + 20}));
  EXPECT_TRUE(p.rollup.empty());
  EXPECT_TRUE(p.raw_tail.empty());
}

TEST(PlanRange, ClampsToRepresentableTimes) {
  RangePlan p = PlanRange({-5 * kHourMs - 3, INT64_MAX});
  EXPECT_TRUE(p.raw_head.empty());
  EXPECT_EQ(p.rollup.from_unix_ms, 0);
  EXPECT_EQ(p.rollup.to_unix_ms, kMaxUnixMs + 1);  // year 10000 starts on an hour
  EXPECT_TRUE(p.raw_tail.empty());
  RangePlan none = PlanRange({INT64_MIN, -1});
  EXPECT_TRUE(none.raw_head.empty() && none.rollup.empty() && none.raw_tail.empty());
}

Totals T(int64_t requests, int64_t cost) {
  Totals t;
  t.requests = requests;
  t.input_tokens = requests * 10;
  t.cost_nano = cost;
  return t;
}

std::vector<UsageGroup> SampleGroups() {
  return {
      {kDay0, Mode::kPassthrough, "openai", "gpt-4o", T(2, 100)},
      {kDay0 + kHourMs, Mode::kReseller, "openai", "gpt-4o", T(1, 50)},
      {kDay0 + 30 * kHourMs, Mode::kReseller, "anthropic", "claude", T(4, 150)},
      {kDay0 + 2 * kHourMs, Mode::kPassthrough, "openai", "gpt-4o-mini", T(5, 0)},
      {kDay0 + 2 * kHourMs, Mode::kUnspecified, "xai", "grok", T(1, 0)},
      {kDay0 + 2 * kHourMs, Mode::kReseller, "google", "gemini", T(3, 150)},
  };
}

TEST(Fold, SummarySplitsByMode) {
  Summary s = Summarize(SampleGroups());
  EXPECT_EQ(s.total, T(16, 450));
  EXPECT_EQ(s.passthrough, T(7, 100));
  EXPECT_EQ(s.reseller, T(8, 350));
}

TEST(Fold, ByModelSortsByCostThenRequests) {
  auto m = UsageByModel(SampleGroups());
  ASSERT_EQ(m.size(), 5u);
  // Cost ties at 150: more requests first (claude 4), then provider/model ascending.
  std::vector<std::string> order;
  for (const auto& u : m) order.push_back(u.model);
  EXPECT_THAT(order, ::testing::ElementsAre("claude", "gemini", "gpt-4o", "gpt-4o-mini", "grok"));
  EXPECT_EQ(m[2].totals, T(3, 150));  // gpt-4o across both modes
  EXPECT_EQ(m[3].totals, T(5, 0));
}

TEST(Fold, ByProviderSortsByCost) {
  auto p = UsageByProvider(SampleGroups());
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0].provider, "openai");
  EXPECT_EQ(p[0].totals, T(8, 150));
  EXPECT_EQ(p[1].provider, "anthropic");
  EXPECT_EQ(p[2].provider, "google");
  EXPECT_EQ(p[3].provider, "xai");
  EXPECT_EQ(p[3].totals, T(1, 0));
}

TEST(Fold, TimeseriesByHourAndDayAscending) {
  auto h = Timeseries(SampleGroups(), Bucket::kHour);
  ASSERT_EQ(h.size(), 4u);
  EXPECT_EQ(h[0].bucket_start_unix_ms, kDay0);
  EXPECT_EQ(h[1].bucket_start_unix_ms, kDay0 + kHourMs);
  EXPECT_EQ(h[2].bucket_start_unix_ms, kDay0 + 2 * kHourMs);
  EXPECT_EQ(h[2].totals, T(9, 150));
  EXPECT_EQ(h[3].bucket_start_unix_ms, kDay0 + 30 * kHourMs);
  auto d = Timeseries(SampleGroups(), Bucket::kDay);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].bucket_start_unix_ms, kDay0);
  EXPECT_EQ(d[0].totals, T(12, 300));
  EXPECT_EQ(d[1].bucket_start_unix_ms, kDay0 + kDayMs);
  EXPECT_EQ(d[1].totals, T(4, 150));
}

TEST(ListQuery, DefaultsAndBounds) {
  auto q = MakeListQuery("org", 0, 0);
  ASSERT_THAT(q, IsOk());
  EXPECT_EQ(q->limit, 50);
  EXPECT_EQ(q->before_unix_ms, kMaxUnixMs + 1);
  q = MakeListQuery("org", 100000, 1234);
  ASSERT_THAT(q, IsOk());
  EXPECT_EQ(q->limit, 500);
  EXPECT_EQ(q->before_unix_ms, 1234);
  EXPECT_THAT(MakeListQuery("", 10, 0), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MakeListQuery("org", -1, 0), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MakeListQuery("org", 1, -1), StatusIs(absl::StatusCode::kInvalidArgument));
}

std::vector<UsageEvent> Rows(std::vector<int64_t> ms) {
  std::vector<UsageEvent> rows;
  for (int64_t m : ms) {
    UsageEvent e;
    e.requested_at_unix_ms = m;
    rows.push_back(e);
  }
  return rows;
}

TEST(PageLength, NeverEndsAPageInsideAMillisecond) {
  EXPECT_EQ(PageLength(Rows({9, 8, 7}), 3), 3u);     // last page
  EXPECT_EQ(PageLength(Rows({9, 8, 7, 6}), 3), 3u);  // next page starts at a new ms
  EXPECT_EQ(PageLength(Rows({9, 8, 7, 7}), 3), 2u);  // 7 continues: leave it for the next page
  EXPECT_EQ(PageLength(Rows({9, 7, 7, 7}), 3), 1u);
  EXPECT_EQ(PageLength(Rows({7, 7, 7, 7}), 3), 0u);  // one ms fills the page: caller's case
  EXPECT_EQ(PageLength(Rows({}), 3), 0u);
}

}  // namespace
}  // namespace llmgw::metering

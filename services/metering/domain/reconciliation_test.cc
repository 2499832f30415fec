#include "services/metering/domain/reconciliation.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace llmgw::metering {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr int64_t kDay = 1'722'470'400'000;  // 2024-08-01T00:00:00Z
const DayWindow kWindow{kDay - 10 * kDayMs, kDay + kDayMs};

// gpt-4o-mini as OpenAI bills it: 150 nano-USD per input token, 75 cached, 600 output.
KindCosts MiniCost(const TokenUsage& t) {
  return {150 * t.uncached_input(), 75 * t.cached_input, 0, 600 * t.output, 0};
}

ReportedRow Reported(int64_t day, std::string provider, std::string model, TokenUsage t,
                     KindCosts c, bool csv = false) {
  return {day, std::move(provider), std::move(model), csv, t, c};
}

UsageGroup Metered(int64_t day, Mode mode, std::string provider, std::string model, int64_t input,
                   int64_t cached, int64_t output, money::Nano cost,
                   money::Nano provider_cost = 0) {
  UsageGroup g;
  g.bucket_start_unix_ms = day;
  g.mode = mode;
  g.provider = std::move(provider);
  g.model = std::move(model);
  g.totals.requests = 1;
  g.totals.input_tokens = input;
  g.totals.cached_input_tokens = cached;
  g.totals.output_tokens = output;
  g.totals.cost_nano = cost;
  g.totals.provider_cost_nano = provider_cost;
  return g;
}

std::vector<SyncedDays> OpenAiSynced() { return {{"openai", kDay - 30 * kDayMs, kDay}}; }

// Everything went through the gateway and the catalog's price was the provider's: no drift.
TEST(Reconcile, MeteredTrafficMatchesToTheToken) {
  TokenUsage t{1000, 200, 0, 300, 5};
  std::vector<ReconciliationRow> rows = Reconcile(
      {Reported(kDay, "openai", "gpt-4o-mini-2024-07-18", t, MiniCost(t))}, OpenAiSynced(),
      {Metered(kDay, Mode::kPassthrough, "openai", "gpt-4o-mini", 1000, 200, 300,
               150 * 800 + 75 * 200 + 600 * 300)},
      kWindow);
  ASSERT_EQ(rows.size(), 1u);
  const ReconciliationRow& r = rows[0];
  EXPECT_EQ(r.day_unix_ms, kDay);
  EXPECT_EQ(r.provider, "openai");
  EXPECT_EQ(r.model, "gpt-4o-mini");  // the family: the two sides name it differently
  EXPECT_EQ(r.provider_tokens, t);
  EXPECT_EQ(r.provider_cost_nano, 315'000);
  EXPECT_EQ(r.metered_tokens, (TokenUsage{1000, 200, 0, 300, 1}));
  EXPECT_EQ(r.metered_cost_nano, 315'000);
  EXPECT_EQ(r.unmetered_input_tokens, 0);
  EXPECT_EQ(r.unmetered_output_tokens, 0);
  EXPECT_EQ(r.unmetered_cost_nano, 0);
  EXPECT_EQ(r.drift_cost_nano, 0);
}

// Traffic that bypassed the gateway beside metered traffic: its exact cost is unmetered.
TEST(Reconcile, BypassingTrafficIsUnmeteredExactly) {
  TokenUsage metered{1000, 0, 0, 300, 0};
  TokenUsage direct{555, 0, 0, 77, 0};
  TokenUsage total = metered;
  total.Add(direct);
  std::vector<ReconciliationRow> rows =
      Reconcile({Reported(kDay, "openai", "gpt-4o-mini", total, MiniCost(total))}, OpenAiSynced(),
                {Metered(kDay, Mode::kPassthrough, "openai", "gpt-4o-mini", 1000, 0, 300,
                         150 * 1000 + 600 * 300)},
                kWindow);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].model, "gpt-4o-mini");
  EXPECT_EQ(rows[0].unmetered_input_tokens, 555);
  EXPECT_EQ(rows[0].unmetered_output_tokens, 77);
  EXPECT_EQ(rows[0].unmetered_cost_nano, 150 * 555 + 600 * 77);
  EXPECT_EQ(rows[0].drift_cost_nano, 150 * 555 + 600 * 77);
}

// The catalog's price was wrong (or a discount applies): drift, nothing unmetered.
TEST(Reconcile, AWrongPriceIsDriftNotUnmetered) {
  TokenUsage t{1000, 0, 0, 100, 2};
  std::vector<ReconciliationRow> rows = Reconcile(
      {Reported(kDay, "openai", "gpt-4o", t, {2'500'000, 0, 0, 1'000'000, 0})}, OpenAiSynced(),
      {Metered(kDay, Mode::kPassthrough, "openai", "gpt-4o", 1000, 0, 100, 5'000'000)}, kWindow);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].unmetered_cost_nano, 0);
  EXPECT_EQ(rows[0].drift_cost_nano, -1'500'000);
}

// Zero integration: the provider's usage alone, all of it unmetered (a tool fee too).
TEST(Reconcile, WithoutGatewayTrafficEverythingIsUnmetered) {
  TokenUsage t{40, 0, 0, 2, 1};
  std::vector<ReconciliationRow> rows =
      Reconcile({Reported(kDay - 3 * kDayMs, "openai", "gpt-4o-mini", t, MiniCost(t)),
                 Reported(kDay, "openai", "web search tool calls", {}, {0, 0, 0, 0, 25'000'000})},
                OpenAiSynced(), {}, kWindow);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].day_unix_ms, kDay - 3 * kDayMs);
  EXPECT_EQ(rows[0].unmetered_cost_nano, 150 * 40 + 600 * 2);
  EXPECT_EQ(rows[0].drift_cost_nano, 150 * 40 + 600 * 2);
  EXPECT_EQ(rows[0].metered_cost_nano, 0);
  EXPECT_EQ(rows[1].model, "web search tool calls");
  EXPECT_EQ(rows[1].unmetered_cost_nano, 25'000'000);
}

// Token kinds are matched one by one: metered output in excess does not hide bypassed input.
TEST(Reconcile, KindsAreMatchedSeparately) {
  TokenUsage provider{1000, 0, 0, 100, 0};
  std::vector<ReconciliationRow> rows = Reconcile(
      {Reported(kDay, "openai", "gpt-4o-mini", provider, MiniCost(provider))}, OpenAiSynced(),
      {Metered(kDay, Mode::kPassthrough, "openai", "gpt-4o-mini", 400, 0, 900, 0)}, kWindow);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].unmetered_input_tokens, 600);
  EXPECT_EQ(rows[0].unmetered_output_tokens, 0);
  EXPECT_EQ(rows[0].unmetered_cost_nano, 150 * 600);
}

// Anthropic: cache reads and writes are kinds of their own, priced by the provider's own rate.
TEST(Reconcile, CacheKindsUseTheProvidersRate) {
  TokenUsage provider{3000, 1000, 500, 200, 0};  // 1500 uncached
  KindCosts cost{1'500 * 800, 1000 * 80, 500 * 1000, 200 * 4000, 0};
  std::vector<ReconciliationRow> rows =
      Reconcile({Reported(kDay, "anthropic", "claude-3-5-haiku-20241022", provider, cost)},
                {{"anthropic", kDay, kDay}},
                {Metered(kDay, Mode::kPassthrough, "anthropic", "claude-3-5-haiku-20241022", 2000,
                         1000, 150, 0)},
                kWindow);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].model, "claude-3-5-haiku-20241022");  // both sides name it so
  // Metered 2000 input of which 1000 cached and no writes: 1000 uncached.
  EXPECT_EQ(rows[0].unmetered_input_tokens, 500 + 0 + 500);
  EXPECT_EQ(rows[0].unmetered_output_tokens, 50);
  EXPECT_EQ(rows[0].unmetered_cost_nano, 500 * 800 + 500 * 1000 + 50 * 4000);
}

// The share rounds half up, once per kind, with the cost's sign.
TEST(Reconcile, UnmeteredShareRounding) {
  EXPECT_EQ(UnmeteredShare(10, 3, 2, false), 3);  // 10 / 3 = 3.33
  EXPECT_EQ(UnmeteredShare(10, 4, 2, false), 5);
  EXPECT_EQ(UnmeteredShare(5, 2, 1, false), 3);    // 2.5 → 3
  EXPECT_EQ(UnmeteredShare(-5, 2, 1, false), -3);  // a credit
  EXPECT_EQ(UnmeteredShare(7, 10, 15, false), 0);  // more metered than reported
  EXPECT_EQ(UnmeteredShare(7, 10, -1, false), 7);  // nothing metered
  EXPECT_EQ(UnmeteredShare(7, 0, 0, true), 7);     // a cost without tokens, nothing metered
  EXPECT_EQ(UnmeteredShare(7, 0, 0, false), 0);
  EXPECT_EQ(UnmeteredShare(0, 10, 0, true), 0);
  EXPECT_EQ(UnmeteredShare(INT64_MAX, 1'000'000'000'000'000, 1, false), INT64_MAX - 9223);
}

// Reseller traffic ran on the operator's keys: the organization's provider account never billed
// it, so it is not metered usage of that account.
TEST(Reconcile, ResellerTrafficIsNotTheOrganizationsAccount) {
  TokenUsage t{40, 0, 0, 4, 1};
  std::vector<ReconciliationRow> rows = Reconcile(
      {Reported(kDay, "openai", "gpt-4o-mini", t, MiniCost(t))}, OpenAiSynced(),
      {Metered(kDay, Mode::kReseller, "openai", "gpt-4o-mini", 60, 0, 6, 99'999,
               150 * 60 + 600 * 6),
       Metered(kDay, Mode::kPassthrough, "openai", "gpt-4o-mini", 40, 0, 4, 150 * 40 + 600 * 4)},
      kWindow);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].metered_tokens.input, 40);
  EXPECT_EQ(rows[0].metered_cost_nano, 150 * 40 + 600 * 4);
  EXPECT_EQ(rows[0].drift_cost_nano, 0);
  EXPECT_EQ(rows[0].unmetered_cost_nano, 0);
}

// Only (provider, day)s the provider side covers appear; metered-only models on covered days do.
TEST(Reconcile, RowsOnlyWhereTheProviderSideCovers) {
  TokenUsage t{10, 0, 0, 1, 1};
  std::vector<ReconciliationRow> rows = Reconcile(
      {Reported(kDay, "openai", "gpt-4o-mini", t, MiniCost(t))}, {{"openai", kDay - kDayMs, kDay}},
      {Metered(kDay, Mode::kPassthrough, "openai", "text-embedding-3-small", 50, 0, 0, 1000),
       Metered(kDay - kDayMs, Mode::kPassthrough, "openai", "gpt-4o", 5, 0, 5, 100),
       Metered(kDay - 2 * kDayMs, Mode::kPassthrough, "openai", "gpt-4o", 5, 0, 5, 100),
       Metered(kDay, Mode::kPassthrough, "google", "gemini-1.5-flash", 5, 0, 5, 100),
       Metered(kDay, Mode::kPassthrough, "openai", "gpt-4o-mini", 0, 0, 0, 0)},  // a failed call
      kWindow);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].day_unix_ms, kDay - kDayMs);  // synced, nothing reported: llmgw saw more
  EXPECT_EQ(rows[0].model, "gpt-4o");
  EXPECT_EQ(rows[0].drift_cost_nano, -100);
  EXPECT_EQ(rows[0].unmetered_cost_nano, 0);
  EXPECT_EQ(rows[1].model, "gpt-4o-mini");
  EXPECT_EQ(rows[1].metered_tokens.requests, 0);
  EXPECT_EQ(rows[2].model, "text-embedding-3-small");
  EXPECT_EQ(rows[2].provider_cost_nano, 0);
}

// A synced day ignores CSV rows (no double counting); other days take them.
TEST(Reconcile, CsvFillsDaysNoConnectionSynced) {
  TokenUsage csv{100, 0, 0, 100, 0};
  TokenUsage api{10, 0, 0, 10, 0};
  std::vector<ReconciliationRow> rows = Reconcile(
      {Reported(kDay, "openai", "gpt-4o-mini", csv, {0, 0, 0, 0, 999}, true),
       Reported(kDay, "openai", "gpt-4o-mini", api, MiniCost(api)),
       Reported(kDay - 5 * kDayMs, "openai", "gpt-4o-mini", csv, {0, 0, 0, 0, 75'000}, true),
       Reported(kDay, "google", "gemini-1.5-flash", csv, {0, 0, 0, 0, 20'000}, true)},
      {{"openai", kDay - kDayMs, kDay}},
      {Metered(kDay - 5 * kDayMs, Mode::kPassthrough, "openai", "gpt-4o-mini", 50, 0, 50, 37'500),
       Metered(kDay, Mode::kPassthrough, "google", "gemini-1.5-flash", 100, 0, 100, 20'000)},
      kWindow);
  ASSERT_EQ(rows.size(), 3u);
  // 5 days ago, from the CSV: half the tokens metered, so half of the unsplit cost unmetered.
  EXPECT_EQ(rows[0].day_unix_ms, kDay - 5 * kDayMs);
  EXPECT_EQ(rows[0].provider_cost_nano, 75'000);
  EXPECT_EQ(rows[0].unmetered_cost_nano, 37'500);
  EXPECT_EQ(rows[1].provider, "google");
  EXPECT_EQ(rows[1].drift_cost_nano, 0);
  EXPECT_EQ(rows[1].unmetered_cost_nano, 0);
  EXPECT_EQ(rows[2].provider, "openai");
  EXPECT_EQ(rows[2].provider_tokens, api);  // the synced day: the CSV row is not added
  EXPECT_EQ(rows[2].provider_cost_nano, MiniCost(api).Total());
}

TEST(Reconcile, TheWindowBoundsRows) {
  TokenUsage t{1, 0, 0, 1, 1};
  EXPECT_THAT(Reconcile({Reported(kDay + kDayMs, "openai", "m", t, {}),
                         Reported(kWindow.from_day_ms - kDayMs, "openai", "m", t, {})},
                        {{"openai", kDay - 60 * kDayMs, kDay + kDayMs}}, {}, kWindow),
              IsEmpty());
  // Sorted by day, provider, model.
  std::vector<ReconciliationRow> rows =
      Reconcile({Reported(kDay, "openai", "b", t, {}), Reported(kDay, "anthropic", "z", t, {}),
                 Reported(kDay - kDayMs, "openai", "a", t, {})},
                {}, {}, kWindow);
  std::vector<std::string> order;
  for (const auto& r : rows)
    order.push_back(FormatDate(r.day_unix_ms) + " " + r.provider + " " + r.model);
  EXPECT_THAT(order,
              ElementsAre("2024-07-31 openai a", "2024-08-01 anthropic z", "2024-08-01 openai b"));
}

}  // namespace
}  // namespace llmgw::metering

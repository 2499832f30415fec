#include "services/gateway/domain/price_table.h"

#include <gtest/gtest.h>

namespace llmgw::gateway {
namespace {

PricedModel P(std::string provider, std::string model, int64_t in, int64_t out) {
  PricedModel m;
  m.provider = std::move(provider);
  m.model = std::move(model);
  m.price.input_per_mtok = in;
  m.price.output_per_mtok = out;
  return m;
}

PriceTable Table() {
  return PriceTable({P("openai", "gpt-4o", 2'500'000'000, 10'000'000'000),
                     P("openai", "gpt-4o-mini", 150'000'000, 600'000'000),
                     P("anthropic", "claude-3-5-sonnet-20241022", 3'000'000'000, 15'000'000'000),
                     P("google", "gemini-1.5-flash", 75'000'000, 300'000'000)});
}

TEST(PriceTableTest, ExactMatch) {
  PriceTable t = Table();
  ASSERT_NE(t.Find("openai", "gpt-4o"), nullptr);
  EXPECT_EQ(t.Find("openai", "gpt-4o")->model, "gpt-4o");
  EXPECT_EQ(t.Find("openai", "gpt-4o-mini")->price.input_per_mtok, 150'000'000);
  EXPECT_EQ(t.size(), 4u);
}

TEST(PriceTableTest, DatedModelPricesAsTheLongestBase) {
  PriceTable t = Table();
  const PricedModel* m = t.Find("openai", "gpt-4o-mini-2024-07-18");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->model, "gpt-4o-mini");  // not gpt-4o, though both are priced
  EXPECT_EQ(m->price.input_per_mtok, 150'000'000);
  m = t.Find("openai", "gpt-4o-2024-08-06");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->model, "gpt-4o");
  // A dated snapshot without a row of its own prices as its base model.
  m = t.Find("openai", "gpt-4o-2024-05-13");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->model, "gpt-4o");
  // YYYYMMDD too.
  m = t.Find("openai", "gpt-4o-mini-20240718");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->model, "gpt-4o-mini");
}

TEST(PriceTableTest, AnExactRowWinsOverTheDatedFallback) {
  PriceTable t({P("openai", "gpt-4o", 2'500'000'000, 10'000'000'000),
                P("openai", "gpt-4o-2024-05-13", 5'000'000'000, 15'000'000'000),
                P("anthropic", "claude-3-5-haiku", 1, 2),
                P("anthropic", "claude-3-5-haiku-20241022", 800'000'000, 4'000'000'000)});
  EXPECT_EQ(t.Find("openai", "gpt-4o-2024-05-13")->price.input_per_mtok, 5'000'000'000);
  EXPECT_EQ(t.Find("openai", "gpt-4o-2024-08-06")->price.input_per_mtok, 2'500'000'000);
  EXPECT_EQ(t.Find("anthropic", "claude-3-5-haiku-20241022")->price.input_per_mtok, 800'000'000);
  EXPECT_EQ(t.Find("anthropic", "claude-3-5-haiku-20250101")->price.input_per_mtok, 1);
}

TEST(PriceTableTest, OnlyADateSuffixFallsBack) {
  PriceTable t = Table();
  // Other variants are other models, with other prices: unpriced, never the base's price.
  EXPECT_EQ(t.Find("openai", "gpt-4o-mini-audio-preview"), nullptr);
  EXPECT_EQ(t.Find("openai", "gpt-4o-mini-audio-preview-2024-12-17"), nullptr);
  EXPECT_EQ(t.Find("openai", "gpt-4o-realtime-preview"), nullptr);
  EXPECT_EQ(t.Find("google", "gemini-1.5-flash-002"), nullptr);
  EXPECT_EQ(t.Find("google", "gemini-1.5-flash-8b"), nullptr);
  // Not quite dates.
  EXPECT_EQ(t.Find("openai", "gpt-4o-2024-7-18"), nullptr);
  EXPECT_EQ(t.Find("openai", "gpt-4o-2024_07_18"), nullptr);
  EXPECT_EQ(t.Find("openai", "gpt-4o-2024-07-18x"), nullptr);
  EXPECT_EQ(t.Find("openai", "gpt-4o-202407180"), nullptr);
  EXPECT_EQ(t.Find("openai", "gpt-4o-2024071"), nullptr);
  EXPECT_EQ(t.Find("openai", "gpt-4o-2024-07-1a"), nullptr);
  EXPECT_EQ(t.Find("openai", "gpt-4o2024-07-18"), nullptr);
  EXPECT_EQ(t.Find("openai", "-2024-07-18"), nullptr);
  EXPECT_EQ(t.Find("openai", "gpt-4o-2024-07-18-2024-07-18"), nullptr);
}

TEST(PriceTableTest, PrefixMustEndAtADash) {
  PriceTable t = Table();
  EXPECT_EQ(t.Find("openai", "gpt-4omni"), nullptr);
  EXPECT_EQ(t.Find("openai", "gpt-4"), nullptr);
  EXPECT_EQ(t.Find("openai", "gpt-4o2-mini"), nullptr);
}

TEST(PriceTableTest, ProviderMatters) {
  PriceTable t = Table();
  EXPECT_EQ(t.Find("xai", "gpt-4o"), nullptr);
  EXPECT_EQ(t.Find("anthropic", "gpt-4o"), nullptr);
  EXPECT_EQ(t.Find("openai", ""), nullptr);
  EXPECT_EQ(PriceTable().Find("openai", "gpt-4o"), nullptr);
}

PricedModel Catalog(std::string model, const char* match, int rank, int64_t in, int64_t from = 0) {
  PricedModel m = P("openai", std::move(model), in, 4 * in);
  m.origin = PriceOrigin::kCatalog;
  m.matcher = *ModelMatcher::ParseText(match);
  m.rank = rank;
  m.effective_from_unix_ms = from;
  return m;
}

TEST(PriceTableTest, CatalogMatchersInOrderFirstMatchWins) {
  PriceTable t({Catalog("gpt-5-mini",
                        R"({"or":[{"equals":"gpt-5-mini"},)"
                        R"({"equals":"gpt-5-mini-2025-08-07"}]})",
                        1, 250),
                Catalog("gpt-5", R"({"starts_with":"gpt-5"})", 2, 1250),
                Catalog("gpt-5-chat", R"({"starts_with":"gpt-5-chat"})", 3, 999)});
  EXPECT_EQ(t.Find("openai", "gpt-5-mini")->model, "gpt-5-mini");
  EXPECT_EQ(t.Find("openai", "gpt-5-mini-2025-08-07")->model, "gpt-5-mini");
  EXPECT_EQ(t.Find("openai", "GPT-5-MINI")->model, "gpt-5-mini");  // as the catalog: no case
  EXPECT_EQ(t.Find("openai", "gpt-5-2025-08-07")->model, "gpt-5");
  // gpt-5 comes first in the catalog's order, so it wins over the longer gpt-5-chat.
  EXPECT_EQ(t.Find("openai", "gpt-5-chat-latest")->model, "gpt-5");
  EXPECT_EQ(t.Find("openai", "gpt-4.1"), nullptr);
  // Asked twice (the second from the memo): the same answer.
  EXPECT_EQ(t.Find("openai", "gpt-5-mini")->price.input_per_mtok, 250);
}

TEST(PriceTableTest, YYYYMMDDIsAlsoTriedWithDashesAsTheCatalogWritesSomeSnapshots) {
  PriceTable t({Catalog("o3", R"({"or":[{"equals":"o3"},{"equals":"o3-2025-04-16"}]})", 0, 2)});
  EXPECT_EQ(t.Find("openai", "o3-20250416")->model, "o3");
  EXPECT_EQ(t.Find("openai", "o3-20251341"), nullptr);  // not a date: left as it is
}

TEST(PriceTableTest, OverridesWinOverTheCatalogWhichWinsOverSeeds) {
  PricedModel seed = P("openai", "gpt-4o", 2'500'000'000, 10'000'000'000);
  PricedModel catalog = Catalog("gpt-4o", R"({"starts_with":"gpt-4o"})", 0, 2'000'000'000);
  PricedModel override = P("openai", "gpt-4o-mini", 100, 400);
  override.origin = PriceOrigin::kOverride;
  PriceTable t({seed, catalog, override});
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(t.Find("openai", "gpt-4o")->origin, PriceOrigin::kCatalog);
  EXPECT_EQ(t.Find("openai", "gpt-4o-mini")->origin, PriceOrigin::kOverride);
  EXPECT_EQ(t.Find("openai", "gpt-4o-mini-2024-07-18")->origin, PriceOrigin::kOverride);
  EXPECT_EQ(t.Find("openai", "gpt-4o-audio")->origin, PriceOrigin::kCatalog);
}

TEST(PriceTableTest, ThePriceInEffectAtTheRequestsTimeBillsIt) {
  // o3 was $10 in, from 1,000 $2 (a catalog price change at a date, or an override's schedule).
  PriceTable t({Catalog("o3", R"({"equals":"o3"})", 0, 10'000'000'000, 0),
                Catalog("o3", R"({"equals":"o3"})", 0, 2'000'000'000, 1000)});
  EXPECT_EQ(t.Find("openai", "o3", 999)->price.input_per_mtok, 10'000'000'000);
  EXPECT_EQ(t.Find("openai", "o3", 1000)->price.input_per_mtok, 2'000'000'000);
  EXPECT_EQ(t.Find("openai", "o3")->price.input_per_mtok, 2'000'000'000);  // the newest
  // Before a model's first row it is unpriced there, and the seeds are tried.
  PriceTable later({Catalog("o9", R"({"equals":"o9"})", 0, 5, 5000)});
  EXPECT_EQ(later.Find("openai", "o9", 4999), nullptr);
  EXPECT_EQ(later.Models(4999).size(), 0u);
  EXPECT_EQ(later.Models(5000).size(), 1u);
}

}  // namespace
}  // namespace llmgw::gateway

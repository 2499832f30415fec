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

}  // namespace
}  // namespace llmgw::gateway

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
  EXPECT_EQ(m->model, "gpt-4o-mini");
  m = t.Find("openai", "gpt-4o-2024-08-06");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->model, "gpt-4o");
  EXPECT_EQ(t.Find("google", "gemini-1.5-flash-002")->model, "gemini-1.5-flash");
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

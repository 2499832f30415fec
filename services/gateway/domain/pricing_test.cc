#include "services/gateway/domain/pricing.h"

#include <gtest/gtest.h>

namespace llmgw::gateway {
namespace {

using money::ModelPrice;
using money::TokenCounts;

// Claude Sonnet 4.5 (nano-USD per 1M): $3 in, $0.30 cache read, $3.75 5-minute cache write,
// $6 one-hour cache write, $15 out; above 200k input tokens $6 / $0.60 / $7.50 / $12 / $22.50.
const ModelPrice kSonnet{.input_per_mtok = 3'000'000'000,
                         .cached_input_per_mtok = 300'000'000,
                         .cache_write_per_mtok = 3'750'000'000,
                         .output_per_mtok = 15'000'000'000,
                         .cache_write_1h_per_mtok = 6'000'000'000};
const PriceTier kSonnetLong{200'000,
                            {.input_per_mtok = 6'000'000'000,
                             .cached_input_per_mtok = 600'000'000,
                             .cache_write_per_mtok = 7'500'000'000,
                             .output_per_mtok = 22'500'000'000,
                             .cache_write_1h_per_mtok = 12'000'000'000}};
// Gemini 2.5 Pro: $1.25 / $0.125 cached / $10 out; above 200k $2.50 / $0.25 / $15.
const ModelPrice kGeminiPro{.input_per_mtok = 1'250'000'000,
                            .cached_input_per_mtok = 125'000'000,
                            .output_per_mtok = 10'000'000'000};
const PriceTier kGeminiProLong{200'000,
                               {.input_per_mtok = 2'500'000'000,
                                .cached_input_per_mtok = 250'000'000,
                                .output_per_mtok = 15'000'000'000}};
// gpt-5-mini: $0.25 / $0.025 cached / $2 out, no tier, no cache write price.
const ModelPrice kGpt5Mini{.input_per_mtok = 250'000'000,
                           .cached_input_per_mtok = 25'000'000,
                           .output_per_mtok = 2'000'000'000};

struct Case {
  const char* name;
  TokenCounts tokens;
  ModelPrice base;
  PriceTier tier;
  money::Nano want;  // computed by hand in the comment
};

TEST(PriceRequestTest, HandComputedTable) {
  const Case cases[] = {
      // A token costs price/1e6 nano: Sonnet input 3,000 nano, output 15,000.
      // 1,000 in, 500 out: 1000*3000 + 500*15000 = 3,000,000 + 7,500,000.
      {"sonnet plain", {.input = 1000, .output = 500}, kSonnet, kSonnetLong, 10'500'000},
      // Anthropic input 100 + cache read 2,000 + 5-minute write 1,000 + 1-hour write 500
      // (input counts all: 3,600), 200 out:
      // 100*3000 + 2000*300 + 1000*3750 + 500*6000 + 200*15000
      // = 300,000 + 600,000 + 3,750,000 + 3,000,000 + 3,000,000.
      {"sonnet cache kinds",
       {.input = 3600,
        .cached_input = 2000,
        .cache_write = 1500,
        .output = 200,
        .cache_write_1h = 500},
       kSonnet,
       kSonnetLong,
       10'650'000},
      // Exactly at the threshold (200,000 is not above it): base prices.
      // 200000*3000 + 1000*15000 = 600,000,000 + 15,000,000.
      {"sonnet at 200k", {.input = 200'000, .output = 1000}, kSonnet, kSonnetLong, 615'000'000},
      // One token above: the WHOLE request at the long-context prices:
      // (200001*6e9 + 1000*22.5e9)/1e6 = 1,200,006,000 + 22,500,000 = 1,222,506,000.
      {"sonnet above 200k",
       {.input = 200'001, .output = 1000},
       kSonnet,
       kSonnetLong,
       1'222'506'000},
      // Above the tier with cache reads: 250,000 in of which 100,000 cached, 2,000 out:
      // (150000*6e9 + 100000*0.6e9 + 2000*22.5e9)/1e6 = 900,000,000 + 60,000,000 + 45,000,000.
      {"sonnet above 200k cached",
       {.input = 250'000, .cached_input = 100'000, .output = 2000},
       kSonnet,
       kSonnetLong,
       1'005'000'000},
      // Gemini 2.5 Pro, prompt includes cached; thoughts are output: 10,000 prompt of which 4,000
      // cached, 300 candidates + 700 thoughts = 1,000 out:
      // (6000*1.25e9 + 4000*0.125e9 + 1000*10e9)/1e6 = 7,500,000 + 500,000 + 10,000,000.
      {"gemini pro",
       {.input = 10'000, .cached_input = 4'000, .output = 1000, .reasoning = 700},
       kGeminiPro,
       kGeminiProLong,
       18'000'000},
      // Gemini above 200k: (300000*2.5e9 + 500*15e9)/1e6 = 750,000,000 + 7,500,000.
      {"gemini pro long",
       {.input = 300'000, .output = 500},
       kGeminiPro,
       kGeminiProLong,
       757'500'000},
      // gpt-5-mini, OpenAI prompt includes cached: 1,000 prompt, 800 cached, 50 out of which 30
      // reasoning: (200*0.25e9 + 800*0.025e9 + 50*2e9)/1e6 = 50,000 + 20,000 + 100,000.
      {"gpt-5-mini cached",
       {.input = 1000, .cached_input = 800, .output = 50, .reasoning = 30},
       kGpt5Mini,
       {},
       170'000},
      // 1 token in + 1 out: 250 + 2,000.
      {"gpt-5-mini tiny", {.input = 1, .output = 1}, kGpt5Mini, {}, 2'250},
      // No cache write price: writes billed at the input price; no 1h price: at the write price.
      {"write falls back",
       {.input = 10, .cache_write = 10, .cache_write_1h = 4},
       kGpt5Mini,
       {},
       2'500},
      // Fractions of a nano-USD are rounded once, half up: 5 cached tokens at 0.3 nano = 1.5 -> 2.
      {"rounds once",
       {.input = 5, .cached_input = 5},
       {.input_per_mtok = 0, .cached_input_per_mtok = 300'000},
       {},
       2},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(PriceRequest(c.tokens, c.base, c.tier), c.want) << c.name;
  }
}

TEST(PriceRequestTest, OneHourWritesWithoutTheirOwnPriceUseTheWritePrice) {
  ModelPrice p = kSonnet;
  p.cache_write_1h_per_mtok = 0;
  // 1,000 one-hour writes at $3.75 = 3,750,000 nano.
  EXPECT_EQ(PriceRequest({.input = 1000, .cache_write = 1000, .cache_write_1h = 1000}, p, {}),
            3'750'000);
}

TEST(BoundRequestCostTest, CoversTheDearestSplitOfTheInput) {
  // 1,000 input tokens may all be one-hour cache writes ($6) at Sonnet: 6,000,000 + 100 out at
  // 15,000 each.
  EXPECT_EQ(BoundRequestCost(1000, 100, kSonnet, kSonnetLong), 6'000'000 + 1'500'000);
  for (TokenCounts t :
       {TokenCounts{.input = 1000, .output = 100},
        TokenCounts{.input = 1000, .cache_write = 1000, .output = 100},
        TokenCounts{.input = 1000, .cache_write = 1000, .output = 100, .cache_write_1h = 1000},
        TokenCounts{.input = 1000, .cached_input = 1000, .output = 100}}) {
    EXPECT_LE(PriceRequest(t, kSonnet, kSonnetLong),
              BoundRequestCost(1000, 100, kSonnet, kSonnetLong));
  }
}

TEST(BoundRequestCostTest, UsesTheLongContextPricesWhenTheBoundCrossesTheTier) {
  // 300,000 input bound: every token at the dearest tier input ($12 one-hour write),
  // 1,000 out at $22.50: 3,600,000,000 + 22,500,000.
  EXPECT_EQ(BoundRequestCost(300'000, 1000, kSonnet, kSonnetLong), 3'622'500'000);
  EXPECT_GE(BoundRequestCost(300'000, 1000, kSonnet, kSonnetLong),
            PriceRequest({.input = 300'000, .output = 1000}, kSonnet, kSonnetLong));
  // Under the threshold the base prices bound it.
  EXPECT_EQ(BoundRequestCost(100'000, 0, kGeminiPro, kGeminiProLong), 125'000'000);
}

}  // namespace
}  // namespace llmgw::gateway

#include "libs/common/money.h"

#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/testing/status_matchers.h"

namespace llmgw::money {
namespace {

TEST(DivideRoundHalfUp, RoundsHalfUpOnly) {
  EXPECT_EQ(DivideRoundHalfUp(4, 10), 0);
  EXPECT_EQ(DivideRoundHalfUp(5, 10), 1);
  EXPECT_EQ(DivideRoundHalfUp(14, 10), 1);
  EXPECT_EQ(DivideRoundHalfUp(15, 10), 2);
  EXPECT_EQ(DivideRoundHalfUp(0, 7), 0);
  EXPECT_EQ(DivideRoundHalfUp(499'999, 1'000'000), 0);
  EXPECT_EQ(DivideRoundHalfUp(500'000, 1'000'000), 1);
}

TEST(PriceTokens, SeedPriceGpt4oMini) {
  // gpt-4o-mini: $0.15 / $0.60 per 1M tokens.
  ModelPrice p{.input_per_mtok = 150'000'000, .output_per_mtok = 600'000'000};
  // 10 in * 150 + 20 out * 600 = 13,500 nano-USD exactly.
  EXPECT_EQ(PriceTokens({.input = 10, .output = 20}, p), 13'500);
  // 1M input tokens cost exactly the input price.
  EXPECT_EQ(PriceTokens({.input = 1'000'000}, p), 150'000'000);
}

TEST(PriceTokens, RoundsOncePerRequestNotPerKind) {
  // 0.4 nano input + 0.4 nano output: per-kind rounding would give 0, per-request gives 1.
  ModelPrice p{.input_per_mtok = 400'000, .output_per_mtok = 400'000};
  EXPECT_EQ(PriceTokens({.input = 1, .output = 1}, p), 1);
  EXPECT_EQ(PriceTokens({.input = 1}, p), 0);
}

TEST(PriceTokens, CachedAndCacheWriteArePartsOfInput) {
  ModelPrice p{.input_per_mtok = 3'000'000'000,
               .cached_input_per_mtok = 300'000'000,
               .cache_write_per_mtok = 3'750'000'000,
               .output_per_mtok = 15'000'000'000};
  // 100 input of which 50 cached and 30 written: 20*3000 + 50*300 + 30*3750 + 10*15000.
  EXPECT_EQ(PriceTokens({.input = 100, .cached_input = 50, .cache_write = 30, .output = 10}, p),
            60'000 + 15'000 + 112'500 + 150'000);
}

TEST(PriceTokens, MissingKindPriceFallsBackToInput) {
  ModelPrice p{.input_per_mtok = 1'000'000, .output_per_mtok = 2'000'000};
  EXPECT_EQ(PriceTokens({.input = 10, .cached_input = 10}, p), 10);
}

TEST(PriceTokens, ReasoningIsNotBilledTwice) {
  ModelPrice p{.input_per_mtok = 1'000'000, .output_per_mtok = 1'000'000};
  EXPECT_EQ(PriceTokens({.output = 10, .reasoning = 8}, p), 10);
}

TEST(PriceTokens, HugeCountsDoNotOverflow) {
  ModelPrice p{.input_per_mtok = 15'000'000'000, .output_per_mtok = 60'000'000'000};
  EXPECT_EQ(PriceTokens({.input = 1'000'000'000, .output = 1'000'000'000}, p), 75'000'000'000'000);
}

TEST(MarginOf, TwentyPercentRoundsHalfUp) {
  EXPECT_EQ(MarginOf(13'500, 20), 2'700);
  EXPECT_EQ(MarginOf(3, 20), 1);  // 0.6 -> 1
  EXPECT_EQ(MarginOf(2, 20), 0);  // 0.4 -> 0
  EXPECT_EQ(MarginOf(0, 20), 0);
  EXPECT_EQ(MarginOf(100, 0), 0);
}

TEST(FormatUsd, NineDecimals) {
  EXPECT_EQ(FormatUsd(0), "0.000000000");
  EXPECT_EQ(FormatUsd(10'000'000'000), "10.000000000");
  EXPECT_EQ(FormatUsd(13'500), "0.000013500");
  EXPECT_EQ(FormatUsd(-1), "-0.000000001");
  EXPECT_EQ(FormatUsd(std::numeric_limits<int64_t>::min()), "-9223372036.854775808");
}

TEST(ParseUsd, AcceptsUpToNineDecimals) {
  EXPECT_THAT(ParseUsd("10"), test::IsOkAndHolds(10'000'000'000));
  EXPECT_THAT(ParseUsd("10.5"), test::IsOkAndHolds(10'500'000'000));
  EXPECT_THAT(ParseUsd("0.000000001"), test::IsOkAndHolds(1));
  EXPECT_THAT(ParseUsd("0.1"), test::IsOkAndHolds(100'000'000));
  EXPECT_THAT(ParseUsd("9223372036.854775807"),
              test::IsOkAndHolds(std::numeric_limits<int64_t>::max()));
}

TEST(ParseUsd, RejectsEverythingElse) {
  for (const char* s : {"", "-1", "1.", ".5", "1.0000000001", "abc", "1e3", "1,5", " 1",
                        "99999999999999", "9223372036.999999999", "9223372036.854775808"}) {
    EXPECT_THAT(ParseUsd(s), test::StatusIs(absl::StatusCode::kInvalidArgument)) << s;
  }
}

}  // namespace
}  // namespace llmgw::money

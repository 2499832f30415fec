#pragma once
// Money is integer nano-USD (1 USD = 1,000,000,000). No floating point on any money path.
// The one rounding rule: round half up, applied once per request (see PriceTokens).

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace llmgw::money {

using Nano = int64_t;
inline constexpr Nano kNanoPerUsd = 1'000'000'000;
inline constexpr int64_t kTokensPerPriceUnit = 1'000'000;  // prices are per 1M tokens

// numerator / denominator rounded half up (away from zero on .5), for numerator >= 0,
// denominator > 0. The single rounding rule of every money computation.
Nano DivideRoundHalfUp(__int128 numerator, int64_t denominator);

// Token counts of one request. input includes cached_input and cache_write; cache_write includes
// cache_write_1h (Anthropic's one-hour cache writes, priced apart); output includes reasoning
// (reasoning is reported apart, never billed twice).
struct TokenCounts {
  int64_t input = 0;
  int64_t cached_input = 0;
  int64_t cache_write = 0;
  int64_t output = 0;
  int64_t reasoning = 0;
  int64_t cache_write_1h = 0;
  bool operator==(const TokenCounts&) const = default;
};

// nano-USD per 1M tokens per kind. A kind priced 0 falls back to the input price (a one-hour cache
// write priced 0 to the cache write price first), as providers bill a kind they do not price apart.
struct ModelPrice {
  Nano input_per_mtok = 0;
  Nano cached_input_per_mtok = 0;
  Nano cache_write_per_mtok = 0;
  Nano output_per_mtok = 0;
  Nano cache_write_1h_per_mtok = 0;
  bool operator==(const ModelPrice&) const = default;
};

// The cost of one request: every kind's tokens times its price, summed exactly, then divided by
// 1M once with round half up. Negative counts are treated as 0.
Nano PriceTokens(const TokenCounts& tokens, const ModelPrice& price);

// round_half_up(cost * percent / 100).
Nano MarginOf(Nano cost, int64_t percent);

// "12.345000000" style: sign, integer USD, '.', exactly 9 decimals.
std::string FormatUsd(Nano nano);
// A decimal USD amount ("10", "10.5", "0.000000001") with at most 9 decimals → nano.
// InvalidArgument on anything else, on negative values and on overflow.
absl::StatusOr<Nano> ParseUsd(std::string_view text);

}  // namespace llmgw::money

#include "libs/common/money.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace llmgw::money {

Nano DivideRoundHalfUp(__int128 numerator, int64_t denominator) {
  __int128 q = numerator / denominator;
  __int128 r = numerator % denominator;
  if (r * 2 >= denominator) ++q;
  return static_cast<Nano>(q);
}

Nano PriceTokens(const TokenCounts& t, const ModelPrice& p) {
  auto nonneg = [](int64_t v) { return std::max<int64_t>(v, 0); };
  auto or_input = [&](Nano v) { return v > 0 ? v : p.input_per_mtok; };
  int64_t cached = nonneg(t.cached_input);
  int64_t write = nonneg(t.cache_write);
  int64_t write_1h = std::min(nonneg(t.cache_write_1h), write);
  int64_t plain_input = std::max<int64_t>(nonneg(t.input) - cached - write, 0);
  const Nano write_price = or_input(p.cache_write_per_mtok);
  const Nano write_1h_price =
      p.cache_write_1h_per_mtok > 0 ? p.cache_write_1h_per_mtok : write_price;
  __int128 sum = static_cast<__int128>(plain_input) * p.input_per_mtok +
                 static_cast<__int128>(cached) * or_input(p.cached_input_per_mtok) +
                 static_cast<__int128>(write - write_1h) * write_price +
                 static_cast<__int128>(write_1h) * write_1h_price +
                 static_cast<__int128>(nonneg(t.output)) * p.output_per_mtok;
  return DivideRoundHalfUp(sum, kTokensPerPriceUnit);
}

Nano MarginOf(Nano cost, int64_t percent) {
  if (cost <= 0 || percent <= 0) return 0;
  return DivideRoundHalfUp(static_cast<__int128>(cost) * percent, 100);
}

std::string FormatUsd(Nano nano) {
  bool neg = nano < 0;
  // Work in unsigned to format INT64_MIN without overflow.
  uint64_t abs = neg ? static_cast<uint64_t>(-(nano + 1)) + 1 : static_cast<uint64_t>(nano);
  return absl::StrFormat("%s%d.%09d", neg ? "-" : "", abs / kNanoPerUsd, abs % kNanoPerUsd);
}

absl::StatusOr<Nano> ParseUsd(std::string_view text) {
  auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("amount \"", std::string(text),
                     "\" is not a non-negative USD amount with at most 9 decimals"));
  };
  if (text.empty()) return bad();
  size_t i = 0;
  __int128 whole = 0;
  size_t digits = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    whole = whole * 10 + (text[i] - '0');
    if (whole > std::numeric_limits<int64_t>::max() / kNanoPerUsd) return bad();
    ++i;
    ++digits;
  }
  int64_t frac = 0;
  int frac_digits = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (frac_digits == 9) return bad();
      frac = frac * 10 + (text[i] - '0');
      ++frac_digits;
      ++i;
    }
    if (frac_digits == 0) return bad();
  }
  if (i != text.size() || digits == 0) return bad();
  for (int k = frac_digits; k < 9; ++k) frac *= 10;
  __int128 total = whole * kNanoPerUsd + frac;
  if (total > std::numeric_limits<int64_t>::max()) return bad();
  return static_cast<Nano>(total);
}

}  // namespace llmgw::money

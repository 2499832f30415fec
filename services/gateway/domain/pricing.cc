#include "services/gateway/domain/pricing.h"

#include <algorithm>

namespace llmgw::gateway {

const money::ModelPrice& PricesFor(const money::ModelPrice& base, const PriceTier& tier,
                                   int64_t input_tokens) {
  return tier.above_input_tokens > 0 && input_tokens > tier.above_input_tokens ? tier.price : base;
}

money::Nano PriceRequest(const money::TokenCounts& tokens, const money::ModelPrice& base,
                         const PriceTier& tier) {
  return money::PriceTokens(tokens, PricesFor(base, tier, tokens.input));
}

namespace {

money::Nano DearestInputPrice(const money::ModelPrice& p) {
  const money::Nano write = p.cache_write_per_mtok > 0 ? p.cache_write_per_mtok : p.input_per_mtok;
  return std::max({p.input_per_mtok, p.cached_input_per_mtok, write, p.cache_write_1h_per_mtok});
}

money::Nano Bound(int64_t input, int64_t output, const money::ModelPrice& p) {
  const money::ModelPrice all_dearest{.input_per_mtok = DearestInputPrice(p),
                                      .output_per_mtok = p.output_per_mtok};
  return money::PriceTokens({.input = input, .output = output}, all_dearest);
}

}  // namespace

money::Nano BoundRequestCost(int64_t input_tokens, int64_t output_tokens,
                             const money::ModelPrice& base, const PriceTier& tier) {
  money::Nano bound = Bound(input_tokens, output_tokens, base);
  if (&PricesFor(base, tier, input_tokens) == &tier.price) {
    bound = std::max(bound, Bound(input_tokens, output_tokens, tier.price));
  }
  return bound;
}

}  // namespace llmgw::gateway

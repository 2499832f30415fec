#pragma once
// The gateway's one pricing function: what a request's tokens cost at a model's prices,
// long-context tier included, and the most a request can cost (the reseller's hold). Token
// semantics are the usage readers' (money::TokenCounts): input includes cached input and cache
// writes for every provider (Anthropic's input_tokens, which excludes them, is normalized when
// read); output includes reasoning and Gemini's thought tokens. Pure.

#include <cstdint>

#include "libs/common/money.h"

namespace llmgw::gateway {

// A long-context price: when a request's input tokens exceed above_input_tokens, the WHOLE request
// (every kind, output included) is billed at `price`, as Anthropic and Google bill it.
// above_input_tokens 0: the model has no tier.
struct PriceTier {
  int64_t above_input_tokens = 0;
  money::ModelPrice price;
  bool operator==(const PriceTier&) const = default;
};

// The prices that apply to a request with `input_tokens` (cached and cache writes included).
const money::ModelPrice& PricesFor(const money::ModelPrice& base, const PriceTier& tier,
                                   int64_t input_tokens);

// What `tokens` cost: money::PriceTokens at PricesFor (one rounding per request).
money::Nano PriceRequest(const money::TokenCounts& tokens, const money::ModelPrice& base,
                         const PriceTier& tier);

// An upper bound of what a request of at most `input_tokens` and `output_tokens` can cost, however
// its input turns out to be split between plain input, cache reads and cache writes: every input
// token at the dearest input kind, at the tier's prices when the bound crosses its threshold (and
// never below the base prices).
money::Nano BoundRequestCost(int64_t input_tokens, int64_t output_tokens,
                             const money::ModelPrice& base, const PriceTier& tier);

}  // namespace llmgw::gateway

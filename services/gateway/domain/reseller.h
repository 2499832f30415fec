#pragma once
// Reseller decisions before the upstream call: which provider and upstream model a customer's
// model id means, and the upper bound of its cost that billing must hold. Pure.

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/common/money.h"
#include "nlohmann/json.hpp"
#include "services/gateway/domain/price_table.h"
#include "services/gateway/domain/provider.h"
#include "services/gateway/domain/usage.h"

namespace llmgw::gateway {

struct ResellerTarget {
  Provider provider;
  std::string upstream_model;  // what the provider is asked for (aliases resolved)
  PricedModel price;           // the price it is billed at
};

// The alias table of the seed: short names customers may use.
const std::vector<std::pair<std::string, std::string>>& ResellerAliases();

// The provider a model id belongs to by prefix: gpt-/chatgpt-/o1/o3/o4 → openai, claude- →
// anthropic, gemini- → google, grok- → xai.
std::optional<Provider> ProviderOfModel(std::string_view model);

// Resolves a customer's model id: aliases first, then the provider by prefix, then the price row
// in effect at `at_unix_ms` (the catalog's matchers find dated snapshots and the catalog's own
// aliases; the provider is asked for the id as the customer sent it). NotFound (the client sees
// 404 model_not_found) when the provider is unknown or not offered (no operator key), when the
// model has no price (never billed at zero), or when it is not a chat model.
// `kind` is what the surface serves: "chat", or "embedding" for /embeddings. A model id no prefix
// names (e.g. text-embedding-3-small) is looked up in each offered provider's prices in turn.
absl::StatusOr<ResellerTarget> ResolveResellerModel(std::string_view model,
                                                    const PriceTable& prices,
                                                    const std::set<Provider>& offered,
                                                    int64_t at_unix_ms = PriceTable::kLatest,
                                                    std::string_view kind = "chat");

// A price per 1M tokens as the customer pays it per token (margin included), in USD as an exact
// decimal string without trailing zeros ("0.0000003", "0"), as OpenRouter's `pricing` shows it.
std::string UsdPerToken(money::Nano nano_per_mtok, int64_t margin_percent);

// The `pricing` object of a model in GET /models: prompt, completion, input_cache_read,
// input_cache_write (a kind the model does not price apart shows the price it is billed at).
nlohmann::ordered_json ModelPricing(const PricedModel& m, int64_t margin_percent);

// Tokens an image may cost at most (Anthropic caps an image near 1,600 tokens; OpenAI's
// high-detail tiles stay under 2,000 for the largest sizes).
inline constexpr int64_t kImageTokenBound = 4096;
// Framing tokens per message (role markers and separators) on top of its bytes.
inline constexpr int64_t kMessageTokenOverhead = 16;

struct CostBound {
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  money::Nano provider_cost = 0;
};

// The most choices a chat request may ask for ("n"), as OpenAI allows.
inline constexpr int64_t kMaxChoices = 128;

// The number of choices a chat request asks for: "n", 1 when absent or null. InvalidArgument
// (400 invalid_request_error) unless an integer in [1, kMaxChoices].
absl::StatusOr<int64_t> ChoiceCount(const nlohmann::json& request);

// INVALID_ARGUMENT unless every output limit the request sets (max_tokens, max_completion_tokens,
// max_output_tokens) is an integer in [1, kMaxOutputTokenLimit]: -1, 0, 2.5, 1e30 or "5" would
// otherwise pass as "no limit" to the bound and mean something else (or an error) to the
// provider. null is accepted, as OpenAI's API defines it: the model's maximum.
inline constexpr int64_t kMaxOutputTokenLimit = 2'147'483'647;
absl::Status CheckOutputTokenLimits(const nlohmann::json& request);

// The most a request can cost (Chat Completions, Messages or Responses): every byte of the body
// (minus inline image data) may be one input token — a BPE token always covers at least one
// byte —, plus the framing of each message / input item and a fixed bound per image; output is
// max_completion_tokens / max_tokens / max_output_tokens, capped by the model's
// maximum, or the model's maximum when absent, for EACH of the n choices (ChoiceCount; a request
// it refuses must be refused before bounding, here it counts as one choice). Priced by
// BoundRequestCost: input at the dearest input kind, the long-context tier when the bound crosses
// it.
CostBound BoundChatCost(const nlohmann::json& request, size_t body_bytes, const PricedModel& model);

// The tokens a reseller request is billed for.
//  - A complete response: exactly the usage the provider reported.
//  - Otherwise (an interrupted stream, or a provider that reported no usage), so that delivered
//    output is never free:
//      input  = the reported input, or, when the provider reported none, the hold's input bound
//               (request bytes + per-message framing + per-image bound: BoundChatCost);
//      output = at least `delivered_units`: the number of content / tool-argument deltas relayed
//               to the client (streams: every delta carries at least one token), or the bytes
//               of generated text and arguments (a non-streaming body: a token covers at least
//               one byte).
//  - No usage reported and nothing delivered: nothing is charged (the caller voids the hold).
money::TokenCounts BilledTokens(const Usage& usage, bool complete, int64_t delivered_units,
                                const CostBound& bound);

}  // namespace llmgw::gateway

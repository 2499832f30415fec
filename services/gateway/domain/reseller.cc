#include "services/gateway/domain/reseller.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"

namespace llmgw::gateway {

using json = nlohmann::json;

const std::vector<std::pair<std::string, std::string>>& ResellerAliases() {
  static const std::vector<std::pair<std::string, std::string>> kAliases = {
      {"claude-3-5-sonnet", "claude-3-5-sonnet-20241022"},
      {"claude-3-5-sonnet-latest", "claude-3-5-sonnet-20241022"},
      {"claude-3-5-haiku", "claude-3-5-haiku-20241022"},
      {"claude-3-5-haiku-latest", "claude-3-5-haiku-20241022"},
  };
  return kAliases;
}

std::optional<Provider> ProviderOfModel(std::string_view m) {
  auto starts = [&](std::string_view p) { return m.substr(0, p.size()) == p; };
  if (starts("gpt-") || starts("chatgpt-") || starts("o1") || starts("o3") || starts("o4")) {
    return Provider::kOpenAI;
  }
  if (starts("claude-")) return Provider::kAnthropic;
  if (starts("gemini-")) return Provider::kGoogle;
  if (starts("grok-")) return Provider::kXai;
  return std::nullopt;
}

absl::StatusOr<ResellerTarget> ResolveResellerModel(std::string_view model,
                                                    const PriceTable& prices,
                                                    const std::set<Provider>& offered,
                                                    int64_t at_unix_ms, std::string_view kind) {
  std::string upstream(model);
  for (const auto& [alias, target] : ResellerAliases()) {
    if (model == alias) upstream = target;
  }
  auto not_found = [&] {
    return absl::NotFoundError("The model `" + std::string(model) +
                               "` does not exist or you do not have access to it.");
  };
  auto priced = [&](Provider p) -> const PricedModel* {
    if (!offered.count(p)) return nullptr;
    const PricedModel* price = prices.Find(ProviderName(p), upstream, at_unix_ms);
    return price != nullptr && price->kind == kind ? price : nullptr;
  };
  if (std::optional<Provider> provider = ProviderOfModel(upstream)) {
    const PricedModel* price = priced(*provider);
    if (price == nullptr) return not_found();
    return ResellerTarget{*provider, upstream, *price};
  }
  for (Provider p : {Provider::kOpenAI, Provider::kAnthropic, Provider::kGoogle, Provider::kXai}) {
    if (const PricedModel* price = priced(p)) return ResellerTarget{p, upstream, *price};
  }
  return not_found();
}

std::string UsdPerToken(money::Nano nano_per_mtok, int64_t margin_percent) {
  // nano-USD per 1M tokens * (100 + margin) / 100 = USD * 1e17 per token: exact in 17 decimals.
  constexpr int kDecimals = 17;
  unsigned __int128 v = static_cast<unsigned __int128>(std::max<money::Nano>(nano_per_mtok, 0)) *
                        static_cast<unsigned __int128>(100 + std::max<int64_t>(margin_percent, 0));
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v > 0);
  if (digits.size() <= kDecimals) digits.insert(0, kDecimals + 1 - digits.size(), '0');
  std::string out = digits.substr(0, digits.size() - kDecimals);
  std::string frac = digits.substr(digits.size() - kDecimals);
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  if (!frac.empty()) out += "." + frac;
  return out;
}

nlohmann::ordered_json ModelPricing(const PricedModel& m, int64_t margin_percent) {
  const money::ModelPrice& p = m.price;
  auto or_input = [&](money::Nano v) { return v > 0 ? v : p.input_per_mtok; };
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  out["prompt"] = UsdPerToken(p.input_per_mtok, margin_percent);
  out["completion"] = UsdPerToken(p.output_per_mtok, margin_percent);
  out["input_cache_read"] = UsdPerToken(or_input(p.cached_input_per_mtok), margin_percent);
  out["input_cache_write"] = UsdPerToken(or_input(p.cache_write_per_mtok), margin_percent);
  return out;
}

namespace {

// Bytes of inline image data (data URLs) and the number of images in the messages.
// The request's turns: chat's and Messages' "messages", or the Responses API's "input" items.
const json* Turns(const json& request) {
  for (const char* k : {"messages", "input"}) {
    if (request.contains(k) && request[k].is_array()) return &request[k];
  }
  return nullptr;
}

void CountImages(const json& request, size_t* data_bytes, int64_t* images) {
  const json* turns = Turns(request);
  if (turns == nullptr) return;
  for (const auto& m : *turns) {
    if (!m.is_object() || !m.contains("content") || !m["content"].is_array()) continue;
    for (const auto& part : m["content"]) {
      const std::string type = part.is_object() ? part.value("type", "") : "";
      if (type == "image_url") {  // OpenAI: a (data) URL
        ++*images;
        const json& iu = part.contains("image_url") ? part["image_url"] : json();
        const json& url = iu.is_object() && iu.contains("url") ? iu["url"] : iu;
        if (url.is_string()) *data_bytes += url.get_ref<const std::string&>().size();
      } else if (type == "input_image") {  // Responses: image_url is the (data) URL itself
        ++*images;
        if (part.contains("image_url") && part["image_url"].is_string()) {
          *data_bytes += part["image_url"].get_ref<const std::string&>().size();
        }
      } else if (type == "image") {  // Anthropic: base64 data or a URL in "source"
        ++*images;
        const json& src = part.contains("source") ? part["source"] : json();
        for (const char* k : {"data", "url"}) {
          if (src.is_object() && src.contains(k) && src[k].is_string()) {
            *data_bytes += src[k].get_ref<const std::string&>().size();
          }
        }
      }
    }
  }
}

}  // namespace

absl::StatusOr<int64_t> ChoiceCount(const json& request) {
  if (!request.is_object()) return 1;
  auto it = request.find("n");
  if (it == request.end() || it->is_null()) return 1;
  // Integers only: a float or a string could still mean several choices to the provider.
  bool ok = false;
  if (it->is_number_unsigned()) {
    const uint64_t v = it->get<uint64_t>();
    ok = v >= 1 && v <= static_cast<uint64_t>(kMaxChoices);
  } else if (it->is_number_integer()) {
    const int64_t v = it->get<int64_t>();
    ok = v >= 1 && v <= kMaxChoices;
  }
  if (!ok) {
    return absl::InvalidArgumentError("'n' must be an integer between 1 and " +
                                      std::to_string(kMaxChoices) + ".");
  }
  return it->get<int64_t>();
}

absl::Status CheckOutputTokenLimits(const json& request) {
  if (!request.is_object()) return absl::OkStatus();
  for (const char* k : {"max_tokens", "max_completion_tokens", "max_output_tokens"}) {
    auto it = request.find(k);
    if (it == request.end() || it->is_null()) continue;
    bool ok = false;
    if (it->is_number_unsigned()) {
      ok = it->get<uint64_t>() >= 1 && it->get<uint64_t>() <= kMaxOutputTokenLimit;
    } else if (it->is_number_integer()) {
      ok = it->get<int64_t>() >= 1 && it->get<int64_t>() <= kMaxOutputTokenLimit;
    }
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat("Invalid '", k,
                                                     "': expected an integer between 1 and ",
                                                     kMaxOutputTokenLimit, "."));
    }
  }
  return absl::OkStatus();
}

CostBound BoundChatCost(const json& request, size_t body_bytes, const PricedModel& model) {
  size_t image_bytes = 0;
  int64_t images = 0;
  CountImages(request, &image_bytes, &images);
  const json* turns = Turns(request);
  int64_t messages = turns != nullptr ? static_cast<int64_t>(turns->size()) : 1;
  CostBound b;
  b.input_tokens = static_cast<int64_t>(body_bytes - std::min(image_bytes, body_bytes)) +
                   messages * kMessageTokenOverhead + images * kImageTokenBound;
  int64_t requested = 0;
  for (const char* k : {"max_tokens", "max_completion_tokens", "max_output_tokens"}) {
    if (request.contains(k) && request[k].is_number_integer())
      requested = request[k].get<int64_t>();
  }
  int64_t cap = model.max_output_tokens > 0 ? model.max_output_tokens : 4096;
  const int64_t per_choice = requested > 0 ? std::min(requested, cap) : cap;
  absl::StatusOr<int64_t> choices = ChoiceCount(request);
  b.output_tokens = per_choice * (choices.ok() ? *choices : 1);
  b.provider_cost = BoundRequestCost(b.input_tokens, b.output_tokens, model.price, model.tier);
  return b;
}

money::TokenCounts BilledTokens(const Usage& usage, bool complete, int64_t delivered_units,
                                const CostBound& bound) {
  if (usage.found && complete) return usage.tokens;
  money::TokenCounts t = usage.found ? usage.tokens : money::TokenCounts{};
  if (!usage.found) t.input = bound.input_tokens;
  t.output = std::max(t.output, delivered_units);
  return t;
}

}  // namespace llmgw::gateway

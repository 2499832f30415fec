#pragma once
// The price book as the gateway reads it: (provider, model id a client sent, time) -> the price row
// that bills it. Pure and immutable once built (a bounded lookup memo aside).
//
// Rows come from three origins, tried in this order:
//   1. operator overrides: their model id exactly, or a dated snapshot of it;
//   2. the price catalog: each entry's matcher, in catalog order, first match wins (also tried
//      with a YYYYMMDD date in the id written YYYY-MM-DD, as the catalog does);
//   3. seed rows (migration 001's 2024 price book): exactly, or a dated snapshot.
// A (provider, model) has dated rows: the one in effect at the request's time bills it, so a
// scheduled price change applies from its instant on and a past request keeps its price.

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "libs/common/money.h"
#include "services/gateway/domain/model_matcher.h"
#include "services/gateway/domain/pricing.h"

namespace llmgw::gateway {

enum class PriceOrigin { kOverride, kCatalog, kSeed };

struct PricedModel {
  std::string provider;
  std::string model;        // the row's model id: an override's or seed's name, a catalog id
  money::ModelPrice price;  // below the tier's threshold (all requests when there is no tier)
  int64_t max_output_tokens = 0;
  PriceTier tier;  // long-context price; none when tier.above_input_tokens is 0
  int64_t effective_from_unix_ms = 0;
  int64_t price_id = 0;  // billing's row id, recorded on the usage event
  std::string source;    // "catalog … <version>", "override", "seed"
  PriceOrigin origin = PriceOrigin::kSeed;
  std::shared_ptr<const ModelMatcher> matcher;  // catalog rows; null: the id matches exactly
  int rank = 0;                                 // catalog order within its provider
  std::string kind = "chat";                    // chat | embedding | other
  std::string display_name;
  bool deprecated = false;
};

// What `tokens` cost at `m`'s prices (PriceRequest with its tier).
money::Nano PriceOf(const money::TokenCounts& tokens, const PricedModel& m);

class PriceTable {
 public:
  static constexpr int64_t kLatest = std::numeric_limits<int64_t>::max();

  PriceTable() = default;
  explicit PriceTable(const std::vector<PricedModel>& rows);
  PriceTable(const PriceTable&) = delete;
  PriceTable& operator=(const PriceTable&) = delete;
  PriceTable(PriceTable&&) noexcept;
  PriceTable& operator=(PriceTable&&) noexcept;

  // The row that prices `model` at `at_unix_ms` (kLatest: the newest row), by the order above.
  // A dated snapshot: "<id>-YYYY-MM-DD" or "<id>-YYYYMMDD" of an exact-id row
  // ("gpt-4o-mini-2024-07-18" -> gpt-4o-mini even when gpt-4o exists); any other suffix is a
  // different model: "gpt-4o-mini-audio-preview" is NOT gpt-4o-mini. nullptr when none.
  const PricedModel* Find(std::string_view provider, std::string_view model,
                          int64_t at_unix_ms = kLatest) const;
  // Distinct (origin, provider, model) entries.
  size_t size() const { return size_; }
  // Every entry's row in effect at `at_unix_ms`, by provider, then origin (overrides, catalog in
  // its order, seeds), then model id.
  std::vector<const PricedModel*> Models(int64_t at_unix_ms = kLatest) const;

 private:
  // One (origin, provider, model): its rows, oldest first.
  struct Entry {
    std::vector<PricedModel> rows;
    const PricedModel* At(int64_t at_unix_ms) const;
  };
  struct ProviderRows {
    std::map<std::string, Entry, std::less<>> overrides;
    std::vector<Entry> catalog;  // by rank
    std::map<std::string, Entry, std::less<>> seeds;
  };

  static const Entry* FindExact(const std::map<std::string, Entry, std::less<>>& entries,
                                std::string_view model);
  const Entry* FindCatalog(std::string_view provider, const ProviderRows& rows,
                           std::string_view model) const;

  std::map<std::string, ProviderRows, std::less<>> by_provider_;
  size_t size_ = 0;
  // provider + '\n' + model -> catalog entry index (-1: none); bounded, so that clients sending
  // random ids cannot grow it without limit.
  mutable std::mutex memo_mu_;
  mutable std::unordered_map<std::string, int> memo_;
};

}  // namespace llmgw::gateway

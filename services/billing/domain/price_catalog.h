#pragma once
// The shipped price catalog (data/price_catalog.json, generated from @pydantic/genai-prices by
// scripts/update-price-catalog) and the price book rows it adds. Pure.
//
// Versioning: a catalog is loaded once per content. Its rows take effect when it is loaded, never
// earlier: a period of the catalog that started before the load starts at the load instead, and
// a period already superseded at the load is not added. Rows already in the book (what past
// requests were billed at) are never touched; a later catalog adds newer rows beside them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/common/money.h"
#include "services/billing/storage/billing_store.h"

namespace llmgw::billing {

inline constexpr std::string_view kCatalogProviders[] = {"openai", "anthropic", "google", "xai"};

struct CatalogPeriod {
  std::optional<int64_t> start_unix_ms;  // none: from the beginning
  money::ModelPrice prices;
  int64_t tier_above_input_tokens = 0;  // 0: no long-context tier
  money::ModelPrice tier;
};

struct CatalogModel {
  std::string provider;
  std::string id;
  std::string name;
  std::string kind;  // chat | embedding | other
  bool deprecated = false;
  std::string match_json;  // the matcher, compact JSON
  int64_t context_window = 0;
  int64_t max_output_tokens = 0;
  int rank = 0;                        // position among its provider's models
  std::vector<CatalogPeriod> periods;  // ascending starts
};

struct PriceCatalog {
  std::string source;
  std::string version;
  std::vector<CatalogModel> models;
};

// INVALID_ARGUMENT naming the first bad field (with the model's id) when `json` is not a catalog.
absl::StatusOr<PriceCatalog> ParsePriceCatalog(std::string_view json);

// The rows the catalog adds when loaded at `loaded_at_unix_ms` (see the versioning rule above).
std::vector<PriceRow> CatalogPriceRows(const PriceCatalog& catalog, int64_t loaded_at_unix_ms);

// An operator's price row as stored: origin "override", `set_by` and `note` recorded, effective
// now when effective_from_unix_ms is 0. INVALID_ARGUMENT naming the first bad field: provider not
// one of the four, a model id that is empty, longer than 200 or not printable ASCII, a price
// outside [0, $1,000,000] per 1M tokens, no input or output price, a tier threshold without tier
// prices, a negative output cap, an unknown kind, an empty set_by, a note over 1000 bytes.
absl::StatusOr<PriceRow> MakeOverride(PriceRow row, const std::string& set_by,
                                      const std::string& note, int64_t now_unix_ms);

}  // namespace llmgw::billing

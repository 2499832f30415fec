#include "services/billing/api/catalog_loader.h"

#include "libs/common/crypto.h"
#include "services/billing/domain/price_catalog.h"

namespace llmgw::billing {

absl::StatusOr<CatalogLoadResult> LoadPriceCatalog(BillingStore& store, std::string_view text,
                                                   int64_t now_unix_ms) {
  absl::StatusOr<PriceCatalog> catalog = ParsePriceCatalog(text);
  if (!catalog.ok()) return catalog.status();
  CatalogLoad load;
  load.sha256 = crypto::Sha256Hex(text);
  load.source = catalog->source;
  load.version = catalog->version;
  load.models = static_cast<int>(catalog->models.size());
  load.rows = CatalogPriceRows(*catalog, now_unix_ms);
  absl::StatusOr<bool> added = store.LoadCatalog(load);
  if (!added.ok()) return added.status();
  return CatalogLoadResult{.added = *added,
                           .version = load.source + " " + load.version,
                           .sha256 = load.sha256,
                           .models = load.models,
                           .rows = static_cast<int>(load.rows.size())};
}

}  // namespace llmgw::billing

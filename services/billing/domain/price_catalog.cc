#include "services/billing/domain/price_catalog.h"

#include <algorithm>

#include "libs/common/rfc3339.h"
#include "nlohmann/json.hpp"

namespace llmgw::billing {

namespace {

using json = nlohmann::json;

absl::Status Bad(const std::string& where, const std::string& what) {
  return absl::InvalidArgumentError("price catalog: " + where + ": " + what);
}

absl::StatusOr<Nano> Price(const json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end()) return Bad(where, std::string("missing ") + key);
  if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > kMaxAmountNano) {
    return Bad(where, std::string(key) + " must be a non-negative integer (nano-USD per 1M)");
  }
  return it->get<int64_t>();
}

absl::StatusOr<money::ModelPrice> Prices(const json& obj, const std::string& where) {
  if (!obj.is_object()) return Bad(where, "prices must be an object");
  money::ModelPrice p;
  struct Field {
    const char* key;
    Nano* out;
  };
  for (Field f :
       {Field{"input", &p.input_per_mtok}, Field{"cached_input", &p.cached_input_per_mtok},
        Field{"cache_write", &p.cache_write_per_mtok},
        Field{"cache_write_1h", &p.cache_write_1h_per_mtok}, Field{"output", &p.output_per_mtok}}) {
    absl::StatusOr<Nano> v = Price(obj, f.key, where);
    if (!v.ok()) return v.status();
    *f.out = *v;
  }
  return p;
}

absl::StatusOr<CatalogPeriod> Period(const json& j, const std::string& where) {
  if (!j.is_object()) return Bad(where, "a price period must be an object");
  CatalogPeriod period;
  auto start = j.find("start_date");
  if (start != j.end() && !start->is_null()) {
    if (!start->is_string()) return Bad(where, "start_date must be a string or null");
    absl::StatusOr<int64_t> ms = ParseRfc3339(start->get<std::string>(), "start_date");
    if (!ms.ok()) return Bad(where, std::string(ms.status().message()));
    period.start_unix_ms = *ms;
  }
  absl::StatusOr<money::ModelPrice> prices = Prices(j, where);
  if (!prices.ok()) return prices.status();
  period.prices = *prices;
  auto tier = j.find("tier");
  if (tier != j.end() && !tier->is_null()) {
    absl::StatusOr<money::ModelPrice> t = Prices(*tier, where + " tier");
    if (!t.ok()) return t.status();
    auto above = tier->find("above_input_tokens");
    if (above == tier->end() || !above->is_number_integer() || above->get<int64_t>() <= 0) {
      return Bad(where, "tier.above_input_tokens must be a positive integer");
    }
    period.tier = *t;
    period.tier_above_input_tokens = above->get<int64_t>();
  }
  return period;
}

int64_t IntOr(const json& j, const char* key, int64_t fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : fallback;
}

absl::StatusOr<CatalogModel> Model(const json& j, std::string_view provider, int rank) {
  std::string where = std::string(provider) + " model #" + std::to_string(rank);
  if (!j.is_object() || !j.contains("id") || !j["id"].is_string() ||
      j["id"].get_ref<const std::string&>().empty()) {
    return Bad(where, "a model needs a string id");
  }
  CatalogModel m;
  m.provider = std::string(provider);
  m.id = j["id"].get<std::string>();
  where = m.provider + " model " + m.id;
  m.rank = rank;
  m.name = j.contains("name") && j["name"].is_string() ? j["name"].get<std::string>() : m.id;
  m.kind = j.contains("kind") && j["kind"].is_string() ? j["kind"].get<std::string>() : "";
  if (m.kind != "chat" && m.kind != "embedding" && m.kind != "other") {
    return Bad(where, "kind must be chat, embedding or other");
  }
  m.deprecated =
      j.contains("deprecated") && j["deprecated"].is_boolean() && j["deprecated"].get<bool>();
  if (!j.contains("match") || !j["match"].is_object()) return Bad(where, "match must be an object");
  m.match_json = j["match"].dump();
  m.context_window = std::max<int64_t>(IntOr(j, "context_window", 0), 0);
  m.max_output_tokens = IntOr(j, "max_output_tokens", -1);
  if (m.max_output_tokens < 0) return Bad(where, "max_output_tokens must be an integer >= 0");
  if (!j.contains("prices") || !j["prices"].is_array() || j["prices"].empty()) {
    return Bad(where, "prices must be a non-empty array");
  }
  for (const json& p : j["prices"]) {
    absl::StatusOr<CatalogPeriod> period = Period(p, where);
    if (!period.ok()) return period.status();
    const bool first = m.periods.empty();
    if (first != !period->start_unix_ms.has_value()) {
      return Bad(where, "only the first price period has a null start_date");
    }
    if (!first && m.periods.size() > 1 &&
        *period->start_unix_ms <= *m.periods.back().start_unix_ms) {
      return Bad(where, "price periods must be in ascending start order");
    }
    m.periods.push_back(*std::move(period));
  }
  return m;
}

}  // namespace

absl::StatusOr<PriceCatalog> ParsePriceCatalog(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Bad("file", "not a JSON object");
  PriceCatalog c;
  for (auto [key, out] : {std::pair{"source", &c.source}, std::pair{"version", &c.version}}) {
    if (!j.contains(key) || !j[key].is_string() || j[key].get_ref<const std::string&>().empty()) {
      return Bad("file", std::string(key) + " must be a non-empty string");
    }
    *out = j[key].get<std::string>();
  }
  if (!j.contains("providers") || !j["providers"].is_object()) {
    return Bad("file", "providers must be an object");
  }
  for (std::string_view provider : kCatalogProviders) {
    auto list = j["providers"].find(std::string(provider));
    if (list == j["providers"].end()) continue;
    if (!list->is_array()) return Bad(std::string(provider), "must be an array of models");
    int rank = 0;
    for (const json& model : *list) {
      absl::StatusOr<CatalogModel> m = Model(model, provider, rank++);
      if (!m.ok()) return m.status();
      c.models.push_back(*std::move(m));
    }
  }
  if (c.models.empty()) return Bad("file", "no models for openai, anthropic, google or xai");
  return c;
}

namespace {

PriceRow RowOf(const PriceCatalog& catalog, const CatalogModel& m, const CatalogPeriod& p,
               int64_t effective_from) {
  PriceRow r;
  r.provider = m.provider;
  r.model = m.id;
  r.origin = "catalog";
  r.catalog_version = catalog.source + " " + catalog.version;
  r.effective_from_unix_ms = effective_from;
  r.input_nano_per_mtok = p.prices.input_per_mtok;
  r.cached_input_nano_per_mtok = p.prices.cached_input_per_mtok;
  r.cache_write_nano_per_mtok = p.prices.cache_write_per_mtok;
  r.cache_write_1h_nano_per_mtok = p.prices.cache_write_1h_per_mtok;
  r.output_nano_per_mtok = p.prices.output_per_mtok;
  r.tier_above_input_tokens = p.tier_above_input_tokens;
  r.tier_input_nano_per_mtok = p.tier.input_per_mtok;
  r.tier_cached_input_nano_per_mtok = p.tier.cached_input_per_mtok;
  r.tier_cache_write_nano_per_mtok = p.tier.cache_write_per_mtok;
  r.tier_cache_write_1h_nano_per_mtok = p.tier.cache_write_1h_per_mtok;
  r.tier_output_nano_per_mtok = p.tier.output_per_mtok;
  r.max_output_tokens = m.max_output_tokens;
  r.match_json = m.match_json;
  r.catalog_rank = m.rank;
  r.kind = m.kind;
  r.display_name = m.name;
  r.context_window = m.context_window;
  r.deprecated = m.deprecated;
  return r;
}

}  // namespace

std::vector<PriceRow> CatalogPriceRows(const PriceCatalog& catalog, int64_t loaded_at_unix_ms) {
  std::vector<PriceRow> rows;
  for (const CatalogModel& m : catalog.models) {
    for (size_t i = 0; i < m.periods.size(); ++i) {
      const CatalogPeriod& p = m.periods[i];
      const bool superseded =
          i + 1 < m.periods.size() && *m.periods[i + 1].start_unix_ms <= loaded_at_unix_ms;
      if (superseded) continue;
      const int64_t start = p.start_unix_ms.value_or(loaded_at_unix_ms);
      rows.push_back(RowOf(catalog, m, p, std::max(start, loaded_at_unix_ms)));
    }
  }
  return rows;
}

absl::StatusOr<PriceRow> MakeOverride(PriceRow row, const std::string& set_by,
                                      const std::string& note, int64_t now_unix_ms) {
  const std::string where = row.provider + "/" + row.model;
  auto bad = [&](const std::string& what) {
    return absl::InvalidArgumentError("price " + where + ": " + what);
  };
  if (std::find(std::begin(kCatalogProviders), std::end(kCatalogProviders), row.provider) ==
      std::end(kCatalogProviders)) {
    return absl::InvalidArgumentError("provider must be one of openai, anthropic, google, xai");
  }
  if (absl::Status s = ValidateKey("model", row.model); !s.ok())
    return bad(std::string(s.message()));
  struct Field {
    const char* name;
    Nano value;
  };
  for (Field f : {Field{"input", row.input_nano_per_mtok},
                  Field{"cached_input", row.cached_input_nano_per_mtok},
                  Field{"cache_write", row.cache_write_nano_per_mtok},
                  Field{"cache_write_1h", row.cache_write_1h_nano_per_mtok},
                  Field{"output", row.output_nano_per_mtok},
                  Field{"tier_input", row.tier_input_nano_per_mtok},
                  Field{"tier_cached_input", row.tier_cached_input_nano_per_mtok},
                  Field{"tier_cache_write", row.tier_cache_write_nano_per_mtok},
                  Field{"tier_cache_write_1h", row.tier_cache_write_1h_nano_per_mtok},
                  Field{"tier_output", row.tier_output_nano_per_mtok}}) {
    if (f.value < 0 || f.value > kMaxAmountNano) {
      return bad(std::string(f.name) + " price must be between 0 and 1000000 USD per 1M tokens");
    }
  }
  if (row.input_nano_per_mtok == 0 && row.output_nano_per_mtok == 0) {
    return bad("an input or an output price is required");
  }
  if (row.tier_above_input_tokens < 0) return bad("tier threshold must not be negative");
  if (row.tier_above_input_tokens > 0 && row.tier_input_nano_per_mtok == 0 &&
      row.tier_output_nano_per_mtok == 0) {
    return bad("a tier threshold needs tier prices");
  }
  if (row.max_output_tokens < 0) return bad("max_output_tokens must not be negative");
  if (row.kind != "chat" && row.kind != "embedding" && row.kind != "other") {
    return bad("kind must be chat, embedding or other");
  }
  if (row.effective_from_unix_ms < 0) return bad("effective_from must not be before 1970");
  if (set_by.empty()) return absl::InvalidArgumentError("set_by (who sets the price) is required");
  if (set_by.size() > kMaxIdLength) return absl::InvalidArgumentError("set_by is too long");
  if (absl::Status s = ValidateDescription(note); !s.ok()) return bad("note is too long");
  row.id = 0;
  row.origin = "override";
  row.catalog_version.clear();
  row.match_json.clear();
  row.catalog_rank = 0;
  row.deprecated = false;
  row.set_by = set_by;
  row.note = note;
  if (row.effective_from_unix_ms == 0) row.effective_from_unix_ms = now_unix_ms;
  return row;
}

}  // namespace llmgw::billing

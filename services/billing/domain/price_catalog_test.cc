#include "services/billing/domain/price_catalog.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "libs/common/rfc3339.h"

namespace llmgw::billing {
namespace {

// Two models in the shipped format: o3 changed price on 2025-06-10; sonnet has a 200k tier.
constexpr char kCatalog[] = R"({
  "source": "@pydantic/genai-prices", "version": "0.1.8", "license": "MIT",
  "providers": {
    "openai": [
      {"id": "o3", "name": "o3", "kind": "chat", "deprecated": false,
       "match": {"or": [{"equals": "o3"}, {"equals": "o3-2025-04-16"}]},
       "aliases": ["o3", "o3-2025-04-16"], "context_window": 200000, "max_output_tokens": 100000,
       "prices": [
         {"start_date": null, "input": 10000000000, "cached_input": 500000000, "cache_write": 0,
          "cache_write_1h": 0, "output": 40000000000, "tier": null},
         {"start_date": "2025-06-10T00:00:00Z", "input": 2000000000, "cached_input": 500000000,
          "cache_write": 0, "cache_write_1h": 0, "output": 8000000000, "tier": null}]}
    ],
    "anthropic": [
      {"id": "claude-sonnet-4-5", "name": "Claude Sonnet 4.5", "kind": "chat",
       "match": {"starts_with": "claude-sonnet-4-5"}, "aliases": [], "context_window": 200000,
       "max_output_tokens": 64000,
       "prices": [{"start_date": null, "input": 3000000000, "cached_input": 300000000,
         "cache_write": 3750000000, "cache_write_1h": 6000000000, "output": 15000000000,
         "tier": {"above_input_tokens": 200000, "input": 6000000000, "cached_input": 600000000,
                  "cache_write": 7500000000, "cache_write_1h": 12000000000,
                  "output": 22500000000}}]}
    ],
    "mistral": [{"id": "ignored"}]
  }
})";

int64_t Ms(const char* rfc3339) { return *ParseRfc3339(rfc3339, "t"); }

TEST(PriceCatalogTest, ParsesModelsPeriodsAndTiers) {
  auto c = ParsePriceCatalog(kCatalog);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->source, "@pydantic/genai-prices");
  EXPECT_EQ(c->version, "0.1.8");
  ASSERT_EQ(c->models.size(), 2u);  // providers other than the four are not read
  const CatalogModel& o3 = c->models[0];
  EXPECT_EQ(o3.provider, "openai");
  EXPECT_EQ(o3.match_json, R"({"or":[{"equals":"o3"},{"equals":"o3-2025-04-16"}]})");
  ASSERT_EQ(o3.periods.size(), 2u);
  EXPECT_FALSE(o3.periods[0].start_unix_ms.has_value());
  EXPECT_EQ(o3.periods[1].start_unix_ms, Ms("2025-06-10T00:00:00Z"));
  EXPECT_EQ(o3.periods[1].prices.output_per_mtok, 8'000'000'000);
  const CatalogModel& sonnet = c->models[1];
  EXPECT_EQ(sonnet.provider, "anthropic");
  EXPECT_EQ(sonnet.max_output_tokens, 64000);
  EXPECT_EQ(sonnet.periods[0].tier_above_input_tokens, 200000);
  EXPECT_EQ(sonnet.periods[0].tier.cache_write_1h_per_mtok, 12'000'000'000);
}

TEST(PriceCatalogTest, RowsTakeEffectAtTheLoadAndSkipSupersededPeriods) {
  auto c = ParsePriceCatalog(kCatalog);
  ASSERT_TRUE(c.ok());
  // Loaded after o3's price change: only the new o3 price, from the load on.
  const int64_t load = Ms("2026-12-06T00:00:00Z");
  std::vector<PriceRow> rows = CatalogPriceRows(*c, load);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].model, "o3");
  EXPECT_EQ(rows[0].input_nano_per_mtok, 2'000'000'000);
  EXPECT_EQ(rows[0].effective_from_unix_ms, load);
  EXPECT_EQ(rows[0].origin, "catalog");
  EXPECT_EQ(rows[0].catalog_version, "@pydantic/genai-prices 0.1.8");
  EXPECT_EQ(rows[0].catalog_rank, 0);
  EXPECT_EQ(rows[1].tier_output_nano_per_mtok, 22'500'000'000);
  EXPECT_EQ(rows[1].match_json, R"({"starts_with":"claude-sonnet-4-5"})");
  // Loaded before it: the old price from the load, the new one from its own date.
  const int64_t early = Ms("2025-05-01T00:00:00Z");
  rows = CatalogPriceRows(*c, early);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].input_nano_per_mtok, 10'000'000'000);
  EXPECT_EQ(rows[0].effective_from_unix_ms, early);
  EXPECT_EQ(rows[1].input_nano_per_mtok, 2'000'000'000);
  EXPECT_EQ(rows[1].effective_from_unix_ms, Ms("2025-06-10T00:00:00Z"));
}

TEST(PriceCatalogTest, RefusesABadCatalogNamingTheModel) {
  std::string bad = kCatalog;
  const std::string needle = "\"output\": 40000000000";
  bad.replace(bad.find(needle), needle.size(), "\"output\": 4.5");
  auto c = ParsePriceCatalog(bad);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()), ::testing::HasSubstr("openai model o3"));
  EXPECT_FALSE(ParsePriceCatalog("{}").ok());
  EXPECT_FALSE(ParsePriceCatalog("not json").ok());
}

TEST(MakeOverrideTest, RecordsWhoAndWhenAndRefusesBadRows) {
  PriceRow r;
  r.provider = "openai";
  r.model = "ft:gpt-4.1:acme";
  r.input_nano_per_mtok = 3'000'000'000;
  r.output_nano_per_mtok = 12'000'000'000;
  auto row = MakeOverride(r, "alice@acme", "fine-tune", 1000);
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_EQ(row->origin, "override");
  EXPECT_EQ(row->set_by, "alice@acme");
  EXPECT_EQ(row->note, "fine-tune");
  EXPECT_EQ(row->effective_from_unix_ms, 1000);
  EXPECT_FALSE(MakeOverride(r, "", "", 1000).ok());  // who is required
  PriceRow bad = r;
  bad.provider = "mistral";
  EXPECT_FALSE(MakeOverride(bad, "a", "", 1000).ok());
  bad = r;
  bad.output_nano_per_mtok = -1;
  EXPECT_FALSE(MakeOverride(bad, "a", "", 1000).ok());
  bad = r;
  bad.input_nano_per_mtok = bad.output_nano_per_mtok = 0;
  EXPECT_FALSE(MakeOverride(bad, "a", "", 1000).ok());
  bad = r;
  bad.model = "has space";
  EXPECT_FALSE(MakeOverride(bad, "a", "", 1000).ok());
  bad = r;
  bad.tier_above_input_tokens = 200000;
  EXPECT_FALSE(MakeOverride(bad, "a", "", 1000).ok());
}

}  // namespace
}  // namespace llmgw::billing

#include "services/metering/storage/pg_usage_store.h"

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/testing/pg_test_db.h"
#include "libs/testing/status_matchers.h"

namespace llmgw::metering {
namespace {

using test::IsOk;
using test::IsOkAndHolds;

constexpr int64_t kDay0 = 1'700'006'400'000;  // 2023-11-15T00:00:00Z
constexpr char kOrgA[] = "6f1c1c3e-1111-4aaa-8aaa-000000000001";
constexpr char kOrgB[] = "6f1c1c3e-2222-4bbb-8bbb-000000000002";
constexpr char kOrgC[] = "6f1c1c3e-3333-4ccc-8ccc-000000000003";

class PgUsageStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = test::PgTestDb::Create();
    auto pool = pg::PgPool::Create({.url = db_->url(), .size = 6});
    ASSERT_THAT(pool, IsOk());
    pool_ = std::move(*pool);
    ASSERT_THAT(pg::ApplyMigrations(*pool_, "metering", meteringMigrations()), IsOk());
    store_ = std::make_unique<PgUsageStore>(*pool_);
    raw_store_ =
        std::make_unique<PgUsageStore>(*pool_, PgUsageStore::Options{.use_rollups = false});
  }

  int64_t Count(const std::string& sql) {
    auto n = pool_->Run([&](pqxx::connection& c) -> absl::StatusOr<int64_t> {
      pqxx::work tx(c);
      return tx.exec(sql)[0][0].as<int64_t>();
    });
    EXPECT_THAT(n, IsOk());
    return n.ok() ? *n : -1;
  }

  Totals SummaryTotal(const std::string& org, TimeRange r) {
    auto groups = store_->Aggregate(org, r, Bucket::kNone);
    EXPECT_THAT(groups, IsOk());
    return groups.ok() ? Summarize(*groups).total : Totals{};
  }

  std::unique_ptr<test::PgTestDb> db_;
  std::unique_ptr<pg::PgPool> pool_;
  std::unique_ptr<PgUsageStore> store_;
  std::unique_ptr<PgUsageStore> raw_store_;
};

UsageEvent Event(std::string id, std::string org, int64_t at_ms, int64_t input, int64_t cost) {
  UsageEvent e;
  e.event_id = std::move(id);
  e.organization_id = std::move(org);
  e.credential_id = "key_1";
  e.mode = Mode::kReseller;
  e.provider = "openai";
  e.model = "gpt-4o";
  e.endpoint = "/chat/completions";
  e.input_tokens = input;
  e.output_tokens = input / 2;
  e.cost_nano = cost;
  e.provider_cost_nano = cost - cost / 6;
  e.margin_nano = cost / 6;
  e.status_code = 200;
  e.latency_ms = 800;
  e.requested_at_unix_ms = at_ms;
  e.request_id = "req_" + e.event_id;
  e.cache_write_tokens = 3;
  e.cache_write_1h_tokens = 2;
  e.price_id = 42;  // read back by the tests that compare whole events
  return e;
}

std::vector<UsageEvent> Batch(int first, int n, const std::string& org = kOrgA) {
  std::vector<UsageEvent> batch;
  for (int i = first; i < first + n; ++i) {
    batch.push_back(Event(absl::StrCat("ev-", i), org, kDay0 + i * 60'000, 100 + i, 1000 + i));
  }
  return batch;
}

Totals Sum(const std::vector<UsageEvent>& events) {
  Totals t;
  for (const auto& e : events) t.Add(e);
  return t;
}

TEST(TimestampLiteral, IsExactToTheMillisecond) {
  EXPECT_EQ(TimestampLiteral(kDay0 + 3'723'004), "2023-11-15 01:02:03.004+00");
  EXPECT_EQ(TimestampLiteral(0), "1970-01-01 00:00:00.000+00");
  EXPECT_EQ(TimestampLiteral(kMaxUnixMs), "9999-12-31 23:59:59.999+00");
  EXPECT_EQ(TimestampLiteral(kMaxUnixMs + 1), "10000-01-01 00:00:00.000+00");
}

TEST_F(PgUsageStoreTest, SameBatchTwiceCountsOnce) {
  auto batch = Batch(0, 40);
  EXPECT_THAT(store_->Ingest(batch), IsOkAndHolds(IngestResult{40, 0}));
  EXPECT_THAT(store_->Ingest(batch), IsOkAndHolds(IngestResult{0, 40}));
  EXPECT_EQ(Count("SELECT count(*) FROM metering.usage_events"), 40);
  EXPECT_EQ(Count("SELECT sum(requests) FROM metering.usage_hourly"), 40);
  TimeRange day{kDay0, kDay0 + kDayMs};
  Totals want = Sum(batch);
  EXPECT_EQ(want.requests, 40);
  EXPECT_EQ(want.input_tokens, 40 * 100 + 780);
  EXPECT_EQ(SummaryTotal(kOrgA, day), want);
  auto raw = raw_store_->Aggregate(kOrgA, day, Bucket::kNone);
  ASSERT_THAT(raw, IsOk());
  EXPECT_EQ(Summarize(*raw).total, want);
}

// Migration 2 makes the keys compare byte by byte. A database that already holds events keeps
// them, and ingesting them again still counts each once.
TEST(PgUsageStoreMigration, ByteOrderKeysKeepStoredEventsAndIdempotency) {
  auto db = test::PgTestDb::Create();
  auto pool = pg::PgPool::Create({.url = db->url(), .size = 2});
  ASSERT_THAT(pool, IsOk());
  const auto& all = meteringMigrations();
  ASSERT_GE(all.size(), 2u);
  ASSERT_THAT(pg::ApplyMigrations(**pool, "metering", {all.front()}), IsOk());
  // Today's store also writes the columns of later migrations (003 and 005, which add them only
  // when missing); a database at migration 1 gets them first, as that migration would add them.
  ASSERT_THAT((*pool)->Run([](pqxx::connection& c) -> absl::Status {
    pqxx::work tx(c);
    tx.exec(
        "ALTER TABLE metering.usage_events ADD COLUMN price_id bigint NOT NULL DEFAULT 0, "
        "ADD COLUMN cache_write_1h_tokens bigint NOT NULL DEFAULT 0");
    tx.exec("ALTER TABLE metering.usage_hourly ADD COLUMN errors bigint NOT NULL DEFAULT 0");
    tx.commit();
    return absl::OkStatus();
  }),
              IsOk());
  PgUsageStore store(**pool);
  ASSERT_THAT(store.Ingest(Batch(0, 30)), IsOkAndHolds(IngestResult{30, 0}));
  ASSERT_THAT(pg::ApplyMigrations(**pool, "metering", all), IsOk());

  auto collation = [&](const std::string& column) {
    return (*pool)->Run([&](pqxx::connection& c) -> absl::StatusOr<std::string> {
      pqxx::work tx(c);
      return tx
          .exec_params1(
              "SELECT coalesce(collation_name, 'default') FROM information_schema.columns "
              "WHERE table_schema = 'metering' AND table_name = 'usage_events' "
              "AND column_name = $1",
              column)[0]
          .as<std::string>();
    });
  };
  EXPECT_THAT(collation("event_id"), IsOkAndHolds(std::string("C")));
  EXPECT_THAT(collation("org_id"), IsOkAndHolds(std::string("C")));
  // 20..49: 10 stored before the migration, 20 new.
  EXPECT_THAT(store.Ingest(Batch(20, 30)), IsOkAndHolds(IngestResult{20, 10}));
  auto groups = store.Aggregate(kOrgA, {kDay0, kDay0 + kDayMs}, Bucket::kNone);
  ASSERT_THAT(groups, IsOk());
  EXPECT_EQ(Summarize(*groups).total, Sum(Batch(0, 50)));
}

TEST_F(PgUsageStoreTest, OverlappingBatchCountsOnlyNewEvents) {
  ASSERT_THAT(store_->Ingest(Batch(0, 30)), IsOkAndHolds(IngestResult{30, 0}));
  // 20..49: 10 already stored, 20 new.
  ASSERT_THAT(store_->Ingest(Batch(20, 30)), IsOkAndHolds(IngestResult{20, 10}));
  EXPECT_EQ(SummaryTotal(kOrgA, {kDay0, kDay0 + kDayMs}), Sum(Batch(0, 50)));
  EXPECT_EQ(Count("SELECT sum(requests) FROM metering.usage_hourly"), 50);
}

TEST_F(PgUsageStoreTest, RepeatedIdWithinABatchCountsOnce) {
  auto batch = Batch(0, 3);
  batch.push_back(batch[1]);
  EXPECT_THAT(store_->Ingest(batch), IsOkAndHolds(IngestResult{3, 1}));
  EXPECT_EQ(SummaryTotal(kOrgA, {kDay0, kDay0 + kDayMs}), Sum(Batch(0, 3)));
  EXPECT_THAT(store_->Ingest({}), IsOkAndHolds(IngestResult{0, 0}));
}

TEST_F(PgUsageStoreTest, EveryFieldRoundTripsIncludingAwkwardStrings) {
  UsageEvent e = Event("ev-\"q\\{,}'x", kOrgA, kDay0 + 1234, 10, 20);
  e.credential_id = "cred with spaces, commas {braces} \"quotes\" \\ back";
  e.mode = Mode::kPassthrough;
  e.provider = "anthropic";
  e.model = "claude-3-5-sonnet-20241022 ünïcødé";
  e.endpoint = "/v1/messages";
  e.cached_input_tokens = 3;
  e.cache_write_tokens = 4;
  e.reasoning_tokens = 2;
  e.is_streaming = true;
  e.status_code = 499;
  e.ttft_ms = 120;
  e.incomplete = true;
  e.unpriced = true;
  e.request_id = "";
  UsageEvent empty_strings = Event("ev-2", kOrgA, kDay0 + 1, 0, 0);
  empty_strings.credential_id = empty_strings.provider = empty_strings.model = "";
  empty_strings.endpoint = "NULL";
  empty_strings.mode = Mode::kUnspecified;
  ASSERT_THAT(store_->Ingest({e, empty_strings}), IsOkAndHolds(IngestResult{2, 0}));
  auto page = store_->List({kOrgA, 10, kMaxUnixMs + 1});
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0], e);
  EXPECT_EQ((*page)[1], empty_strings);
}

// A deterministic mix over 3 orgs, 3 days, every mode, 6 models, with repeated milliseconds.
std::vector<UsageEvent> Varied(int n, uint64_t seed) {
  const std::pair<const char*, const char*> models[] = {{"openai", "gpt-4o"},
                                                        {"openai", "gpt-4o-mini"},
                                                        {"anthropic", "claude-3-5-haiku"},
                                                        {"google", "gemini-1.5-flash"},
                                                        {"xai", "grok-beta"},
                                                        {"anthropic", "claude-3-5-sonnet"}};
  const char* orgs[] = {kOrgA, kOrgB, kOrgC};
  std::mt19937_64 rng(seed);
  auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  std::vector<UsageEvent> out;
  for (int i = 0; i < n; ++i) {
    UsageEvent e;
    e.event_id = absl::StrCat("var-", seed, "-", i);
    e.organization_id = orgs[pick(0, 2)];
    e.credential_id = absl::StrCat("cred-", pick(1, 4));
    int64_t m = pick(0, 9);
    e.mode = m == 0 ? Mode::kUnspecified : (m <= 5 ? Mode::kPassthrough : Mode::kReseller);
    auto [provider, model] = models[pick(0, 5)];
    e.provider = provider;
    e.model = model;
    e.endpoint = "/chat/completions";
    e.input_tokens = pick(0, 50'000);
    e.cached_input_tokens = pick(0, e.input_tokens);
    e.cache_write_tokens = pick(0, e.input_tokens - e.cached_input_tokens);
    e.output_tokens = pick(0, 8'000);
    e.reasoning_tokens = pick(0, e.output_tokens);
    e.provider_cost_nano = pick(0, 900'000'000);
    e.margin_nano = e.mode == Mode::kReseller ? e.provider_cost_nano / 5 : 0;
    e.cost_nano = e.provider_cost_nano + e.margin_nano;
    e.is_streaming = pick(0, 1) == 1;
    e.status_code = pick(0, 9) == 0 ? 500 : 200;
    e.latency_ms = pick(10, 30'000);
    e.requested_at_unix_ms = kDay0 + pick(0, 3 * kDayMs - 1);
    if (i > 0 && pick(0, 7) == 0) e.requested_at_unix_ms = out.back().requested_at_unix_ms;
    if (pick(0, 20) == 0) e.requested_at_unix_ms = FloorTo(e.requested_at_unix_ms, kHourMs);
    e.request_id = absl::StrCat("req-", i);
    out.push_back(std::move(e));
  }
  return out;
}

// The reference: aggregates computed straight from the generated events.
struct Reference {
  Totals total, passthrough, reseller;
  std::map<std::pair<std::string, std::string>, Totals> by_model;
  std::map<std::string, Totals> by_provider;
  std::map<int64_t, Totals> by_hour, by_day;
};

Reference Compute(const std::vector<UsageEvent>& events, const std::string& org, TimeRange r) {
  Reference ref;
  for (const auto& e : events) {
    if (e.organization_id != org) continue;
    if (e.requested_at_unix_ms < r.from_unix_ms || e.requested_at_unix_ms >= r.to_unix_ms) continue;
    ref.total.Add(e);
    if (e.mode == Mode::kPassthrough) ref.passthrough.Add(e);
    if (e.mode == Mode::kReseller) ref.reseller.Add(e);
    ref.by_model[{e.provider, e.model}].Add(e);
    ref.by_provider[e.provider].Add(e);
    ref.by_hour[e.requested_at_unix_ms / kHourMs * kHourMs].Add(e);
    ref.by_day[e.requested_at_unix_ms / kDayMs * kDayMs].Add(e);
  }
  return ref;
}

void ExpectMatchesReference(UsageStore& store, const std::vector<UsageEvent>& events,
                            const std::string& org, TimeRange r) {
  SCOPED_TRACE(absl::StrCat(org, " [", r.from_unix_ms, ", ", r.to_unix_ms, ")"));
  Reference ref = Compute(events, org, r);
  ASSERT_GT(ref.total.requests, 5);  // the range must actually hold data

  auto groups = store.Aggregate(org, r, Bucket::kNone);
  ASSERT_THAT(groups, IsOk());
  Summary s = Summarize(*groups);
  EXPECT_EQ(s.total, ref.total);
  EXPECT_EQ(s.passthrough, ref.passthrough);
  EXPECT_EQ(s.reseller, ref.reseller);

  auto models = UsageByModel(*groups);
  std::map<std::pair<std::string, std::string>, Totals> got_models;
  for (size_t i = 0; i < models.size(); ++i) {
    got_models[{models[i].provider, models[i].model}] = models[i].totals;
    if (i > 0) {
      const Totals& a = models[i - 1].totals;
      const Totals& b = models[i].totals;
      EXPECT_TRUE(a.cost_nano > b.cost_nano ||
                  (a.cost_nano == b.cost_nano && a.requests >= b.requests));
    }
  }
  EXPECT_EQ(got_models, ref.by_model);

  auto providers = UsageByProvider(*groups);
  std::map<std::string, Totals> got_providers;
  for (size_t i = 0; i < providers.size(); ++i) {
    got_providers[providers[i].provider] = providers[i].totals;
    if (i > 0) {
      EXPECT_GE(providers[i - 1].totals.cost_nano, providers[i].totals.cost_nano);
    }
  }
  EXPECT_EQ(got_providers, ref.by_provider);

  for (Bucket b : {Bucket::kHour, Bucket::kDay}) {
    auto grouped = store.Aggregate(org, r, b);
    ASSERT_THAT(grouped, IsOk());
    auto points = Timeseries(*grouped, b);
    const auto& want = b == Bucket::kHour ? ref.by_hour : ref.by_day;
    std::vector<std::pair<int64_t, Totals>> got, expected(want.begin(), want.end());
    for (const auto& p : points) got.push_back({p.bucket_start_unix_ms, p.totals});
    EXPECT_EQ(got, expected) << (b == Bucket::kHour ? "hourly" : "daily");
  }
}

TEST_F(PgUsageStoreTest, RollupsEqualTheRawEvents) {
  auto events = Varied(600, 7);
  // Several batches, some delivered twice, as a retrying gateway would.
  for (size_t start = 0; start < events.size(); start += 150) {
    std::vector<UsageEvent> batch(events.begin() + start,
                                  events.begin() + std::min(events.size(), start + 150));
    ASSERT_THAT(store_->Ingest(batch), IsOk());
    if (start % 300 == 0) {
      ASSERT_THAT(store_->Ingest(batch),
                  IsOkAndHolds(IngestResult{0, static_cast<int>(batch.size())}));
    }
  }
  EXPECT_EQ(Count("SELECT count(*) FROM metering.usage_events"), 600);

  // Each rollup row equals a GROUP BY over the events, and the C++ sums of the generated events.
  auto rows = [&](const std::string& sql) {
    auto r = pool_->Run([&](pqxx::connection& c) -> absl::StatusOr<std::vector<std::string>> {
      pqxx::work tx(c);
      std::vector<std::string> out;
      for (const auto& row : tx.exec(sql)) {
        std::string line;
        for (const auto& f : row) absl::StrAppend(&line, f.c_str(), "|");
        out.push_back(line);
      }
      return out;
    });
    EXPECT_THAT(r, IsOk());
    return r.ok() ? *r : std::vector<std::string>{};
  };
  const std::string sums =
      "sum(input_tokens), sum(cached_input_tokens), sum(cache_write_tokens), "
      "sum(output_tokens), sum(reasoning_tokens), sum(cost_nano), sum(provider_cost_nano), "
      "sum(margin_nano)";
  auto rollup = rows(
      "SELECT org_id, (extract(epoch FROM hour) * 1000)::bigint, mode, provider, model, requests,"
      " input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens,"
      " cost_nano, provider_cost_nano, margin_nano FROM metering.usage_hourly"
      " ORDER BY 1, 2, 3, 4, 5");
  auto grouped = rows(absl::StrCat(
      "SELECT org_id, (extract(epoch FROM date_trunc('hour', requested_at AT TIME ZONE 'UTC'))"
      " * 1000)::bigint, mode, provider, model, count(*), ",
      sums, " FROM metering.usage_events GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"));
  std::map<std::tuple<std::string, int64_t, int, std::string, std::string>, Totals> in_cpp;
  for (const auto& e : events) {
    in_cpp[{e.organization_id, FloorTo(e.requested_at_unix_ms, kHourMs), static_cast<int>(e.mode),
            e.provider, e.model}]
        .Add(e);
  }
  std::vector<std::string> expected;
  for (const auto& [k, t] : in_cpp) {
    expected.push_back(absl::StrCat(
        std::get<0>(k), "|", std::get<1>(k), "|", std::get<2>(k), "|", std::get<3>(k), "|",
        std::get<4>(k), "|", t.requests, "|", t.input_tokens, "|", t.cached_input_tokens, "|",
        t.cache_write_tokens, "|", t.output_tokens, "|", t.reasoning_tokens, "|", t.cost_nano, "|",
        t.provider_cost_nano, "|", t.margin_nano, "|"));
  }
  std::sort(expected.begin(), expected.end());
  std::sort(rollup.begin(), rollup.end());
  std::sort(grouped.begin(), grouped.end());
  EXPECT_GT(rollup.size(), 200u);
  EXPECT_EQ(rollup, grouped);
  EXPECT_EQ(rollup, expected);

  const TimeRange aligned{kDay0 + 3 * kHourMs, kDay0 + 2 * kDayMs + 5 * kHourMs};
  const TimeRange unaligned{kDay0 + 3 * kHourMs + 1'234'567, kDay0 + 2 * kDayMs + 5 * kHourMs - 7};
  const TimeRange within_an_hour{kDay0 + 30 * kHourMs + 100, kDay0 + 31 * kHourMs + 5'000};
  const TimeRange everything{0, kMaxUnixMs + 1};
  for (const char* org : {kOrgA, kOrgB, kOrgC}) {
    for (TimeRange r : {aligned, unaligned, everything}) {
      ExpectMatchesReference(*store_, events, org, r);
      ExpectMatchesReference(*raw_store_, events, org, r);
    }
  }
  // Two hours of org A only: fewer events, still the same answer from both paths.
  Reference small = Compute(events, kOrgA, within_an_hour);
  auto groups = store_->Aggregate(kOrgA, within_an_hour, Bucket::kNone);
  ASSERT_THAT(groups, IsOk());
  EXPECT_EQ(Summarize(*groups).total, small.total);
  // Boundaries: an event exactly at `to` is excluded, one exactly at `from` included.
  for (const auto& e : events) {
    if (e.organization_id != kOrgA) continue;
    TimeRange at{e.requested_at_unix_ms, e.requested_at_unix_ms + 1};
    EXPECT_EQ(SummaryTotal(kOrgA, at), Compute(events, kOrgA, at).total);
    EXPECT_EQ(
        SummaryTotal(kOrgA, {e.requested_at_unix_ms - kHourMs, e.requested_at_unix_ms}),
        Compute(events, kOrgA, {e.requested_at_unix_ms - kHourMs, e.requested_at_unix_ms}).total);
    break;
  }
}

TEST_F(PgUsageStoreTest, ErrorsAreCountedInTheRollupsAndListFilters) {
  std::vector<UsageEvent> events = Batch(0, 6);
  events[1].status_code = 429;
  events[2].status_code = 502;
  events[2].provider = "anthropic";
  events[3].is_streaming = true;
  events[4].mode = Mode::kPassthrough;
  events[5].credential_id = "key_2";
  events[5].model = "gpt-4o-mini";
  ASSERT_THAT(store_->Ingest(events), IsOk());
  TimeRange day{kDay0, kDay0 + kDayMs};
  EXPECT_EQ(SummaryTotal(kOrgA, day).errors, 2);
  auto raw = raw_store_->Aggregate(kOrgA, day, Bucket::kNone);
  ASSERT_THAT(raw, IsOk());
  EXPECT_EQ(Summarize(*raw).total.errors, 2);
  auto ids = [&](UsageFilter f) {
    ListQuery q{kOrgA, 50, kMaxUnixMs + 1, f};
    auto page = store_->List(q);
    EXPECT_THAT(page, IsOk());
    std::vector<std::string> out;
    if (page.ok()) {
      for (const UsageEvent& e : *page) out.push_back(e.event_id);
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(ids({}).size(), 6u);
  EXPECT_EQ(ids({.status_min = 400, .status_max = 999}), (V{"ev-2", "ev-1"}));
  EXPECT_EQ(ids({.status_min = 429, .status_max = 429}), (V{"ev-1"}));
  EXPECT_EQ(ids({.provider = "anthropic"}), (V{"ev-2"}));
  EXPECT_EQ(ids({.model = "gpt-4o-mini"}), (V{"ev-5"}));
  EXPECT_EQ(ids({.credential_id = "key_2"}), (V{"ev-5"}));
  EXPECT_EQ(ids({.mode = Mode::kPassthrough}), (V{"ev-4"}));
  EXPECT_EQ(ids({.streaming = 1}), (V{"ev-3"}));
  EXPECT_EQ(ids({.streaming = 0}).size(), 5u);
  EXPECT_EQ(ids({.provider = "openai", .status_min = 400, .status_max = 999}), (V{"ev-1"}));
}

TEST_F(PgUsageStoreTest, OrganizationsAreIsolated) {
  ASSERT_THAT(store_->Ingest(Batch(0, 10, kOrgA)), IsOk());
  auto b = Batch(100, 7, kOrgB);
  ASSERT_THAT(store_->Ingest(b), IsOk());
  TimeRange all{0, kMaxUnixMs + 1};
  EXPECT_EQ(SummaryTotal(kOrgB, all), Sum(b));
  EXPECT_EQ(SummaryTotal(kOrgA, all), Sum(Batch(0, 10, kOrgA)));
  EXPECT_EQ(SummaryTotal(kOrgC, all), Totals{});
  auto groups = store_->Aggregate(kOrgC, all, Bucket::kHour);
  ASSERT_THAT(groups, IsOk());
  EXPECT_TRUE(groups->empty());
  auto page = store_->List({kOrgB, 500, kMaxUnixMs + 1});
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->size(), 7u);
  for (const auto& e : *page) EXPECT_EQ(e.organization_id, kOrgB);
  auto none = store_->List({kOrgC, 500, kMaxUnixMs + 1});
  ASSERT_THAT(none, IsOk());
  EXPECT_TRUE(none->empty());
}

TEST_F(PgUsageStoreTest, PagingWithTheCursorHasNoGapsAndNoDuplicates) {
  auto events = Varied(400, 11);  // many repeated milliseconds
  // Six events sharing one millisecond, more than a page of 4.
  for (int i = 0; i < 6; ++i) {
    events.push_back(Event(absl::StrCat("same-", i), kOrgA, kDay0 + 77'777, 1, 1));
  }
  ASSERT_THAT(store_->Ingest(events), IsOk());
  for (int limit : {1, 4, 7, 50}) {
    SCOPED_TRACE(limit);
    std::vector<UsageEvent> want;
    for (const auto& e : events) {
      if (e.organization_id == kOrgA) want.push_back(e);
    }
    std::sort(want.begin(), want.end(), [](const UsageEvent& a, const UsageEvent& b) {
      return std::tie(a.requested_at_unix_ms, a.event_id) >
             std::tie(b.requested_at_unix_ms, b.event_id);
    });
    std::vector<UsageEvent> got;
    int64_t before = kMaxUnixMs + 1;
    for (int pages = 0; pages < 1000; ++pages) {
      auto page = store_->List({kOrgA, limit, before});
      ASSERT_THAT(page, IsOk());
      if (page->empty()) break;
      if (page->size() > static_cast<size_t>(limit)) {
        // Only when one millisecond holds more than a page: all of it, at once.
        for (const auto& e : *page) {
          EXPECT_EQ(e.requested_at_unix_ms, page->front().requested_at_unix_ms);
        }
      }
      for (const auto& e : *page) {
        EXPECT_LT(e.requested_at_unix_ms, before);
        got.push_back(e);
      }
      before = page->back().requested_at_unix_ms;
    }
    ASSERT_EQ(got.size(), want.size());
    EXPECT_TRUE(got == want);
  }
}

TEST_F(PgUsageStoreTest, ConcurrentOverlappingBatchesCountEachEventOnce) {
  auto events = Varied(900, 23);
  constexpr int kThreads = 6;
  std::vector<std::thread> threads;
  std::vector<IngestResult> results(kThreads * 3);
  std::vector<absl::Status> statuses(kThreads * 3);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Each thread sends three overlapping windows of 300 events, shifted per thread.
      for (int k = 0; k < 3; ++k) {
        size_t start = (t * 97 + k * 211) % 600;
        std::vector<UsageEvent> batch(events.begin() + start, events.begin() + start + 300);
        if (t % 2 == 1) std::reverse(batch.begin(), batch.end());
        auto r = store_->Ingest(batch);
        statuses[t * 3 + k] = r.status();
        if (r.ok()) results[t * 3 + k] = *r;
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<size_t> covered;
  int64_t inserted = 0, total = 0;
  for (int t = 0; t < kThreads; ++t) {
    for (int k = 0; k < 3; ++k) {
      ASSERT_THAT(statuses[t * 3 + k], IsOk());
      size_t start = (t * 97 + k * 211) % 600;
      for (size_t i = start; i < start + 300; ++i) covered.insert(i);
      inserted += results[t * 3 + k].inserted;
      total += results[t * 3 + k].inserted + results[t * 3 + k].duplicates;
    }
  }
  EXPECT_EQ(total, kThreads * 3 * 300);
  EXPECT_EQ(inserted, static_cast<int64_t>(covered.size()));
  EXPECT_EQ(Count("SELECT count(*) FROM metering.usage_events"),
            static_cast<int64_t>(covered.size()));
  EXPECT_EQ(Count("SELECT sum(requests) FROM metering.usage_hourly"),
            static_cast<int64_t>(covered.size()));
  std::vector<UsageEvent> stored;
  for (size_t i : covered) stored.push_back(events[i]);
  for (const char* org : {kOrgA, kOrgB, kOrgC}) {
    EXPECT_EQ(SummaryTotal(org, {0, kMaxUnixMs + 1}),
              Compute(stored, org, {0, kMaxUnixMs + 1}).total);
  }
}

TEST_F(PgUsageStoreTest, LargeBatchIsOneStatement) {
  auto events = Varied(3000, 99);
  auto start = std::chrono::steady_clock::now();
  ASSERT_THAT(store_->Ingest(events), IsOkAndHolds(IngestResult{3000, 0}));
  auto took = std::chrono::steady_clock::now() - start;
  std::cout << "3000 events ingested in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms\n";
  EXPECT_THAT(store_->Ingest(events), IsOkAndHolds(IngestResult{0, 3000}));
  EXPECT_EQ(Count("SELECT sum(requests) FROM metering.usage_hourly"), 3000);
}

}  // namespace
}  // namespace llmgw::metering

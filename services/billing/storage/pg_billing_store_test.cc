#include "services/billing/storage/pg_billing_store.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/clock.h"
#include "libs/pg/migrate.h"
#include "libs/testing/pg_test_db.h"
#include "libs/testing/status_matchers.h"
#include "services/billing/storage/billing_invariants.h"
#include "services/billing/storage/hold_sweeper.h"

namespace llmgw::billing {
namespace {

using ::llmgw::test::IsOk;
using ::llmgw::test::StatusIs;
using ::testing::ElementsAre;
using ::testing::Field;

constexpr char kOrg[] = "0b6f2a0e-3c1d-4e5f-8a9b-0c1d2e3f4a5b";
constexpr char kOrg2[] = "9a1e4c3b-2d5f-4a6b-8c7d-1e2f3a4b5c6d";
constexpr int64_t kNow = 1'750'000'000'000;  // 2025-06-15
constexpr int64_t kLater = kNow + kDefaultHoldTtlSeconds * 1000;
constexpr int64_t kGraceMs = 60'000;  // kHoldSweepGraceSeconds, pinned so the tests can fail
constexpr Nano kCent = 10'000'000;
constexpr Nano kFiveUsd = 5'000'000'000;
constexpr Nano kUsd = money::kNanoPerUsd;

}  // namespace

void PrintTo(const BalanceRow& b, std::ostream* os) {
  *os << "{balance " << b.balance << ", held " << b.held << "}";
}
void PrintTo(const Settlement& s, std::ostream* os) {
  *os << "{cost " << s.provider_cost << ", margin " << s.margin << ", total " << s.total
      << ", charged " << s.charged << ", uncollected " << s.uncollected << ", balance_after "
      << s.balance_after << "}";
}

namespace {

class PgBillingStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = llmgw::test::PgTestDb::Create();
    auto pool = pg::PgPool::Create({.url = db_->url(), .size = 24});
    ASSERT_THAT(pool, IsOk());
    pool_ = std::move(*pool);
    ASSERT_THAT(pg::ApplyMigrations(*pool_, "billing", billingMigrations()), IsOk());
    store_ = std::make_unique<PgBillingStore>(*pool_);
  }
  void TearDown() override {
    if (pool_) {
      EXPECT_THAT(test::CheckInvariants(*pool_), IsOk());
    }
  }

  void Topup(const std::string& org, Nano amount) {
    ASSERT_THAT(store_->Charge(org, "topup-" + std::to_string(++topups_), amount, "test"), IsOk());
  }
  BalanceRow Balance(const std::string& org) { return *store_->GetBalance(org); }
  int64_t Count(const std::string& sql) {
    return *pool_->Run([&](pqxx::connection& c) -> absl::StatusOr<int64_t> {
      pqxx::work tx(c);
      return tx.exec(sql)[0][0].as<int64_t>();
    });
  }
  void Exec(const std::string& sql) {
    ASSERT_THAT(pool_->Run([&](pqxx::connection& c) -> absl::Status {
      pqxx::work tx(c);
      tx.exec(sql);
      tx.commit();
      return absl::OkStatus();
    }),
                IsOk());
  }

  std::unique_ptr<llmgw::test::PgTestDb> db_;
  std::unique_ptr<pg::PgPool> pool_;
  std::unique_ptr<PgBillingStore> store_;
  int topups_ = 0;
};

TEST_F(PgBillingStoreTest, ListPricesReturnsTheSeededPriceBook) {
  auto prices = store_->ListPrices(kNow);
  ASSERT_THAT(prices, IsOk());
  const int64_t from = 1'704'067'200'000;  // 2024-01-01T00:00:00Z
  std::vector<PriceRow> want = {
      {"anthropic", "claude-3-5-haiku-20241022", 800000000, 80000000, 1000000000, 4000000000, from,
       8192},
      {"anthropic", "claude-3-5-sonnet-20241022", 3000000000, 300000000, 3750000000, 15000000000,
       from, 8192},
      {"google", "gemini-1.5-flash", 75000000, 0, 0, 300000000, from, 8192},
      {"google", "gemini-1.5-pro", 1250000000, 0, 0, 5000000000, from, 8192},
      {"openai", "gpt-4o", 2500000000, 1250000000, 0, 10000000000, from, 16384},
      {"openai", "gpt-4o-mini", 150000000, 75000000, 0, 600000000, from, 16384},
      {"xai", "grok-beta", 5000000000, 0, 0, 15000000000, from, 16384},
  };
  ASSERT_EQ(prices->size(), want.size());
  std::set<int64_t> ids;
  for (size_t i = 0; i < want.size(); ++i) {
    want[i].id = (*prices)[i].id;  // assigned by the database, one per row
    ids.insert(want[i].id);
  }
  EXPECT_EQ(ids.size(), want.size());
  EXPECT_EQ(ids.count(0), 0u);
  EXPECT_EQ(*prices, want);
}

TEST_F(PgBillingStoreTest, ListPricesPicksTheLatestPriceInEffect) {
  Exec(
      "INSERT INTO billing.prices VALUES "
      "('openai', 'gpt-4o-mini', '2025-01-01T00:00:00Z', 100, 50, 0, 400, 16384), "
      "('openai', 'gpt-4o-mini', '2030-01-01T00:00:00Z', 999, 0, 0, 999, 16384)");
  auto prices = store_->ListPrices(kNow);
  ASSERT_THAT(prices, IsOk());
  ASSERT_EQ(prices->size(), 7u);
  const PriceRow& mini = (*prices)[5];
  EXPECT_EQ(mini.model, "gpt-4o-mini");
  EXPECT_EQ(mini.input_nano_per_mtok, 100);
  EXPECT_EQ(mini.output_nano_per_mtok, 400);
  EXPECT_EQ(mini.effective_from_unix_ms, 1'735'689'600'000);
}

PriceRow CatalogRow(const std::string& model, Nano input, int64_t from, int rank) {
  PriceRow r;
  r.provider = "openai";
  r.model = model;
  r.origin = "catalog";
  r.catalog_version = "test 1";
  r.input_nano_per_mtok = input;
  r.output_nano_per_mtok = 4 * input;
  r.effective_from_unix_ms = from;
  r.max_output_tokens = 128000;
  r.match_json = R"({"equals":")" + model + R"("})";
  r.catalog_rank = rank;
  r.tier_above_input_tokens = 272000;
  r.tier_input_nano_per_mtok = 2 * input;
  r.tier_output_nano_per_mtok = 6 * input;
  return r;
}

TEST_F(PgBillingStoreTest, ACatalogLoadsOnceAndANewOneNeverRewritesPastPrices) {
  CatalogLoad v1{.sha256 = "aaa",
                 .source = "test",
                 .version = "1",
                 .models = 1,
                 .rows = {CatalogRow("gpt-9", 1'000'000'000, kNow, 0)}};
  EXPECT_THAT(store_->LoadCatalog(v1), llmgw::test::IsOkAndHolds(true));
  EXPECT_THAT(store_->LoadCatalog(v1), llmgw::test::IsOkAndHolds(false));  // same content
  EXPECT_EQ(Count("SELECT count(*) FROM billing.prices WHERE origin = 'catalog'"), 1);
  // Version 2 halves the price from its own load on; the row v1 billed at stays as it was.
  CatalogLoad v2{.sha256 = "bbb",
                 .source = "test",
                 .version = "2",
                 .models = 1,
                 .rows = {CatalogRow("gpt-9", 500'000'000, kLater, 0)}};
  EXPECT_THAT(store_->LoadCatalog(v2), llmgw::test::IsOkAndHolds(true));
  auto at_now = store_->ListPrices(kNow);
  ASSERT_THAT(at_now, IsOk());
  auto row = std::find_if(at_now->begin(), at_now->end(),
                          [](const PriceRow& p) { return p.model == "gpt-9"; });
  ASSERT_NE(row, at_now->end());
  PriceRow want = CatalogRow("gpt-9", 1'000'000'000, kNow, 0);
  want.id = row->id;
  EXPECT_EQ(*row, want);  // every column round-trips
  auto later = store_->ListPrices(kLater);
  ASSERT_THAT(later, IsOk());
  row = std::find_if(later->begin(), later->end(),
                     [](const PriceRow& p) { return p.model == "gpt-9"; });
  EXPECT_EQ(row->input_nano_per_mtok, 500'000'000);
  // Before it takes effect, version 2's row is scheduled.
  auto scheduled = store_->ListScheduledPrices(kNow);
  ASSERT_THAT(scheduled, IsOk());
  ASSERT_EQ(scheduled->size(), 1u);
  EXPECT_EQ((*scheduled)[0].effective_from_unix_ms, kLater);
  auto history = store_->ListPriceHistory("openai", "gpt-9");
  ASSERT_THAT(history, IsOk());
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].input_nano_per_mtok, 1'000'000'000);
}

TEST_F(PgBillingStoreTest, TwoReplicasLoadingTheSameCatalogAddItOnce) {
  CatalogLoad v1{.sha256 = "ccc",
                 .source = "test",
                 .version = "1",
                 .models = 2,
                 .rows = {CatalogRow("gpt-9", 1, kNow, 0), CatalogRow("gpt-9-mini", 1, kNow, 1)}};
  std::atomic<int> added{0};
  std::vector<std::thread> replicas;
  for (int i = 0; i < 4; ++i) {
    replicas.emplace_back([&] {
      auto r = store_->LoadCatalog(v1);
      if (r.ok() && *r) ++added;
    });
  }
  for (auto& t : replicas) t.join();
  EXPECT_EQ(added.load(), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM billing.prices WHERE origin = 'catalog'"), 2);
}

TEST_F(PgBillingStoreTest, OverridesAreNewRowsBesideTheCatalogsAndRecordWho) {
  PriceRow o;
  o.provider = "openai";
  o.model = "gpt-4o-mini";
  o.origin = "override";
  o.input_nano_per_mtok = 100'000'000;
  o.output_nano_per_mtok = 400'000'000;
  o.effective_from_unix_ms = kNow;
  o.set_by = "alice";
  o.note = "negotiated";
  auto stored = store_->AddPrices({o});
  ASSERT_THAT(stored, IsOk());
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_GT((*stored)[0].id, 0);
  EXPECT_EQ((*stored)[0].set_by, "alice");
  // The seed row of the same model is untouched: both are listed, by origin.
  auto prices = store_->ListPrices(kNow);
  ASSERT_THAT(prices, IsOk());
  int mini = 0;
  for (const PriceRow& p : *prices) mini += p.model == "gpt-4o-mini";
  EXPECT_EQ(mini, 2);
  EXPECT_EQ(Count("SELECT input_nano_per_mtok FROM billing.prices "
                  "WHERE model = 'gpt-4o-mini' AND origin = 'seed'"),
            150'000'000);
  // The same instant twice is refused, not overwritten.
  EXPECT_THAT(store_->AddPrices({o}), StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_F(PgBillingStoreTest, UnknownOrganizationHasZeroBalance) {
  EXPECT_EQ(Balance(kOrg), (BalanceRow{0, 0}));
  EXPECT_THAT(store_->ListTransactions(kOrg, 50), llmgw::test::IsOkAndHolds(::testing::IsEmpty()));
}

TEST_F(PgBillingStoreTest, ChargeIsIdempotentByKey) {
  auto first = store_->Charge(kOrg, "key-1", kFiveUsd, "first top-up");
  ASSERT_THAT(first, IsOk());
  EXPECT_FALSE(first->replayed);
  EXPECT_EQ(first->balance, kFiveUsd);
  EXPECT_EQ(first->entry.type, EntryType::kCharge);
  EXPECT_EQ(first->entry.amount, kFiveUsd);
  EXPECT_EQ(first->entry.balance_after, kFiveUsd);
  EXPECT_EQ(first->entry.description, "first top-up");

  auto again = store_->Charge(kOrg, "key-1", kFiveUsd, "first top-up");
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->balance, kFiveUsd);
  EXPECT_EQ(again->entry.id, first->entry.id);
  EXPECT_EQ(Balance(kOrg), (BalanceRow{kFiveUsd, 0}));
  EXPECT_EQ(Count("SELECT count(*) FROM billing.ledger"), 1);

  // The same key for another amount or organization is a caller bug, not a new charge.
  EXPECT_THAT(store_->Charge(kOrg, "key-1", 1, ""),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->Charge(kOrg2, "key-1", kFiveUsd, ""),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Count("SELECT count(*) FROM billing.ledger"), 1);

  auto second = store_->Charge(kOrg, "key-2", 1, "");
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->balance, kFiveUsd + 1);
}

TEST_F(PgBillingStoreTest, ConcurrentChargesWithOneKeyCreditOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0}, replayed{0};
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      auto r = store_->Charge(kOrg, "same-key", kFiveUsd, "");
      if (r.ok()) {
        ++ok;
        if (r->replayed) ++replayed;
        EXPECT_EQ(r->balance, kFiveUsd);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 16);
  EXPECT_EQ(replayed.load(), 15);
  EXPECT_EQ(Balance(kOrg), (BalanceRow{kFiveUsd, 0}));
  EXPECT_EQ(Count("SELECT count(*) FROM billing.ledger"), 1);
}

TEST_F(PgBillingStoreTest, ListTransactionsNewestFirstWithLimit) {
  for (int i = 1; i <= 5; ++i) {
    ASSERT_THAT(store_->Charge(kOrg, "k" + std::to_string(i), i * kCent, "t" + std::to_string(i)),
                IsOk());
  }
  auto all = store_->ListTransactions(kOrg, 50);
  ASSERT_THAT(all, IsOk());
  ASSERT_EQ(all->size(), 5u);
  EXPECT_EQ((*all)[0].description, "t5");
  EXPECT_EQ((*all)[0].balance_after, 15 * kCent);
  EXPECT_EQ((*all)[4].description, "t1");
  EXPECT_EQ((*all)[4].balance_after, kCent);
  auto two = store_->ListTransactions(kOrg, 2);
  ASSERT_THAT(two, IsOk());
  EXPECT_THAT(*two, ElementsAre(Field(&LedgerEntry::description, "t5"),
                                Field(&LedgerEntry::description, "t4")));
  EXPECT_THAT(store_->ListTransactions(kOrg2, 50), llmgw::test::IsOkAndHolds(::testing::IsEmpty()));
}

TEST_F(PgBillingStoreTest, HoldIsGuardedByTheAvailableBalance) {
  EXPECT_THAT(store_->Hold(kOrg, "r0", 1, 20, kLater),
              StatusIs(absl::StatusCode::kResourceExhausted));  // never topped up
  Topup(kOrg, 1000);
  auto h = store_->Hold(kOrg, "r1", 600, 20, kLater);
  ASSERT_THAT(h, IsOk());
  EXPECT_EQ(h->amount, 600);
  EXPECT_EQ(h->expires_at_unix_ms, kLater);
  EXPECT_FALSE(h->replayed);
  EXPECT_THAT(store_->Hold(kOrg, "r2", 401, 20, kLater),
              StatusIs(absl::StatusCode::kResourceExhausted));
  ASSERT_THAT(store_->Hold(kOrg, "r3", 400, 20, kLater), IsOk());  // exactly what is left
  EXPECT_EQ(Balance(kOrg), (BalanceRow{1000, 1000}));
  EXPECT_THAT(store_->Hold(kOrg, "r4", 1, 20, kLater),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(Count("SELECT count(*) FROM billing.holds"), 2);  // refused holds leave no row
}

TEST_F(PgBillingStoreTest, HoldIsIdempotentByRequestId) {
  Topup(kOrg, 1000);
  ASSERT_THAT(store_->Hold(kOrg, "r1", 600, 20, kLater), IsOk());
  auto again = store_->Hold(kOrg, "r1", 600, 20, kLater + 5);
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->amount, 600);
  EXPECT_EQ(again->expires_at_unix_ms, kLater);
  EXPECT_EQ(Balance(kOrg), (BalanceRow{1000, 600}));
  Topup(kOrg2, 1000);
  EXPECT_THAT(store_->Hold(kOrg2, "r1", 10, 20, kLater),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(PgBillingStoreTest, ConcurrentHoldsForOneRequestReserveOnce) {
  Topup(kOrg, kFiveUsd);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      if (store_->Hold(kOrg, "same-request", kCent, 20, kLater).ok()) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 16);
  EXPECT_EQ(Balance(kOrg), (BalanceRow{kFiveUsd, kCent}));
  EXPECT_EQ(Count("SELECT count(*) FROM billing.holds"), 1);
}

TEST_F(PgBillingStoreTest, SettleDebitsCostPlusMarginOnceAndReleasesTheHold) {
  Topup(kOrg, 10'000);
  ASSERT_THAT(store_->Hold(kOrg, "r1", 1200, 20, kLater), IsOk());
  auto s = store_->Settle("r1", 1000, "gpt-4o-mini");
  ASSERT_THAT(s, IsOk());
  EXPECT_FALSE(s->replayed);
  EXPECT_EQ(s->settlement, (Settlement{1000, 200, 1200, 1200, 0, 8800}));
  EXPECT_EQ(Balance(kOrg), (BalanceRow{8800, 0}));

  // A retry (even with another figure) changes nothing and returns the first result.
  auto again = store_->Settle("r1", 5000, "retry");
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->settlement, s->settlement);
  EXPECT_EQ(Balance(kOrg), (BalanceRow{8800, 0}));
  EXPECT_EQ(Count("SELECT count(*) FROM billing.ledger WHERE request_id = 'r1'"), 1);

  auto entries = store_->ListTransactions(kOrg, 1);
  ASSERT_THAT(entries, IsOk());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].type, EntryType::kUsage);
  EXPECT_EQ((*entries)[0].amount, -1200);
  EXPECT_EQ((*entries)[0].balance_after, 8800);
  EXPECT_EQ((*entries)[0].request_id, "r1");
  EXPECT_EQ((*entries)[0].description, "gpt-4o-mini");
  EXPECT_EQ((*entries)[0].uncollected, 0);
}

TEST_F(PgBillingStoreTest, SettleStoresAnyRequestIdAndDescriptionVerbatim) {
  // Nothing in a value is SQL, and nothing that looks like a placeholder is replaced.
  Topup(kOrg, 10'000);
  const std::string id = "r'$1 \\ \" -- ;DROP TABLE billing.ledger; $10";
  const std::string description = "model $1 $2 $11 ' '' \\' E'\\x00' \xc3\xa9 ; COMMIT; --";
  ASSERT_THAT(store_->Hold(kOrg, id, 120, 20, kLater), IsOk());
  auto s = store_->Settle(id, 100, description);
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->settlement.charged, 120);
  auto entries = store_->ListTransactions(kOrg, 1);
  ASSERT_THAT(entries, IsOk());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].request_id, id);
  EXPECT_EQ((*entries)[0].description, description);
  EXPECT_EQ(Balance(kOrg), (BalanceRow{10'000 - 120, 0}));
  auto again = store_->Settle(id, 100, description);
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->replayed);
  // A settle refused on the way (no such hold) leaves the connection usable: no transaction open.
  EXPECT_EQ(store_->Settle("no-such-hold", 1, "x").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                  "AND state LIKE 'idle in transaction%'"),
            0);
  ASSERT_THAT(store_->Hold(kOrg, "after", 10, 20, kLater), IsOk());
  ASSERT_THAT(store_->Settle("after", 10, "x"), IsOk());
}

TEST_F(PgBillingStoreTest, SettleAboveTheBalanceChargesWhatIsThereAndRecordsTheRest) {
  Topup(kOrg, 500);
  ASSERT_THAT(store_->Hold(kOrg, "r1", 480, 20, kLater), IsOk());
  auto s = store_->Settle("r1", 1000, "");  // total 1200 > balance 500
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->settlement, (Settlement{1000, 200, 1200, 500, 700, 0}));
  EXPECT_EQ(Balance(kOrg), (BalanceRow{0, 0}));
  EXPECT_EQ(Count("SELECT uncollected FROM billing.ledger WHERE request_id = 'r1'"), 700);
  EXPECT_EQ(Count("SELECT amount FROM billing.ledger WHERE request_id = 'r1'"), -500);
}

TEST_F(PgBillingStoreTest, SettleNeverSpendsWhatOtherOpenHoldsReserve) {
  // Balance $1.00, two open holds of $0.40 (margin 0, so the hold is the bound).
  Topup(kOrg, kUsd);
  ASSERT_THAT(store_->Hold(kOrg, "A", kUsd * 40 / 100, 0, kLater), IsOk());
  ASSERT_THAT(store_->Hold(kOrg, "B", kUsd * 40 / 100, 0, kLater), IsOk());
  EXPECT_EQ(Balance(kOrg), (BalanceRow{kUsd, kUsd * 80 / 100}));

  // A costs $0.95, above its bound: it takes its $0.40 plus the free $0.20, not B's $0.40.
  auto a = store_->Settle("A", kUsd * 95 / 100, "A");
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(a->settlement, (Settlement{kUsd * 95 / 100, 0, kUsd * 95 / 100, kUsd * 60 / 100,
                                       kUsd * 35 / 100, kUsd * 40 / 100}));
  EXPECT_EQ(Balance(kOrg), (BalanceRow{kUsd * 40 / 100, kUsd * 40 / 100}));

  // B's reservation is intact: its $0.30 is charged in full.
  auto b = store_->Settle("B", kUsd * 30 / 100, "B");
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(b->settlement,
            (Settlement{kUsd * 30 / 100, 0, kUsd * 30 / 100, kUsd * 30 / 100, 0, kUsd * 10 / 100}));
  EXPECT_EQ(Balance(kOrg), (BalanceRow{kUsd * 10 / 100, 0}));
  EXPECT_EQ(Count("SELECT uncollected FROM billing.ledger WHERE request_id = 'A'"),
            kUsd * 35 / 100);
  EXPECT_EQ(Count("SELECT amount FROM billing.ledger WHERE request_id = 'A'"), -kUsd * 60 / 100);
  EXPECT_EQ(Count("SELECT uncollected FROM billing.ledger WHERE request_id = 'B'"), 0);
  EXPECT_EQ(Count("SELECT amount FROM billing.ledger WHERE request_id = 'B'"), -kUsd * 30 / 100);

  // Replays return the stored results unchanged.
  auto again = store_->Settle("A", kUsd, "retry");
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->settlement, a->settlement);
  EXPECT_EQ(Balance(kOrg), (BalanceRow{kUsd * 10 / 100, 0}));
}

TEST_F(PgBillingStoreTest, SettleUsesTheMarginRecordedOnTheHold) {
  Topup(kOrg, 10'000);
  ASSERT_THAT(store_->Hold(kOrg, "r1", 1500, 50, kLater), IsOk());
  auto s = store_->Settle("r1", 1000, "");
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->settlement, (Settlement{1000, 500, 1500, 1500, 0, 8500}));
}

TEST_F(PgBillingStoreTest, SettleAndVoidStateMachine) {
  Topup(kOrg, 10'000);
  EXPECT_THAT(store_->Settle("missing", 1, ""), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->Void("missing"), StatusIs(absl::StatusCode::kNotFound));

  ASSERT_THAT(store_->Hold(kOrg, "voided", 1000, 20, kLater), IsOk());
  EXPECT_EQ(Balance(kOrg), (BalanceRow{10'000, 1000}));
  EXPECT_THAT(store_->Void("voided"), IsOk());
  EXPECT_EQ(Balance(kOrg), (BalanceRow{10'000, 0}));
  EXPECT_THAT(store_->Void("voided"), IsOk());  // idempotent
  EXPECT_EQ(Balance(kOrg), (BalanceRow{10'000, 0}));
  // A settle after the void (a late one: the sweeper released the hold) still charges, from
  // the free balance; a repeat changes nothing.
  auto late = store_->Settle("voided", 100, "");
  ASSERT_THAT(late, IsOk());
  EXPECT_EQ(late->settlement, (Settlement{100, 20, 120, 120, 0, 10'000 - 120}));
  EXPECT_FALSE(late->replayed);
  EXPECT_EQ(Balance(kOrg), (BalanceRow{10'000 - 120, 0}));
  auto again = store_->Settle("voided", 100, "");
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(Balance(kOrg), (BalanceRow{10'000 - 120, 0}));
  EXPECT_THAT(store_->Hold(kOrg, "voided", 1000, 20, kLater),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  ASSERT_THAT(store_->Hold(kOrg, "settled", 1000, 20, kLater), IsOk());
  ASSERT_THAT(store_->Settle("settled", 100, ""), IsOk());
  EXPECT_THAT(store_->Void("settled"), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Balance(kOrg), (BalanceRow{10'000 - 240, 0}));
  EXPECT_EQ(Count("SELECT count(*) FROM billing.ledger WHERE type = 'usage'"), 2);
}

TEST_F(PgBillingStoreTest, ALateSettleNeverSpendsWhatOtherHoldsReserve) {
  Topup(kOrg, 1000);
  ASSERT_THAT(store_->Hold(kOrg, "open", 500, 20, kLater), IsOk());
  ASSERT_THAT(store_->Hold(kOrg, "swept", 400, 20, kLater), IsOk());
  ASSERT_THAT(store_->Void("swept"), IsOk());
  // Total 1200 against a free balance of 1000 - 500: 500 charged, 700 uncollected.
  auto late = store_->Settle("swept", 1000, "");
  ASSERT_THAT(late, IsOk());
  EXPECT_EQ(late->settlement, (Settlement{1000, 200, 1200, 500, 700, 500}));
  EXPECT_EQ(Balance(kOrg), (BalanceRow{500, 500}));
  auto open = store_->Settle("open", 100, "");
  ASSERT_THAT(open, IsOk());
  EXPECT_EQ(open->settlement.charged, 120);
  EXPECT_EQ(Balance(kOrg), (BalanceRow{380, 0}));
}

TEST_F(PgBillingStoreTest, SweeperVoidsOnlyExpiredOpenHolds) {
  Topup(kOrg, 10'000);
  Topup(kOrg2, 10'000);
  ASSERT_THAT(store_->Hold(kOrg, "old1", 1000, 20, kNow - 1), IsOk());
  ASSERT_THAT(store_->Hold(kOrg2, "old2", 2000, 20, kNow), IsOk());
  ASSERT_THAT(store_->Hold(kOrg, "fresh", 3000, 20, kNow + 1), IsOk());
  ASSERT_THAT(store_->Hold(kOrg, "done", 500, 20, kNow - 10), IsOk());
  ASSERT_THAT(store_->Settle("done", 100, ""), IsOk());

  // The clock is `grace` past kNow: old1 and old2 are expired by at least the grace.
  FakeClock clock(kNow + kGraceMs);
  std::atomic<int> reported{0};
  HoldSweeper sweeper(*store_, clock,
                      {.interval = std::chrono::milliseconds(10),
                       .batch = 1,  // forces several batches in one pass
                       .on_voided = [&](int n) { reported += n; }});
  EXPECT_THAT(sweeper.SweepOnce(), llmgw::test::IsOkAndHolds(2));
  EXPECT_EQ(reported.load(), 2);
  EXPECT_EQ(Balance(kOrg), (BalanceRow{10'000 - 120, 3000}));
  EXPECT_EQ(Balance(kOrg2), (BalanceRow{10'000, 0}));
  // A settle after the sweep still charges (from the free balance: old1's 1000 are released).
  auto late = store_->Settle("old1", 100, "");
  ASSERT_THAT(late, IsOk());
  EXPECT_EQ(late->settlement.charged, 120);
  EXPECT_EQ(Balance(kOrg), (BalanceRow{10'000 - 240, 3000}));
  EXPECT_THAT(sweeper.SweepOnce(), llmgw::test::IsOkAndHolds(0));

  // The background thread picks up a hold as soon as it has been expired for the grace.
  clock.SetUnixMs(kNow + 1 + kGraceMs);
  sweeper.Start();
  for (int i = 0; i < 500 && Balance(kOrg).held != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  sweeper.Stop();
  EXPECT_EQ(Balance(kOrg), (BalanceRow{10'000 - 240, 0}));
  EXPECT_EQ(reported.load(), 3);
}

TEST_F(PgBillingStoreTest, SweeperLeavesHoldsExpiredByLessThanTheGrace) {
  Topup(kOrg, 10'000);
  // At kNow, "recent" has been expired for just under the grace, "stale" for just over.
  ASSERT_THAT(store_->Hold(kOrg, "recent", 1000, 20, kNow - kGraceMs + 1), IsOk());
  ASSERT_THAT(store_->Hold(kOrg, "stale", 2000, 20, kNow - kGraceMs - 1), IsOk());
  FakeClock clock(kNow);
  HoldSweeper sweeper(*store_, clock, {});
  EXPECT_THAT(sweeper.SweepOnce(), llmgw::test::IsOkAndHolds(1));  // only "stale"
  EXPECT_EQ(Balance(kOrg), (BalanceRow{10'000, 1000}));
  // "stale" was swept: its settle charges from what "recent" does not reserve.
  auto swept = store_->Settle("stale", 100, "");
  ASSERT_THAT(swept, IsOk());
  EXPECT_EQ(swept->settlement.charged, 120);
  EXPECT_EQ(Balance(kOrg), (BalanceRow{10'000 - 120, 1000}));

  // "recent" expired 59.999 s ago: its settle finds the hold and spends it.
  auto late = store_->Settle("recent", 1000, "late");
  ASSERT_THAT(late, IsOk());
  EXPECT_EQ(late->settlement.charged, 1200);
  EXPECT_EQ(Balance(kOrg), (BalanceRow{10'000 - 120 - 1200, 0}));
  EXPECT_THAT(sweeper.SweepOnce(), llmgw::test::IsOkAndHolds(0));
}

TEST_F(PgBillingStoreTest, SettleRacingTheSweeperAlwaysChargesOnce) {
  constexpr int kRounds = 60;
  Topup(kOrg, kFiveUsd);
  int before_sweep = 0, after_sweep = 0;
  for (int i = 0; i < kRounds; ++i) {
    std::string id = "race-" + std::to_string(i);
    ASSERT_THAT(store_->Hold(kOrg, id, 1200, 20, kNow - 1), IsOk());
    absl::StatusOr<SettleResult> settle;
    absl::StatusOr<int> sweep;
    std::atomic<bool> go{false};
    std::thread a([&] {
      while (!go) {
      }
      settle = store_->Settle(id, 1000, "");
    });
    std::thread b([&] {
      while (!go) {
      }
      sweep = store_->SweepExpired(kNow, 100);
    });
    go = true;
    a.join();
    b.join();
    ASSERT_THAT(sweep, IsOk());
    // Whoever takes the row lock first, the request is charged exactly once: from its hold when
    // the settle wins, from the free balance when the sweeper released the hold first.
    ASSERT_THAT(settle, IsOk()) << id;
    EXPECT_EQ(settle->settlement.charged, 1200) << id;
    (*sweep == 0 ? before_sweep : after_sweep) += 1;
    EXPECT_EQ(Balance(kOrg).held, 0) << id;
  }
  EXPECT_EQ(Balance(kOrg).balance, kFiveUsd - kRounds * 1200);
  EXPECT_EQ(Count("SELECT count(*) FROM billing.ledger WHERE type = 'usage'"), kRounds);
  EXPECT_EQ(Count("SELECT count(*) FROM billing.holds WHERE status = 'settled'"), kRounds);
  std::cout << "settled before the sweep " << before_sweep << ", after it " << after_sweep << "\n";
}

// --- The budget race -------------------------------------------------------------------------

constexpr int kHolds = 1000;
constexpr int kThreads = 32;

struct RaceOutcome {
  int granted = 0;
  int refused = 0;
  int other = 0;
};

// Runs kHolds holds of one cent each from kThreads threads.
template <typename HoldFn>
RaceOutcome RunHoldRace(HoldFn hold) {
  std::atomic<int> next{0}, granted{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < kHolds; i = next++) {
        absl::Status s = hold("hold-" + std::to_string(i));
        if (s.ok()) {
          ++granted;
        } else if (s.code() == absl::StatusCode::kResourceExhausted) {
          ++refused;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  return {granted.load(), refused.load(), other.load()};
}

TEST_F(PgBillingStoreTest, ConcurrentHoldsNeverOverGrant) {
  Topup(kOrg, kFiveUsd);
  RaceOutcome r = RunHoldRace(
      [&](const std::string& id) { return store_->Hold(kOrg, id, kCent, 20, kLater).status(); });
  EXPECT_EQ(r.granted, 500);
  EXPECT_EQ(r.refused, 500);
  EXPECT_EQ(r.other, 0);
  EXPECT_EQ(Balance(kOrg), (BalanceRow{kFiveUsd, int64_t{500} * kCent}));
  EXPECT_EQ(Count("SELECT count(*) FROM billing.holds WHERE status = 'open'"), 500);
  ASSERT_THAT(test::CheckInvariants(*pool_), IsOk());

  // Settle every granted hold concurrently at 0.8 cent provider cost: 0.96 cent each with margin.
  std::vector<std::string> ids;
  ASSERT_THAT(pool_->Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::work tx(c);
    for (const auto& row : tx.exec("SELECT request_id FROM billing.holds")) {
      ids.push_back(row[0].as<std::string>());
    }
    return absl::OkStatus();
  }),
              IsOk());
  ASSERT_EQ(ids.size(), 500u);
  std::atomic<int> next{0}, ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < static_cast<int>(ids.size()); i = next++) {
        auto s = store_->Settle(ids[i], 8'000'000, "");
        if (s.ok() && s->settlement.charged == 9'600'000 && s->settlement.uncollected == 0) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 500);
  EXPECT_EQ(Balance(kOrg), (BalanceRow{kFiveUsd - int64_t{500} * 9'600'000, 0}));
  EXPECT_EQ(Balance(kOrg).balance, 200'000'000);
  EXPECT_EQ(Count("SELECT count(*) FROM billing.ledger WHERE type = 'usage'"), 500);
  EXPECT_EQ(Count("SELECT -sum(amount) FROM billing.ledger WHERE type = 'usage'"),
            int64_t{500} * 9'600'000);
}

// The read-modify-write a naive implementation would do. It exists to prove that the race test
// above can fail: against this variant the same scenario over-grants.
absl::Status BrokenHold(pg::PgPool& pool, const std::string& org, const std::string& id,
                        Nano amount) {
  return pool.Run(
      [&](pqxx::connection& c) -> absl::Status {
        pqxx::work tx(c);  // READ COMMITTED, like the real store
        auto row =
            tx.exec_params("SELECT balance, held FROM billing.balances WHERE org_id = $1", org);
        Nano balance = row[0][0].as<int64_t>();
        Nano held = row[0][1].as<int64_t>();
        if (balance - held < amount) return absl::ResourceExhaustedError("insufficient");
        tx.exec("SELECT pg_sleep(0.001)");  // widen the window between read and write
        tx.exec_params("UPDATE billing.balances SET held = $2 WHERE org_id = $1", org,
                       held + amount);
        tx.exec_params(
            "INSERT INTO billing.holds (request_id, org_id, amount, margin_percent, status, "
            "expires_at) VALUES ($1, $2, $3, 20, 'open', now() + interval '10 minutes')",
            id, org, amount);
        tx.commit();
        return absl::OkStatus();
      },
      1);
}

TEST_F(PgBillingStoreTest, TheRaceTestCatchesAReadModifyWriteHold) {
  Topup(kOrg, kFiveUsd);
  RaceOutcome r =
      RunHoldRace([&](const std::string& id) { return BrokenHold(*pool_, kOrg, id, kCent); });
  absl::Status invariants = test::CheckInvariants(*pool_);
  std::cout << "broken variant: granted " << r.granted << ", refused " << r.refused << ", held "
            << Balance(kOrg).held << ", invariants: " << invariants << "\n";
  EXPECT_EQ(r.other, 0);
  // Lost updates: more holds granted than the balance covers, and held no longer matches them.
  EXPECT_GT(r.granted, 500);
  EXPECT_FALSE(invariants.ok());
  EXPECT_NE(Balance(kOrg).held, r.granted * kCent);
  // Leave a consistent database for TearDown's invariant check.
  Exec("DELETE FROM billing.holds");
  Exec("UPDATE billing.balances SET held = 0");
}

}  // namespace
}  // namespace llmgw::billing

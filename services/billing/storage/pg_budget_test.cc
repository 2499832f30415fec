// Budgets on real PostgreSQL: guarded reservations under concurrency (and a check-then-record
// variant that overshoots, so the race test can fail), settle/void/sweep moves, budget-only
// (pass-through) holds, and group commit settling budgeted holds.

#include <atomic>
#include <iostream>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "libs/pg/migrate.h"
#include "libs/testing/pg_test_db.h"
#include "libs/testing/status_matchers.h"
#include "services/billing/storage/billing_invariants.h"
#include "services/billing/storage/group_committer.h"
#include "services/billing/storage/pg_billing_store.h"

namespace llmgw::billing {
namespace {

using ::llmgw::test::IsOk;
using ::llmgw::test::StatusIs;

constexpr char kOrg[] = "0b6f2a0e-3c1d-4e5f-8a9b-0c1d2e3f4a5b";
constexpr char kCred[] = "cred:5d1b7c3e-9a2f-4e6d-8b1c-3f5a7e9d2c4b";
constexpr int64_t kNow = 1'750'000'000'000;  // 2025-06-15T15:06:40Z
constexpr int64_t kExpiry = kNow + 900'000;
constexpr Nano kCent = 10'000'000;
constexpr Nano kUsd = money::kNanoPerUsd;
constexpr int kThreads = 16;

class PgBudgetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = llmgw::test::PgTestDb::Create();
    auto pool = pg::PgPool::Create({.url = db_->url(), .size = kThreads + 2});
    ASSERT_THAT(pool, IsOk());
    pool_ = std::move(*pool);
    ASSERT_THAT(pg::ApplyMigrations(*pool_, "billing", billingMigrations()), IsOk());
    store_ = std::make_unique<PgBillingStore>(*pool_);
  }
  void TearDown() override {
    if (pool_) EXPECT_THAT(test::CheckInvariants(*pool_), IsOk());
  }

  void Topup(Nano amount) { ASSERT_THAT(store_->Charge(kOrg, "topup", amount, "test"), IsOk()); }
  static HoldBudgets Budgets(std::vector<BudgetRequest> requests, bool budget_only = false) {
    HoldBudgets b{.budget_only = budget_only};
    b.charges = *BudgetCharges(requests, kNow);
    return b;
  }
  BudgetSpendRow Counter(const std::string& scope, const std::string& period) {
    auto rows = store_->ListBudgets(kOrg, kNow);
    EXPECT_THAT(rows, IsOk());
    if (!rows.ok()) return {};
    for (const BudgetSpendRow& r : *rows) {
      if (r.ref.scope == scope && r.ref.period == period) return r;
    }
    return {};
  }

  // `n` holds of `amount` from kThreads threads; counts granted and budget refusals.
  template <typename HoldFn>
  std::pair<int, int> Race(int n, HoldFn hold) {
    std::atomic<int> next{0}, granted{0}, refused{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        for (int i = next++; i < n; i = next++) {
          absl::Status s = hold("req-" + std::to_string(i));
          if (s.ok()) {
            ++granted;
          } else if (s.code() == absl::StatusCode::kResourceExhausted) {
            ++refused;
          } else {
            ADD_FAILURE() << s;
          }
        }
      });
    }
    for (auto& t : threads) t.join();
    return {granted.load(), refused.load()};
  }

  std::unique_ptr<llmgw::test::PgTestDb> db_;
  std::unique_ptr<pg::PgPool> pool_;
  std::unique_ptr<PgBillingStore> store_;
};

TEST_F(PgBudgetTest, FiveHundredConcurrentHoldsFitADailyBudgetExactly) {
  Topup(100 * kUsd);
  HoldBudgets budgets = Budgets({{"org", "day", 50 * kCent}});
  auto [granted, refused] = Race(500, [&](const std::string& id) {
    return store_->Hold(kOrg, id, kCent, 0, kExpiry, budgets).status();
  });
  EXPECT_EQ(granted, 50);
  EXPECT_EQ(refused, 450);
  EXPECT_EQ(Counter("org", "day").reserved, 50 * kCent);
  // Refusals reserved nothing from the balance either.
  EXPECT_EQ(store_->GetBalance(kOrg)->held, 50 * kCent);
}

TEST_F(PgBudgetTest, PassThroughHoldsFitTheBudgetWithoutTouchingTheBalance) {
  HoldBudgets budgets = Budgets({{kCred, "day", 50 * kCent}}, /*budget_only=*/true);
  auto [granted, refused] = Race(500, [&](const std::string& id) {
    return store_->Hold(kOrg, id, kCent, 0, kExpiry, budgets).status();
  });
  EXPECT_EQ(granted, 50);
  EXPECT_EQ(refused, 450);
  EXPECT_EQ(*store_->GetBalance(kOrg), (BalanceRow{0, 0}));
  // Settled at the actual cost: spent grows, nothing is debited, no ledger entry.
  std::string id = *pool_->Run([](pqxx::connection& c) -> absl::StatusOr<std::string> {
    pqxx::work tx(c);
    return tx.exec("SELECT min(request_id) FROM billing.holds")[0][0].as<std::string>();
  });
  auto s = store_->Settle(id, 7'000'000, "gpt-4o");
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->settlement.total, 7'000'000);
  EXPECT_EQ(s->settlement.charged, 0);
  EXPECT_EQ(Counter(kCred, "day").spent, 7'000'000);
  EXPECT_EQ(Counter(kCred, "day").reserved, 49 * kCent);
  EXPECT_TRUE(store_->ListTransactions(kOrg, 10)->empty());
}

// The check-then-record a naive budget would do: read the spend, decide, then record. It exists to
// prove the race test above can fail: the same scenario overshoots the budget.
absl::Status CheckThenRecordHold(pg::PgPool& pool, const std::string& id, Nano amount,
                                 Nano limit) {
  return pool.Run(
      [&](pqxx::connection& c) -> absl::Status {
        pqxx::work tx(c);
        tx.exec_params(
            "INSERT INTO billing.budget_spend (org_id, scope, period, period_start) "
            "VALUES ($1, 'org', 'day', '2025-06-15') ON CONFLICT DO NOTHING",
            kOrg);
        tx.commit();
        pqxx::work tx2(c);
        auto row = tx2.exec_params(
            "SELECT spent + reserved FROM billing.budget_spend WHERE org_id = $1", kOrg);
        if (row[0][0].as<int64_t>() + amount > limit) {
          return absl::ResourceExhaustedError("budget");
        }
        tx2.exec("SELECT pg_sleep(0.001)");  // widen the window between check and record
        tx2.exec_params(
            "UPDATE billing.budget_spend SET reserved = $2 WHERE org_id = $1",
            kOrg, row[0][0].as<int64_t>() + amount);
        tx2.commit();
        return absl::OkStatus();
      },
      1);
}

TEST_F(PgBudgetTest, TheRaceTestCatchesACheckThenRecordBudget) {
  auto [granted, refused] = Race(500, [&](const std::string& id) {
    return CheckThenRecordHold(*pool_, id, kCent, 50 * kCent);
  });
  std::cout << "check-then-record variant: admitted " << granted << " of 500 against a budget "
            << "for 50\n";
  EXPECT_GT(granted, 50);
  EXPECT_EQ(granted + refused, 500);
  ASSERT_THAT(pool_->Run([](pqxx::connection& c) -> absl::Status {
    pqxx::work tx(c);
    tx.exec("DELETE FROM billing.budget_spend");
    tx.commit();
    return absl::OkStatus();
  }),
              IsOk());
}

TEST_F(PgBudgetTest, ASpentBudgetRefusesAndNamesItself) {
  Topup(kUsd);
  HoldBudgets budgets = Budgets({{"org", "month", 3 * kCent}, {kCred, "day", 2 * kCent}});
  ASSERT_THAT(store_->Hold(kOrg, "a", 2 * kCent, 0, kExpiry, budgets), IsOk());
  auto refused = store_->Hold(kOrg, "b", kCent, 0, kExpiry, budgets);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(refused.status().message(), "budget_exceeded: the day budget of " +
                                            std::string(kCred) + " is spent");
  // The refused hold reserved nothing anywhere (the month budget's reservation rolled back).
  EXPECT_EQ(Counter("org", "month").reserved, 2 * kCent);
  EXPECT_EQ(store_->GetBalance(kOrg)->held, 2 * kCent);
  // A replay of the granted hold is still granted.
  EXPECT_THAT(store_->Hold(kOrg, "a", 2 * kCent, 0, kExpiry, budgets), IsOk());
}

TEST_F(PgBudgetTest, SettleVoidAndSweepMoveTheCounters) {
  Topup(kUsd);
  HoldBudgets budgets = Budgets({{"org", "day", kUsd}});
  ASSERT_THAT(store_->Hold(kOrg, "settled", 12 * kCent, 20, kExpiry, budgets), IsOk());
  ASSERT_THAT(store_->Hold(kOrg, "voided", 5 * kCent, 20, kExpiry, budgets), IsOk());
  ASSERT_THAT(store_->Hold(kOrg, "swept", 3 * kCent, 20, kNow - 120'000, budgets), IsOk());
  EXPECT_EQ(Counter("org", "day").reserved, 20 * kCent);
  // Provider cost 5 cents + 20 % margin = 6 cents counted as spent.
  ASSERT_THAT(store_->Settle("settled", 5 * kCent, ""), IsOk());
  ASSERT_THAT(store_->Void("voided"), IsOk());
  ASSERT_THAT(store_->Void("voided"), IsOk());  // idempotent: released once
  EXPECT_EQ(*store_->SweepExpired(kNow, 100), 1);
  EXPECT_EQ(Counter("org", "day").reserved, 0);
  EXPECT_EQ(Counter("org", "day").spent, 6 * kCent);
  // A settle after the sweep still counts its spend, and releases nothing twice.
  ASSERT_THAT(store_->Settle("swept", kCent, ""), IsOk());
  EXPECT_EQ(Counter("org", "day").spent, 6 * kCent + 12'000'000);
  EXPECT_EQ(Counter("org", "day").reserved, 0);
}

TEST_F(PgBudgetTest, GroupCommitSettlesBudgetedHoldsLikeTheDirectPath) {
  Topup(kUsd);
  HoldBudgets budgets = Budgets({{"org", "day", kUsd}, {kCred, "month", kUsd}});
  HoldBudgets passthrough = Budgets({{kCred, "month", kUsd}}, /*budget_only=*/true);
  for (int i = 0; i < 6; ++i) {
    ASSERT_THAT(store_->Hold(kOrg, "r" + std::to_string(i), 2 * kCent, 0, kExpiry, budgets),
                IsOk());
  }
  ASSERT_THAT(store_->Hold(kOrg, "p", 4 * kCent, 0, kExpiry, passthrough), IsOk());
  // One batch: settles and voids of several holds on the same counters, and a plain hold.
  std::vector<BatchOp> ops;
  for (int i = 0; i < 4; ++i) {
    ops.push_back({.kind = BatchOpKind::kSettle, .request_id = "r" + std::to_string(i),
                   .provider_cost = kCent});
  }
  ops.push_back({.kind = BatchOpKind::kVoid, .request_id = "r4"});
  ops.push_back({.kind = BatchOpKind::kSettle, .request_id = "p", .provider_cost = 3 * kCent});
  ops.push_back({.kind = BatchOpKind::kHold, .request_id = "plain", .org_id = kOrg,
                 .amount = kCent, .expires_at_unix_ms = kExpiry});
  auto outcomes = store_->ApplyBatch(ops);
  ASSERT_THAT(outcomes, IsOk());
  for (const OpOutcome& o : *outcomes) EXPECT_THAT(o.status, IsOk());
  EXPECT_EQ((*outcomes)[5].settlement.charged, 0);  // the pass-through settle debits nothing
  EXPECT_EQ(Counter("org", "day").spent, 4 * kCent);
  EXPECT_EQ(Counter("org", "day").reserved, 2 * kCent);  // r5 still open
  EXPECT_EQ(Counter(kCred, "month").spent, 7 * kCent);
  EXPECT_EQ(Counter(kCred, "month").reserved, 2 * kCent);
  EXPECT_EQ(store_->GetBalance(kOrg)->balance, kUsd - 4 * kCent);
  EXPECT_EQ(store_->GetBalance(kOrg)->held, 3 * kCent);  // r5 and plain
}

TEST_F(PgBudgetTest, ListBudgetsShowsOnlyTheCurrentPeriods) {
  Topup(kUsd);
  ASSERT_THAT(store_->Hold(kOrg, "a", kCent, 0, kExpiry, Budgets({{"org", "day", kUsd}})), IsOk());
  auto now = store_->ListBudgets(kOrg, kNow);
  ASSERT_THAT(now, IsOk());
  ASSERT_EQ(now->size(), 1u);
  EXPECT_EQ((*now)[0].ref, (BudgetRef{"org", "day", "2025-06-15"}));
  EXPECT_TRUE(store_->ListBudgets(kOrg, kNow + 86'400'000)->empty());  // the next day
}

}  // namespace
}  // namespace llmgw::billing

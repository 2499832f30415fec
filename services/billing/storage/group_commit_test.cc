// Group commit on real PostgreSQL: a batch leaves exactly what the same calls one by one leave,
// and concurrent callers (one hot organization, many organizations, two replicas) keep every
// money invariant.

#include <atomic>
#include <future>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
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

constexpr int64_t kNow = 1'750'000'000'000;
constexpr int64_t kLater = kNow + 3'600'000;
const std::vector<std::string> kOrgs = {
    "0b6f2a0e-3c1d-4e5f-8a9b-0c1d2e3f4a5b", "9a1e4c3b-2d5f-4a6b-8c7d-1e2f3a4b5c6d",
    "5c2d8e1f-7a3b-4c9d-9e0f-a1b2c3d4e5f6",
    "77777777-7777-4777-8777-777777777777"};  // the last one is never topped up

// One database with the billing schema and a store on it.
struct Billing {
  Billing() {
    db = llmgw::test::PgTestDb::Create();
    pool = *pg::PgPool::Create({.url = db->url(), .size = 40});
    EXPECT_THAT(pg::ApplyMigrations(*pool, "billing", billingMigrations()), IsOk());
    store = std::make_unique<PgBillingStore>(*pool);
  }
  void Topup(const std::string& org, Nano amount) {
    ASSERT_THAT(store->Charge(org, absl::StrCat("topup-", org, "-", amount), amount, "test"),
                IsOk());
  }
  // Every row of the money tables, ids and timestamps left out, in a stable order.
  std::vector<std::string> Dump() {
    return *pool->Run([](pqxx::connection& c) -> absl::StatusOr<std::vector<std::string>> {
      pqxx::read_transaction tx(c);
      std::vector<std::string> out;
      auto add = [&](const char* sql) {
        for (const auto& r : tx.exec(sql)) {
          std::vector<std::string> fields;
          for (const auto& f : r) fields.push_back(f.is_null() ? "null" : f.c_str());
          out.push_back(absl::StrJoin(fields, "|"));
        }
      };
      add("SELECT 'balance', org_id, balance, held FROM billing.balances ORDER BY org_id");
      add("SELECT 'hold', request_id, org_id, amount, margin_percent, status, "
          "(extract(epoch FROM expires_at) * 1000)::bigint, closed_at IS NULL, provider_cost, "
          "margin, total, charged, uncollected, balance_after FROM billing.holds "
          "ORDER BY request_id");
      add("SELECT 'ledger', org_id, type, amount, balance_after, description, request_id, "
          "uncollected FROM billing.ledger ORDER BY id");
      return out;
    });
  }
  std::unique_ptr<llmgw::test::PgTestDb> db;
  std::unique_ptr<pg::PgPool> pool;
  std::unique_ptr<PgBillingStore> store;
};

std::string Describe(const OpOutcome& o) {
  return absl::StrCat(absl::StatusCodeToString(o.status.code()), " '", o.status.message(),
                      "' replayed=", o.replayed, " hold=", o.hold_amount, "@", o.expires_at_unix_ms,
                      " settle=", o.settlement.provider_cost, "/", o.settlement.margin, "/",
                      o.settlement.total, "/", o.settlement.charged, "/", o.settlement.uncollected,
                      "/", o.settlement.balance_after);
}

// A random mix over few request ids and small balances, so that replays, refusals, settles of
// voided holds, voids of settled ones and uncollected costs all happen. An op with
// request_id "SWEEP" stands for a sweeper pass between calls.
std::vector<BatchOp> RandomOps(uint32_t seed, int n) {
  std::mt19937 rng(seed);
  auto pick = [&](int k) { return static_cast<int>(rng() % k); };
  std::vector<BatchOp> ops;
  for (int i = 0; i < n; ++i) {
    std::string rid = absl::StrCat("r", pick(40));
    int kind = pick(100);
    if (kind < 3) {
      ops.push_back({.kind = BatchOpKind::kVoid, .request_id = "SWEEP"});
    } else if (kind < 50) {
      ops.push_back({.kind = BatchOpKind::kHold,
                     .request_id = rid,
                     .org_id = kOrgs[pick(static_cast<int>(kOrgs.size()))],
                     .amount = 1 + pick(400),
                     .margin_percent = std::vector<int64_t>{0, 20, 100}[pick(3)],
                     .expires_at_unix_ms = pick(4) == 0 ? kNow - 120'000 : kLater});
    } else if (kind < 85) {
      ops.push_back({.kind = BatchOpKind::kSettle,
                     .request_id = rid,
                     .provider_cost = pick(500),
                     .description = absl::StrCat("d", i)});
    } else {
      ops.push_back({.kind = BatchOpKind::kVoid, .request_id = rid});
    }
  }
  return ops;
}

bool IsSweep(const BatchOp& op) { return op.request_id == "SWEEP"; }

TEST(GroupCommit, ABatchLeavesExactlyWhatTheSameCallsOneByOneLeave) {
  for (uint32_t seed = 1; seed <= 4; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    Billing alone, batched;
    for (Billing* b : {&alone, &batched}) {
      b->Topup(kOrgs[0], 1000);
      b->Topup(kOrgs[1], 3000);
      b->Topup(kOrgs[2], 200);
    }
    std::vector<BatchOp> ops = RandomOps(seed, 400);
    std::map<absl::StatusCode, int> codes;
    int replays = 0, uncollected = 0, batches = 0;
    std::mt19937 rng(seed);
    size_t i = 0;
    while (i < ops.size()) {
      if (IsSweep(ops[i])) {
        ASSERT_THAT(alone.store->SweepExpired(kNow, 100), IsOk());
        ASSERT_THAT(batched.store->SweepExpired(kNow, 100), IsOk());
        ++i;
        continue;
      }
      // A batch of 1..60 calls, up to the next sweep.
      size_t end = std::min(ops.size(), i + 1 + rng() % 60);
      for (size_t j = i; j < end; ++j) {
        if (IsSweep(ops[j])) end = j;
      }
      std::vector<BatchOp> batch(ops.begin() + i, ops.begin() + end);
      absl::StatusOr<std::vector<OpOutcome>> got = batched.store->ApplyBatch(batch);
      ASSERT_THAT(got, IsOk());
      ++batches;
      for (size_t j = 0; j < batch.size(); ++j) {
        OpOutcome want = RunAlone(*alone.store, batch[j]);
        EXPECT_EQ(Describe((*got)[j]), Describe(want)) << "op " << i + j;
        ++codes[want.status.code()];
        if (want.replayed) ++replays;
        if (want.settlement.uncollected > 0) ++uncollected;
      }
      i = end;
    }
    EXPECT_EQ(batched.Dump(), alone.Dump());
    EXPECT_THAT(test::CheckInvariants(*alone.pool), IsOk());
    EXPECT_THAT(test::CheckInvariants(*batched.pool), IsOk());
    // The mix really covered the rules (else this test could not fail where it matters).
    EXPECT_GT(codes[absl::StatusCode::kOk], 50);
    EXPECT_GT(codes[absl::StatusCode::kResourceExhausted], 0);
    EXPECT_GT(codes[absl::StatusCode::kFailedPrecondition], 0);
    EXPECT_GT(codes[absl::StatusCode::kNotFound], 0);
    EXPECT_GT(replays, 0);
    EXPECT_GT(uncollected, 0);
    EXPECT_GT(batches, 5);
  }
}

TEST(GroupCommit, AFailingCallFallsBackToOneByOneWithoutFailingTheOthers) {
  Billing b;
  b.Topup(kOrgs[0], 1000);
  // Not a UUID (the API layer would refuse it): the batch's SQL fails on the cast.
  std::vector<BatchOp> ops = {
      {.kind = BatchOpKind::kHold,
       .request_id = "a",
       .org_id = kOrgs[0],
       .amount = 100,
       .expires_at_unix_ms = kLater},
      {.kind = BatchOpKind::kHold,
       .request_id = "bad",
       .org_id = "not-a-uuid",
       .amount = 1,
       .expires_at_unix_ms = kLater},
      {.kind = BatchOpKind::kSettle, .request_id = "a", .provider_cost = 40}};
  EXPECT_FALSE(b.store->ApplyBatch(ops).ok());
  EXPECT_EQ(b.store->GetBalance(kOrgs[0])->held, 0);  // nothing of the failed batch was written

  std::atomic<int> fell_back{0};
  GroupCommitter committer(*b.store, {.on_batch = [&](size_t, bool fb) { fell_back += fb; }});
  std::vector<OpOutcome> got(ops.size());
  std::atomic<int> done{0};
  for (size_t i = 0; i < ops.size(); ++i) {  // queued before Start: one batch of three
    committer.Submit(ops[i], [&, i](const OpOutcome& o) {
      got[i] = o;
      ++done;
    });
  }
  committer.Start();
  committer.Stop();  // answers everything queued
  ASSERT_EQ(done.load(), 3);
  EXPECT_TRUE(got[0].status.ok());
  EXPECT_FALSE(got[1].status.ok());
  ASSERT_TRUE(got[2].status.ok()) << got[2].status;
  EXPECT_EQ(got[2].settlement.charged, 40);
  EXPECT_EQ(fell_back.load(), 1);
  EXPECT_EQ(*b.store->GetBalance(kOrgs[0]), (BalanceRow{960, 0}));
  EXPECT_THAT(test::CheckInvariants(*b.pool), IsOk());
}

// `threads` callers each run `pairs` Hold → Settle (every 7th a Void instead; every 5th hold sent
// twice at once and every 5th settle repeated, through the other replica when there are two)
// over `orgs` organizations through group commit; checks the totals from the outside.
void RunConcurrentPairs(Billing& b, std::vector<GroupCommitter*> replicas, int orgs, int threads,
                        int pairs, Nano topup) {
  std::vector<std::string> org_ids;
  for (int o = 0; o < orgs; ++o) {
    org_ids.push_back(absl::StrFormat("%08x-0000-4000-8000-%012x", o + 1, o + 1));
    b.Topup(org_ids.back(), topup);
  }
  std::vector<std::atomic<int64_t>> charged(orgs);
  std::atomic<int> errors{0}, refused{0}, settled{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int n = 0; n < pairs; ++n) {
        GroupCommitter& c = *replicas[(t + n) % replicas.size()];
        GroupCommitter& other = *replicas[(t + n + 1) % replicas.size()];
        int o = (t * pairs + n) % orgs;
        std::string rid = absl::StrCat("t", t, "-", n);
        BatchOp hold{.kind = BatchOpKind::kHold,
                     .request_id = rid,
                     .org_id = org_ids[o],
                     .amount = 1200,
                     .margin_percent = 20,
                     .expires_at_unix_ms = kLater};
        OpOutcome h;
        if (n % 5 == 0) {
          // The same hold sent twice at once (a client retry), possibly to another replica:
          // at most one of them reserves.
          std::promise<OpOutcome> theirs_promise;
          std::future<OpOutcome> theirs_future = theirs_promise.get_future();
          other.Submit(hold, [&](const OpOutcome& o) { theirs_promise.set_value(o); });
          OpOutcome mine = c.Run(hold);
          OpOutcome theirs = theirs_future.get();
          if (mine.status.ok() && !mine.replayed && theirs.status.ok() && !theirs.replayed) {
            ++errors;
          }
          h = mine.status.ok() ? mine : theirs;
        } else {
          h = c.Run(hold);
        }
        if (h.status.code() == absl::StatusCode::kResourceExhausted) {
          ++refused;
          continue;
        }
        if (!h.status.ok()) {
          ++errors;
          continue;
        }
        if (n % 7 == 0) {
          if (!c.Run({.kind = BatchOpKind::kVoid, .request_id = rid}).status.ok()) ++errors;
          continue;
        }
        BatchOp settle{.kind = BatchOpKind::kSettle, .request_id = rid, .provider_cost = 900};
        OpOutcome s = c.Run(settle);
        if (!s.status.ok()) {
          ++errors;
          continue;
        }
        charged[o] += s.settlement.charged;
        ++settled;
        if (n % 5 == 0) {
          OpOutcome again = other.Run(settle);
          if (!again.replayed || !(again.settlement == s.settlement)) ++errors;
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_GT(settled.load(), 0);
  for (int o = 0; o < orgs; ++o) {
    EXPECT_EQ(*b.store->GetBalance(org_ids[o]), (BalanceRow{topup - charged[o].load(), 0}))
        << org_ids[o];
  }
  EXPECT_THAT(test::CheckInvariants(*b.pool), IsOk());
  std::cout << "settled " << settled << ", refused " << refused << "\n";
}

struct BatchStats {
  std::atomic<int> batches{0}, calls{0}, fell_back{0}, largest{0};
  GroupCommitter::Options Options() {
    return {.on_batch = [this](size_t ops, bool fb) {
      ++batches;
      calls += static_cast<int>(ops);
      fell_back += fb;
      int n = static_cast<int>(ops);
      for (int l = largest; n > l && !largest.compare_exchange_weak(l, n);) {
      }
    }};
  }
};

TEST(GroupCommit, ManyCallersOnOneHotOrganizationShareCommits) {
  Billing b;
  BatchStats stats;
  GroupCommitter committer(*b.store, stats.Options());
  committer.Start();
  // Enough for about 60% of the holds: some are refused while others settle.
  RunConcurrentPairs(b, {&committer}, 1, 32, 40, 1200 * 32 * 40 * 6 / 10);
  committer.Stop();
  std::cout << "batches " << stats.batches << ", calls " << stats.calls << ", largest "
            << stats.largest << ", fell back " << stats.fell_back << "\n";
  EXPECT_GT(stats.largest.load(), 1);  // 32 concurrent callers: commits were shared
}

TEST(GroupCommit, ManyCallersOverManyOrganizations) {
  Billing b;
  BatchStats stats;
  GroupCommitter committer(*b.store, stats.Options());
  committer.Start();
  RunConcurrentPairs(b, {&committer}, 100, 32, 40, 1'000'000);
  committer.Stop();
  EXPECT_GT(stats.largest.load(), 1);
}

TEST(GroupCommit, TwoReplicasOnOneDatabaseStayExact) {
  Billing b;
  PgBillingStore second_store(*b.pool);  // another replica: its own committers and connections
  BatchStats stats1, stats2;
  GroupCommitter replica1(*b.store, stats1.Options());
  GroupCommitter replica2(second_store, stats2.Options());
  replica1.Start();
  replica2.Start();
  RunConcurrentPairs(b, {&replica1, &replica2}, 3, 24, 40, 1200 * 24 * 40 / 3 * 6 / 10);
  replica1.Stop();
  replica2.Stop();
  std::cout << "fell back " << stats1.fell_back + stats2.fell_back << " of "
            << stats1.batches + stats2.batches << " batches\n";
}

}  // namespace
}  // namespace llmgw::billing

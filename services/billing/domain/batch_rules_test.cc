#include "services/billing/domain/batch_rules.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace llmgw::billing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kOrg[] = "0b6f2a0e-3c1d-4e5f-8a9b-0c1d2e3f4a5b";
constexpr char kOrg2[] = "9a1e4c3b-2d5f-4a6b-8c7d-1e2f3a4b5c6d";
constexpr int64_t kExpires = 1'750'000'900'000;

BatchOp HoldOp(const std::string& rid, Nano amount, const std::string& org = kOrg) {
  return {.kind = BatchOpKind::kHold,
          .request_id = rid,
          .org_id = org,
          .amount = amount,
          .margin_percent = 20,
          .expires_at_unix_ms = kExpires};
}
BatchOp SettleOp(const std::string& rid, Nano cost, const std::string& description = "") {
  return {.kind = BatchOpKind::kSettle,
          .request_id = rid,
          .provider_cost = cost,
          .description = description};
}
BatchOp VoidOp(const std::string& rid) { return {.kind = BatchOpKind::kVoid, .request_id = rid}; }

BatchRows Funds(Nano balance, Nano held = 0) {
  BatchRows rows;
  rows.balances[kOrg] = {balance, held};
  return rows;
}

absl::StatusCode Code(const OpOutcome& o) { return o.status.code(); }

TEST(PlanBatch, HoldsReserveInOrderUntilTheFreeBalanceRunsOut) {
  BatchPlan plan = PlanBatch(
      {HoldOp("a", 400), HoldOp("b", 500), HoldOp("c", 200), HoldOp("d", 100)}, Funds(1000));
  EXPECT_TRUE(plan.outcomes[0].status.ok());
  EXPECT_TRUE(plan.outcomes[1].status.ok());
  // 100 free: c is refused, the smaller d after it still fits.
  EXPECT_EQ(Code(plan.outcomes[2]), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(plan.outcomes[3].status.ok());
  EXPECT_EQ(plan.rows.balances[kOrg], (OrgFunds{1000, 1000}));
  EXPECT_THAT(plan.created_holds, ElementsAre("a", "b", "d"));
  EXPECT_THAT(plan.changed_orgs, ElementsAre(kOrg));
  EXPECT_THAT(plan.usage, IsEmpty());
  EXPECT_EQ(plan.outcomes[0].hold_amount, 400);
  EXPECT_EQ(plan.outcomes[0].expires_at_unix_ms, kExpires);
  EXPECT_FALSE(plan.outcomes[0].replayed);
}

TEST(PlanBatch, AnOrganizationNeverToppedUpIsRefused) {
  BatchPlan plan = PlanBatch({HoldOp("a", 1, kOrg2)}, Funds(1000));
  EXPECT_EQ(Code(plan.outcomes[0]), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(plan.created_holds, IsEmpty());
  EXPECT_THAT(plan.changed_orgs, IsEmpty());
}

TEST(PlanBatch, ARepeatedHoldInOneBatchReservesOnceAndReplays) {
  BatchPlan plan = PlanBatch({HoldOp("a", 400), HoldOp("a", 999)}, Funds(1000));
  EXPECT_TRUE(plan.outcomes[1].status.ok());
  EXPECT_TRUE(plan.outcomes[1].replayed);
  EXPECT_EQ(plan.outcomes[1].hold_amount, 400);  // the first hold's amount
  EXPECT_EQ(plan.rows.balances[kOrg].held, 400);
}

TEST(PlanBatch, AHoldReplayAcrossOrganizationsOrClosedHoldsIsRefused) {
  BatchRows rows = Funds(1000, 300);
  rows.holds["open"] = {kOrg, 300, 20, kExpires, HoldStatus::kOpen};
  rows.holds["done"] = {kOrg, 100, 20, kExpires, HoldStatus::kSettled};
  BatchPlan plan =
      PlanBatch({HoldOp("open", 300, kOrg2), HoldOp("done", 100), HoldOp("open", 1)}, rows);
  EXPECT_EQ(Code(plan.outcomes[0]), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(plan.outcomes[1].status.message(), "the hold for this request_id is already settled");
  EXPECT_TRUE(plan.outcomes[2].replayed);
  EXPECT_EQ(plan.outcomes[2].hold_amount, 300);
  EXPECT_THAT(plan.created_holds, IsEmpty());
  EXPECT_THAT(plan.changed_orgs, IsEmpty());
}

TEST(PlanBatch, HoldThenSettleInOneBatchDebitsOnceWithOneUsageEntry) {
  BatchPlan plan =
      PlanBatch({HoldOp("a", 1200), SettleOp("a", 500, "gpt"), SettleOp("a", 999)}, Funds(5000));
  ASSERT_TRUE(plan.outcomes[1].status.ok());
  EXPECT_EQ(plan.outcomes[1].settlement, (Settlement{500, 100, 600, 600, 0, 4400}));
  EXPECT_TRUE(plan.outcomes[2].replayed);  // the repeat returns the first result
  EXPECT_EQ(plan.outcomes[2].settlement, plan.outcomes[1].settlement);
  EXPECT_EQ(plan.rows.balances[kOrg], (OrgFunds{4400, 0}));
  EXPECT_THAT(plan.usage, ElementsAre(UsageEntry{kOrg, "a", -600, 4400, 0, "gpt"}));
  EXPECT_THAT(plan.created_holds, ElementsAre("a"));  // inserted already settled
  EXPECT_THAT(plan.closed_holds, IsEmpty());
  EXPECT_EQ(plan.rows.holds["a"].status, HoldStatus::kSettled);
}

TEST(PlanBatch, SettlesSeeTheFundsLeftByEarlierOpsOfTheBatch) {
  // Two open holds of 500 on a balance of 1000, each settling a total of 600: the first settle may
  // spend its hold plus the free balance; the second is capped at what is left and records the rest
  // as uncollected.
  BatchRows rows = Funds(1000, 1000);
  rows.holds["a"] = {kOrg, 500, 20, kExpires, HoldStatus::kOpen};
  rows.holds["b"] = {kOrg, 500, 20, kExpires, HoldStatus::kOpen};
  BatchPlan plan = PlanBatch({SettleOp("a", 500), SettleOp("b", 500)}, rows);
  EXPECT_EQ(plan.outcomes[0].settlement, (Settlement{500, 100, 600, 500, 100, 500}));
  EXPECT_EQ(plan.outcomes[1].settlement, (Settlement{500, 100, 600, 500, 100, 0}));
  EXPECT_EQ(plan.rows.balances[kOrg], (OrgFunds{0, 0}));
  EXPECT_THAT(plan.closed_holds, ElementsAre("a", "b"));
  ASSERT_EQ(plan.usage.size(), 2u);
  EXPECT_EQ(plan.usage[0].balance_after, 500);  // ledger order is batch order
  EXPECT_EQ(plan.usage[1].balance_after, 0);
}

TEST(PlanBatch, ASettleNeverSpendsWhatAHoldLaterInTheBatchReserved) {
  BatchRows rows = Funds(1000, 200);
  rows.holds["a"] = {kOrg, 200, 0, kExpires, HoldStatus::kOpen};
  BatchPlan plan = PlanBatch({HoldOp("b", 700), SettleOp("a", 900)}, rows);
  ASSERT_TRUE(plan.outcomes[0].status.ok());
  // Free for a: 1000 - 700 (b) = 300.
  EXPECT_EQ(plan.outcomes[1].settlement, (Settlement{900, 0, 900, 300, 600, 700}));
  EXPECT_EQ(plan.rows.balances[kOrg], (OrgFunds{700, 700}));
}

TEST(PlanBatch, SettleAndVoidOfOneHoldInOneBatchFirstOneWins) {
  BatchRows rows = Funds(1000, 400);
  rows.holds["a"] = {kOrg, 400, 20, kExpires, HoldStatus::kOpen};
  rows.holds["b"] = {kOrg, 0, 20, kExpires, HoldStatus::kOpen};
  BatchPlan plan = PlanBatch(
      {SettleOp("a", 100), VoidOp("a"), VoidOp("b"), SettleOp("b", 1), VoidOp("b")}, rows);
  EXPECT_TRUE(plan.outcomes[0].status.ok());
  EXPECT_EQ(plan.outcomes[1].status.message(), "the hold is already settled");
  EXPECT_TRUE(plan.outcomes[2].status.ok());
  // A settle after the void still charges, from the free balance (as PgBillingStore::Settle).
  ASSERT_TRUE(plan.outcomes[3].status.ok());
  EXPECT_EQ(plan.outcomes[3].settlement.charged, 1);
  EXPECT_EQ(plan.outcomes[4].status.message(), "the hold is already settled");
  EXPECT_EQ(plan.rows.balances[kOrg], (OrgFunds{879, 0}));
  EXPECT_EQ(plan.rows.holds["b"].status, HoldStatus::kSettled);
  EXPECT_THAT(plan.closed_holds, ElementsAre("a", "b"));
  EXPECT_EQ(plan.usage.size(), 2u);
}

TEST(PlanBatch, UnknownRequestIdsAreNotFoundAndChangeNothing) {
  BatchPlan plan = PlanBatch({SettleOp("x", 1), VoidOp("y")}, Funds(1000));
  EXPECT_EQ(Code(plan.outcomes[0]), absl::StatusCode::kNotFound);
  EXPECT_EQ(Code(plan.outcomes[1]), absl::StatusCode::kNotFound);
  EXPECT_THAT(plan.changed_orgs, IsEmpty());
  EXPECT_THAT(plan.closed_holds, IsEmpty());
}

TEST(PlanBatch, ReplaysOfSettledHoldsWriteNothing) {
  BatchRows rows = Funds(1000);
  Settlement stored{10, 2, 12, 12, 0, 1000};
  rows.holds["a"] = {kOrg, 100, 20, kExpires, HoldStatus::kSettled, stored};
  BatchPlan plan = PlanBatch({SettleOp("a", 99999), VoidOp("a")}, rows);
  EXPECT_TRUE(plan.outcomes[0].replayed);
  EXPECT_EQ(plan.outcomes[0].settlement, stored);
  EXPECT_EQ(Code(plan.outcomes[1]), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(plan.usage, IsEmpty());
  EXPECT_THAT(plan.closed_holds, IsEmpty());
  EXPECT_THAT(plan.changed_orgs, IsEmpty());
}

TEST(PlanBatch, OrganizationsAreKeptApartAndMatchedCaseInsensitively) {
  BatchRows rows = Funds(1000);
  rows.balances[kOrg2] = {50, 0};
  std::string upper = "0B6F2A0E-3C1D-4E5F-8A9B-0C1D2E3F4A5B";
  BatchPlan plan = PlanBatch(
      {HoldOp("a", 600, upper), HoldOp("b", 60, kOrg2), HoldOp("c", 50, kOrg2), SettleOp("a", 100)},
      rows);
  EXPECT_TRUE(plan.outcomes[0].status.ok());
  EXPECT_EQ(Code(plan.outcomes[1]), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(plan.outcomes[2].status.ok());
  EXPECT_EQ(plan.rows.holds["a"].org_id, kOrg);  // stored as the database prints it
  EXPECT_EQ(plan.rows.balances[kOrg], (OrgFunds{880, 0}));
  EXPECT_EQ(plan.rows.balances[kOrg2], (OrgFunds{50, 50}));
  EXPECT_THAT(plan.changed_orgs, ElementsAre(kOrg, kOrg2));
}

TEST(PickBatch, TakesOnlyOrganizationsNoBatchInFlightHolds) {
  const std::set<std::string, std::less<>> busy = {"org-a"};
  std::vector<std::string_view> queued = {"org-a", "org-b", "org-a", "org-c", "org-b"};
  EXPECT_THAT(PickBatch(queued, busy, 10), ElementsAre(1, 3, 4));
  EXPECT_THAT(PickBatch(queued, busy, 2), ElementsAre(1, 3));  // at most max, in queue order
  EXPECT_THAT(PickBatch(queued, {}, 10), ElementsAre(0, 1, 2, 3, 4));
}

TEST(PickBatch, AnUnknownOrganizationIsAlwaysTaken) {
  const std::set<std::string, std::less<>> busy = {"org-a"};
  EXPECT_THAT(PickBatch({"org-a", "", "org-a"}, busy, 10), ElementsAre(1));
}

TEST(PickBatch, WhenEverythingConflictsTheFirstCallsAreTakenAllTheSame) {
  // One hot organization: the second batch queues behind the first's row locks, as before.
  const std::set<std::string, std::less<>> busy = {"hot"};
  EXPECT_THAT(PickBatch({"hot", "hot", "hot"}, busy, 2), ElementsAre(0, 1));
  EXPECT_THAT(PickBatch({}, busy, 2), IsEmpty());
}

}  // namespace
}  // namespace llmgw::billing

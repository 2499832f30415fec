#include "services/billing/domain/budget_rules.h"

#include <gtest/gtest.h>

namespace llmgw::billing {
namespace {

// 2026-03-31T23:59:59.999Z and one millisecond later.
constexpr int64_t kLastMsOfMarch = 1775001599999;
constexpr int64_t kFirstMsOfApril = 1775001600000;
constexpr char kCred[] = "cred:0f8fad5b-d9cb-469f-a165-70867728950e";

TEST(PeriodStart, DayAndMonthInUtc) {
  EXPECT_EQ(PeriodStart("day", kLastMsOfMarch), "2026-03-31");
  EXPECT_EQ(PeriodStart("month", kLastMsOfMarch), "2026-03-01");
  EXPECT_EQ(PeriodStart("day", kFirstMsOfApril), "2026-04-01");
  EXPECT_EQ(PeriodStart("month", kFirstMsOfApril), "2026-04-01");
  // A leap day and the turn of a year.
  EXPECT_EQ(PeriodStart("day", 1709164800000), "2024-02-29");
  EXPECT_EQ(PeriodStart("month", 1709164800000), "2024-02-01");
  EXPECT_EQ(PeriodStart("month", 1767225599999), "2025-12-01");
  EXPECT_EQ(PeriodStart("month", 1767225600000), "2026-01-01");
}

TEST(BudgetAdmits, TheSumStaysWithinTheLimit) {
  EXPECT_TRUE(BudgetAdmits(0, 0, 100, 100));
  EXPECT_FALSE(BudgetAdmits(0, 0, 101, 100));
  EXPECT_TRUE(BudgetAdmits(40, 30, 30, 100));
  EXPECT_FALSE(BudgetAdmits(40, 30, 31, 100));
}

TEST(BudgetAdmits, ASpentBudgetRefusesEvenNothing) {
  EXPECT_FALSE(BudgetAdmits(100, 0, 0, 100));
  EXPECT_FALSE(BudgetAdmits(60, 40, 0, 100));
  EXPECT_TRUE(BudgetAdmits(99, 0, 0, 100));
  // Spent beyond the limit (a settle costing more than its hold) refuses too.
  EXPECT_FALSE(BudgetAdmits(150, 0, 1, 100));
}

TEST(BudgetCharges, SortedDedupedAtTheHoldsPeriods) {
  auto charges = BudgetCharges({{kCred, "month", 500}, {"org", "day", 70}, {kCred, "month", 300}},
                               kLastMsOfMarch);
  ASSERT_TRUE(charges.ok()) << charges.status();
  ASSERT_EQ(charges->size(), 2u);
  EXPECT_EQ((*charges)[0].ref, (BudgetRef{kCred, "month", "2026-03-01"}));
  EXPECT_EQ((*charges)[0].limit, 300);  // the smaller limit of the same counter
  EXPECT_EQ((*charges)[1].ref, (BudgetRef{"org", "day", "2026-03-31"}));
  EXPECT_EQ((*charges)[1].limit, 70);
}

TEST(BudgetCharges, RefusesBadInput) {
  EXPECT_EQ(BudgetCharges({{"team", "day", 1}}, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BudgetCharges({{"cred:nope", "day", 1}}, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BudgetCharges({{"org", "week", 1}}, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BudgetCharges({{"org", "day", 0}}, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BudgetCharges({{"org", "day", kMaxBudgetNano + 1}}, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<BudgetRequest> many(kMaxBudgetsPerHold + 1, {"org", "day", 1});
  EXPECT_EQ(BudgetCharges(many, 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(BudgetCharges({{"org", "day", kMaxBudgetNano}}, 0).ok());
}

TEST(BudgetMoves, SettleTurnsTheReservationIntoSpend) {
  std::vector<BudgetRef> refs = {{"org", "day", "2026-03-31"}, {kCred, "month", "2026-03-01"}};
  auto moves = SettleBudgetMoves(refs, 1200, 1030);
  ASSERT_EQ(moves.size(), 2u);
  EXPECT_EQ(moves[0], (BudgetMove{refs[0], -1200, 1030}));
  EXPECT_EQ(moves[1], (BudgetMove{refs[1], -1200, 1030}));
  // A settle after a void releases nothing more.
  EXPECT_EQ(SettleBudgetMoves(refs, 0, 1030)[0], (BudgetMove{refs[0], 0, 1030}));
  EXPECT_EQ(VoidBudgetMoves(refs, 1200)[1], (BudgetMove{refs[1], -1200, 0}));
  EXPECT_TRUE(SettleBudgetMoves({}, 5, 5).empty());
}

TEST(BudgetOnlySettlement, RecordsTheCostAndDebitsNothing) {
  Settlement s = BudgetOnlySettlement(700, 5000);
  EXPECT_EQ(s.provider_cost, 700);
  EXPECT_EQ(s.margin, 0);
  EXPECT_EQ(s.total, 700);
  EXPECT_EQ(s.charged, 0);
  EXPECT_EQ(s.uncollected, 0);
  EXPECT_EQ(s.balance_after, 5000);
}

}  // namespace
}  // namespace llmgw::billing

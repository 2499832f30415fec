#include "services/billing/domain/billing_rules.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace llmgw::billing {
namespace {

TEST(HoldAmount, AddsTheMarginRoundedHalfUp) {
  EXPECT_EQ(*HoldAmount(1000, 20), 1200);
  EXPECT_EQ(*HoldAmount(10'000'000, 0), 10'000'000);
  EXPECT_EQ(*HoldAmount(3, 50), 5);  // 1.5 rounds up
  EXPECT_EQ(*HoldAmount(1, 1000), 11);
  EXPECT_EQ(*HoldAmount(kMaxAmountNano, 1000), 11 * kMaxAmountNano);
}

TEST(HoldAmount, RefusesEmptyNegativeOrHugeBounds) {
  EXPECT_EQ(HoldAmount(0, 20).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(HoldAmount(-5, 20).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(HoldAmount(kMaxAmountNano + 1, 20).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(HoldAmount(100, 1001).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(HoldAmount(100, -1).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ComputeSettlement, ChargesCostPlusMarginWhenTheBalanceCovers) {
  // No other open holds: held is this hold's own amount.
  EXPECT_EQ(ComputeSettlement(1000, 20, 5000, 1200, 1200),
            (Settlement{1000, 200, 1200, 1200, 0, 3800}));
  EXPECT_EQ(ComputeSettlement(0, 20, 5000, 1200, 1200), (Settlement{0, 0, 0, 0, 0, 5000}));
  EXPECT_EQ(ComputeSettlement(7, 20, 100, 10, 10), (Settlement{7, 1, 8, 8, 0, 92}));    // 1.4 → 1
  EXPECT_EQ(ComputeSettlement(8, 20, 100, 10, 10), (Settlement{8, 2, 10, 10, 0, 90}));  // 1.6 → 2
}

TEST(ComputeSettlement, RecordsWhatTheBalanceCannotCoverAsUncollected) {
  EXPECT_EQ(ComputeSettlement(1000, 20, 500, 480, 480), (Settlement{1000, 200, 1200, 500, 700, 0}));
  EXPECT_EQ(ComputeSettlement(1000, 20, 0, 0, 0), (Settlement{1000, 200, 1200, 0, 1200, 0}));
  EXPECT_EQ(ComputeSettlement(1000, 20, 1200, 1200, 1200),
            (Settlement{1000, 200, 1200, 1200, 0, 0}));
}

TEST(ComputeSettlement, NeverSpendsWhatOtherOpenHoldsReserve) {
  // Balance $1.00, holds A and B of $0.40 each (held $0.80); A actually costs $0.95. A may spend
  // its own $0.40 plus the free $0.20, never B's $0.40.
  constexpr Nano kUsd = money::kNanoPerUsd;
  EXPECT_EQ(ComputeSettlement(kUsd * 95 / 100, 0, kUsd, kUsd * 80 / 100, kUsd * 40 / 100),
            (Settlement{kUsd * 95 / 100, 0, kUsd * 95 / 100, kUsd * 60 / 100, kUsd * 35 / 100,
                        kUsd * 40 / 100}));
  // Then B ($0.30) is covered in full by its reservation.
  EXPECT_EQ(
      ComputeSettlement(kUsd * 30 / 100, 0, kUsd * 40 / 100, kUsd * 40 / 100, kUsd * 40 / 100),
      (Settlement{kUsd * 30 / 100, 0, kUsd * 30 / 100, kUsd * 30 / 100, 0, kUsd * 10 / 100}));
  // A cost within the hold is charged in full whatever the other holds reserve.
  EXPECT_EQ(ComputeSettlement(300, 0, 1000, 1000, 400), (Settlement{300, 0, 300, 300, 0, 700}));
  // Other holds reserving more than the balance (should not happen): nothing is charged.
  EXPECT_EQ(ComputeSettlement(100, 0, 1000, 1500, 400), (Settlement{100, 0, 100, 0, 100, 1000}));
}

TEST(SettlementWithinHold, IsComputeSettlementWheneverTheBalanceCoversWhatIsHeld) {
  for (Nano cost : {0, 1, 2, 999, 1000, 1001, 123456789}) {
    for (int64_t margin : {0, 1, 20, 33, 1000}) {
      for (Nano hold : {0, 1, 1200, 2000, 1'000'000'000}) {
        for (Nano others : {0, 1, 5000}) {
          for (Nano spare : {0, 1, 700}) {  // balance = held + spare: the balance covers held
            const Nano held = hold + others;
            std::optional<Settlement> fast = SettlementWithinHold(cost, margin, hold);
            Settlement full = ComputeSettlement(cost, margin, held + spare, held, hold);
            if (full.total > hold) {
              EXPECT_FALSE(fast.has_value());
              continue;
            }
            ASSERT_TRUE(fast.has_value());
            fast->balance_after = held + spare - fast->charged;  // what the database returns
            EXPECT_EQ(*fast, full) << cost << " " << margin << " " << hold;
          }
        }
      }
    }
  }
  EXPECT_EQ(SettlementWithinHold(1000, 20, 1200), (Settlement{1000, 200, 1200, 1200, 0, 0}));
  EXPECT_FALSE(SettlementWithinHold(1001, 20, 1200).has_value());
}

TEST(ComputeSettlement, TotalsAlwaysAddUp) {
  for (Nano cost : {0, 1, 2, 3, 999, 123456789}) {
    for (int64_t margin : {0, 1, 20, 33, 1000}) {
      for (Nano balance : {0, 1, 1000, 1'000'000'000}) {
        for (Nano others : {Nano{0}, Nano{1}, balance / 2, balance}) {
          for (Nano hold : {Nano{0}, Nano{1}, (balance - others) / 2, balance - others}) {
            if (hold < 0 || others + hold > balance) continue;  // held never exceeds balance
            Settlement s = ComputeSettlement(cost, margin, balance, others + hold, hold);
            EXPECT_EQ(s.total, s.provider_cost + s.margin);
            EXPECT_EQ(s.total, s.charged + s.uncollected);
            EXPECT_EQ(s.balance_after, balance - s.charged);
            EXPECT_GE(s.balance_after, 0);
            // The other holds stay covered, and within the reservation nothing is uncollected.
            EXPECT_GE(s.balance_after, others);
            if (s.total <= hold) {
              EXPECT_EQ(s.uncollected, 0);
            }
            EXPECT_EQ(s.margin, money::MarginOf(cost, margin));
          }
        }
      }
    }
  }
}

TEST(Validation, OrgIdMustBeAUuid) {
  EXPECT_TRUE(ValidateOrgId("0b6f2a0e-3c1d-4e5f-8a9b-0c1d2e3f4a5b").ok());
  EXPECT_TRUE(ValidateOrgId("0B6F2A0E-3C1D-4E5F-8A9B-0C1D2E3F4A5B").ok());
  for (const char* bad :
       {"", "org-1", "0b6f2a0e3c1d4e5f8a9b0c1d2e3f4a5b", "0b6f2a0e-3c1d-4e5f-8a9b-0c1d2e3f4a5g",
        "0b6f2a0e-3c1d-4e5f-8a9b-0c1d2e3f4a5b0"}) {
    EXPECT_EQ(ValidateOrgId(bad).code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(Validation, KeysAmountsLimits) {
  EXPECT_TRUE(ValidateKey("request_id", "req_123").ok());
  EXPECT_EQ(ValidateKey("request_id", "").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateKey("request_id", "a b").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateKey("request_id", std::string(201, 'a')).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ValidateKey("request_id", std::string(200, 'a')).ok());

  EXPECT_TRUE(ValidateChargeAmount(1).ok());
  EXPECT_EQ(ValidateChargeAmount(0).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateChargeAmount(-1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ValidateProviderCost(0).ok());
  EXPECT_EQ(ValidateProviderCost(-1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ValidateMarginPercent(0).ok());
  EXPECT_TRUE(ValidateMarginPercent(1000).ok());

  EXPECT_EQ(*ListLimit(0), 50);
  EXPECT_EQ(*ListLimit(7), 7);
  EXPECT_EQ(*ListLimit(500), 500);
  EXPECT_EQ(*ListLimit(10'000), 500);
  EXPECT_EQ(ListLimit(-1).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace llmgw::billing

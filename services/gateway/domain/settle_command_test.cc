#include "services/gateway/domain/settle_command.h"

#include <gtest/gtest.h>

namespace llmgw::gateway {
namespace {

using Kind = SettleCommand::Kind;

TEST(SettleCommandTest, EncodeDecodeRoundTrips) {
  const SettleCommand settle{Kind::kSettle, "req_1", 123'456, "gpt-4o-mini \"quoted\"\n"};
  EXPECT_EQ(DecodeSettleCommand(EncodeSettleCommand(settle)).value(), settle);
  const SettleCommand zero{Kind::kSettle, "req_2", 0, ""};
  EXPECT_EQ(DecodeSettleCommand(EncodeSettleCommand(zero)).value(), zero);
  const SettleCommand voided{Kind::kVoid, "req_3", 0, ""};
  EXPECT_EQ(DecodeSettleCommand(EncodeSettleCommand(voided)).value(), voided);
}

TEST(SettleCommandTest, DecodeRefusesWhatEncodeNeverWrites) {
  for (const char* bad : {"", "{", "[]", "null", R"({"kind":"settle","request_id":"r"})",
                          R"({"v":2,"kind":"void","request_id":"r"})",
                          R"({"v":1,"kind":"refund","request_id":"r"})",
                          R"({"v":1,"kind":"void","request_id":""})",
                          R"({"v":1,"kind":"void"})",
                          R"({"v":1,"kind":"settle","request_id":"r","description":""})",
                          R"({"v":1,"kind":"settle","request_id":"r","provider_cost_nano":-1,"description":""})",
                          R"({"v":1,"kind":"settle","request_id":"r","provider_cost_nano":1.5,"description":""})",
                          R"({"v":1,"kind":"settle","request_id":"r","provider_cost_nano":"5","description":""})"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(DecodeSettleCommand(bad).status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(SettleCommandTest, OnlyFinalAnswersEndDelivery) {
  using absl::StatusCode;
  EXPECT_EQ(JudgeBillingAnswer(Kind::kSettle, StatusCode::kOk), SettleVerdict::kDone);
  EXPECT_EQ(JudgeBillingAnswer(Kind::kVoid, StatusCode::kOk), SettleVerdict::kDone);
  // A void with nothing left to release is done; a settle without a hold is refused (logged).
  EXPECT_EQ(JudgeBillingAnswer(Kind::kVoid, StatusCode::kNotFound), SettleVerdict::kDone);
  EXPECT_EQ(JudgeBillingAnswer(Kind::kVoid, StatusCode::kFailedPrecondition),
            SettleVerdict::kDone);
  EXPECT_EQ(JudgeBillingAnswer(Kind::kSettle, StatusCode::kNotFound), SettleVerdict::kRefused);
  EXPECT_EQ(JudgeBillingAnswer(Kind::kSettle, StatusCode::kInvalidArgument),
            SettleVerdict::kRefused);
  // Billing down, slow, overloaded, or the gateway misconfigured: kept and retried.
  for (StatusCode code : {StatusCode::kUnavailable, StatusCode::kDeadlineExceeded,
                          StatusCode::kResourceExhausted, StatusCode::kAborted,
                          StatusCode::kInternal, StatusCode::kUnknown,
                          StatusCode::kUnauthenticated, StatusCode::kPermissionDenied,
                          StatusCode::kCancelled}) {
    EXPECT_EQ(JudgeBillingAnswer(Kind::kSettle, code), SettleVerdict::kRetry);
    EXPECT_EQ(JudgeBillingAnswer(Kind::kVoid, code), SettleVerdict::kRetry);
  }
}

}  // namespace
}  // namespace llmgw::gateway

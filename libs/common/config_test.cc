#include "libs/common/config.h"

#include <cstdlib>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/testing/status_matchers.h"

namespace llmgw::config {
namespace {

using ::testing::HasSubstr;

TEST(Config, IntDefaultsAndRejectsGarbageWithTheVariableName) {
  unsetenv("LLMGW_T_INT");
  EXPECT_THAT(Int("LLMGW_T_INT", 20, 0, 100), test::IsOkAndHolds(20));
  setenv("LLMGW_T_INT", "35", 1);
  EXPECT_THAT(Int("LLMGW_T_INT", 20, 0, 100), test::IsOkAndHolds(35));
  setenv("LLMGW_T_INT", "abc", 1);
  EXPECT_THAT(Int("LLMGW_T_INT", 20, 0, 100),
              test::StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("LLMGW_T_INT")));
  setenv("LLMGW_T_INT", "101", 1);
  EXPECT_THAT(Int("LLMGW_T_INT", 20, 0, 100), test::StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Config, BoolAcceptsCommonSpellings) {
  setenv("LLMGW_T_BOOL", "TRUE", 1);
  EXPECT_THAT(Bool("LLMGW_T_BOOL", false), test::IsOkAndHolds(true));
  setenv("LLMGW_T_BOOL", "off", 1);
  EXPECT_THAT(Bool("LLMGW_T_BOOL", true), test::IsOkAndHolds(false));
  setenv("LLMGW_T_BOOL", "maybe", 1);
  EXPECT_THAT(Bool("LLMGW_T_BOOL", true), test::StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Config, AddressAndUrl) {
  unsetenv("LLMGW_T_ADDR");
  EXPECT_THAT(Address("LLMGW_T_ADDR", ":9101"), test::IsOkAndHolds("0.0.0.0:9101"));
  setenv("LLMGW_T_ADDR", "127.0.0.1:70000", 1);
  EXPECT_THAT(Address("LLMGW_T_ADDR", ":1"), test::StatusIs(absl::StatusCode::kInvalidArgument));
  setenv("LLMGW_T_URL", "http://127.0.0.1:9000/v1/", 1);
  EXPECT_THAT(Url("LLMGW_T_URL", ""), test::IsOkAndHolds("http://127.0.0.1:9000/v1"));
  setenv("LLMGW_T_URL", "ftp://x", 1);
  EXPECT_THAT(Url("LLMGW_T_URL", ""), test::StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Config, RequiredSaysWhy) {
  unsetenv("LLMGW_T_REQ");
  EXPECT_THAT(Required("LLMGW_T_REQ", "because"),
              test::StatusIs(absl::StatusCode::kFailedPrecondition,
                             HasSubstr("LLMGW_T_REQ is required: because")));
}

}  // namespace
}  // namespace llmgw::config

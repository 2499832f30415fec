#include "libs/common/utc_date.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/testing/status_matchers.h"

namespace llmgw {
namespace {

using test::IsOk;
using test::IsOkAndHolds;
using test::StatusIs;
using ::testing::HasSubstr;

constexpr int64_t kDay = 1'722'470'400'000;  // 2024-08-01T00:00:00Z

TEST(UtcDate, FormatsTheDayHoldingATime) {
  EXPECT_EQ(FormatDate(kDay), "2024-08-01");
  EXPECT_EQ(FormatDate(kDay + 86'400'000 - 1), "2024-08-01");
  EXPECT_EQ(FormatDate(0), "1970-01-01");
  EXPECT_EQ(FormatDate(-1), "1969-12-31");
  EXPECT_EQ(FormatDate(253'402'300'799'999), "9999-12-31");
}

TEST(UtcDate, DayStarts) {
  EXPECT_EQ(UtcDayStart(kDay), kDay);
  EXPECT_EQ(UtcDayStart(kDay + 86'400'000 - 1), kDay);
  EXPECT_EQ(UtcDayStart(-1), -86'400'000);
  EXPECT_EQ(UtcDayStart(0), 0);
}

TEST(UtcDate, ParsesRealDatesOnly) {
  EXPECT_THAT(ParseDate("2024-08-01", "date"), IsOkAndHolds(kDay));
  EXPECT_THAT(ParseDate("1970-01-01", "date"), IsOkAndHolds(0));
  EXPECT_THAT(ParseDate("2024-02-29", "date"), IsOk());
  for (const char* bad : {"2023-02-29", "2024-13-01", "2024-8-01", "2024/08/01", "2024-08-01T00",
                          "", "1969-12-31", "20240801", "2024-08-0x", "2024-00-10"}) {
    EXPECT_THAT(ParseDate(bad, "from"),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("from must be a date")))
        << bad;
  }
  EXPECT_THAT(ParseDate("2024-08-0\xC3", "to"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "to must be a date YYYY-MM-DD, got \"2024-08-0?\""));
}

}  // namespace
}  // namespace llmgw

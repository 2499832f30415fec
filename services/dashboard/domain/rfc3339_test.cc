#include "services/dashboard/domain/rfc3339.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/testing/status_matchers.h"

namespace llmgw::dashboard {
namespace {

using ::llmgw::test::IsOkAndHolds;
using ::llmgw::test::StatusIs;

TEST(FormatRfc3339, Utc) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(1'700'000'000'000), "2023-11-14T22:13:20Z");
  EXPECT_EQ(FormatRfc3339(1'700'000'000'250), "2023-11-14T22:13:20.250Z");
  EXPECT_EQ(FormatRfc3339(951'782'400'000), "2000-02-29T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(-1), "1969-12-31T23:59:59.999Z");
}

TEST(ParseRfc3339, AcceptsOffsetsAndFractions) {
  EXPECT_THAT(ParseRfc3339("2023-11-14T22:13:20Z", "t"), IsOkAndHolds(1'700'000'000'000));
  EXPECT_THAT(ParseRfc3339("2023-11-14T22:13:20.25Z", "t"), IsOkAndHolds(1'700'000'000'250));
  EXPECT_THAT(ParseRfc3339("2023-11-14T22:13:20.123456789Z", "t"), IsOkAndHolds(1'700'000'000'123));
  EXPECT_THAT(ParseRfc3339("2023-11-15T00:13:20+02:00", "t"), IsOkAndHolds(1'700'000'000'000));
  EXPECT_THAT(ParseRfc3339("2023-11-15T00:13:20 02:00", "t"), IsOkAndHolds(1'700'000'000'000));
  EXPECT_THAT(ParseRfc3339("2023-11-14T17:13:20-05:00", "t"), IsOkAndHolds(1'700'000'000'000));
  EXPECT_THAT(ParseRfc3339("2023-11-14t22:13:20z", "t"), IsOkAndHolds(1'700'000'000'000));
  EXPECT_THAT(ParseRfc3339("2000-02-29T00:00:00Z", "t"), IsOkAndHolds(951'782'400'000));
}

TEST(ParseRfc3339, RejectsMalformed) {
  for (const char* bad :
       {"", "2023-11-14", "2023-11-14T22:13:20", "2023-11-14T22:13:20.Z", "2023-13-01T00:00:00Z",
        "2023-02-29T00:00:00Z", "2023-11-14T24:00:00Z", "2023-11-14T22:13:20+2:00",
        "2023-11-14T22:13:20Zjunk", "1700000000", "2023-11-14X22:13:20Z"}) {
    EXPECT_THAT(ParseRfc3339(bad, "from"),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         "from must be an RFC 3339 timestamp such as 2024-01-31T00:00:00Z"))
        << bad;
  }
}

TEST(FormatAndParse, RoundTrip) {
  for (int64_t ms : {int64_t{0}, int64_t{1'700'000'000'001}, int64_t{4'102'444'799'999}}) {
    EXPECT_THAT(ParseRfc3339(FormatRfc3339(ms), "t"), IsOkAndHolds(ms));
  }
}

TEST(ParseTimeRange, DefaultsToTheLast30Days) {
  auto r = ParseTimeRange(std::nullopt, std::nullopt, 1'700'000'000'000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->to_unix_ms, 1'700'000'000'000);
  EXPECT_EQ(r->from_unix_ms, 1'700'000'000'000 - 30LL * 86'400'000);

  r = ParseTimeRange(std::string("2024-01-01T00:00:00Z"), std::string("2024-01-02T00:00:00Z"), 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->from_unix_ms, 1'704'067'200'000);
  EXPECT_EQ(r->to_unix_ms, 1'704'153'600'000);

  EXPECT_THAT(
      ParseTimeRange(std::string("2024-01-02T00:00:00Z"), std::string("2024-01-01T00:00:00Z"), 0),
      StatusIs(absl::StatusCode::kInvalidArgument, "from must be earlier than to"));
  EXPECT_THAT(ParseTimeRange(std::nullopt, std::string("yesterday"), 0),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace llmgw::dashboard

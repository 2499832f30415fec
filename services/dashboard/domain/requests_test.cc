#include "services/dashboard/domain/requests.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/testing/status_matchers.h"

namespace llmgw::dashboard {
namespace {

using ::llmgw::test::IsOkAndHolds;
using ::llmgw::test::StatusIs;

TEST(ParseChargeAmount, AcceptsDecimalNumbersExactly) {
  EXPECT_THAT(ParseChargeAmount(R"({"amount":10})"), IsOkAndHolds(10'000'000'000));
  EXPECT_THAT(ParseChargeAmount(R"({"amount":10.5})"), IsOkAndHolds(10'500'000'000));
  EXPECT_THAT(ParseChargeAmount(R"({"amount":0.000000001})"), IsOkAndHolds(1));
  EXPECT_THAT(ParseChargeAmount(R"({"amount":0.1})"), IsOkAndHolds(100'000'000));
  EXPECT_THAT(ParseChargeAmount(R"({"amount":19.99})"), IsOkAndHolds(19'990'000'000));
  EXPECT_THAT(ParseChargeAmount(R"({"amount":1000000})"), IsOkAndHolds(kMaxChargeNano));
  EXPECT_THAT(ParseChargeAmount(R"( { "note": {"amount": "x"}, "amount" : 2.25 } )"),
              IsOkAndHolds(2'250'000'000));
}

TEST(ParseChargeAmount, RejectsEverythingElse) {
  for (const char* body : {
           R"({"amount":1e3})",
           R"({"amount":1E3})",
           R"({"amount":1.5e2})",
           R"({"amount":-1})",
           R"({"amount":-1.5})",
           R"({"amount":0})",
           R"({"amount":0.0})",
           R"({"amount":10.0000000001})",
           R"({"amount":"10"})",
           R"({"amount":null})",
           R"({"amount":true})",
           R"({"amount":[10]})",
           R"({"amount":{"usd":10}})",
           R"({"amount":1000000.000000001})",
           R"({"amount":99999999999999999999999})",
           R"({"amount":10,"amount":11})",
           R"({})",
           R"([10])",
           R"(10)",
           R"({"amount":10)",
           R"({"amount":10} x)",
           "",
       }) {
    EXPECT_THAT(ParseChargeAmount(body), StatusIs(absl::StatusCode::kInvalidArgument)) << body;
  }
}

TEST(ParseRegisterBody, RequiresThreeStrings) {
  auto in =
      ParseRegisterBody(R"({"name":"Test","email":"test@test.com","password":"password123"})");
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->name, "Test");
  EXPECT_EQ(in->email, "test@test.com");
  EXPECT_EQ(in->password, "password123");
  EXPECT_THAT(
      ParseRegisterBody(R"({"name":"Test","email":"a@b.c"})"),
      StatusIs(absl::StatusCode::kInvalidArgument, "password is required and must be a string"));
  EXPECT_THAT(ParseRegisterBody(R"({"name":1,"email":"a@b.c","password":"x"})"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseRegisterBody("not json"),
              StatusIs(absl::StatusCode::kInvalidArgument, "request body must be a JSON object"));
}

TEST(ParseLoginBody, RequiresEmailAndPassword) {
  auto in = ParseLoginBody(R"({"email":"a@b.c","password":"pw"})");
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->email, "a@b.c");
  EXPECT_EQ(in->password, "pw");
  EXPECT_THAT(ParseLoginBody(R"({"email":"a@b.c"})"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParseCredentialNameBody, TrimsAndBoundsTheName) {
  EXPECT_THAT(ParseCredentialNameBody(R"({"name":"  prod  "})"), IsOkAndHolds("prod"));
  EXPECT_THAT(ParseCredentialNameBody(R"({"name":"ключ"})"), IsOkAndHolds("ключ"));
  std::string hundred(100, 'a');
  EXPECT_THAT(ParseCredentialNameBody("{\"name\":\"" + hundred + "\"}"), IsOkAndHolds(hundred));
  EXPECT_THAT(ParseCredentialNameBody("{\"name\":\"" + hundred + "a\"}"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseCredentialNameBody(R"({"name":""})"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseCredentialNameBody(R"({"name":"   "})"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseCredentialNameBody(R"({"name":"a\u0001b"})"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseCredentialNameBody(R"({})"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParseLimit, DefaultsAndBounds) {
  EXPECT_THAT(ParseLimit(std::nullopt), IsOkAndHolds(50));
  EXPECT_THAT(ParseLimit("1"), IsOkAndHolds(1));
  EXPECT_THAT(ParseLimit("500"), IsOkAndHolds(500));
  for (const char* bad : {"0", "501", "-1", "", "abc", "10x", "1.5"}) {
    EXPECT_THAT(ParseLimit(std::string(bad)), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(ParseBucket, HourOrDay) {
  EXPECT_THAT(ParseBucket(std::nullopt), IsOkAndHolds(Bucket::kDay));
  EXPECT_THAT(ParseBucket("day"), IsOkAndHolds(Bucket::kDay));
  EXPECT_THAT(ParseBucket("hour"), IsOkAndHolds(Bucket::kHour));
  EXPECT_THAT(ParseBucket("week"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(IsUuid, Shape) {
  EXPECT_TRUE(IsUuid("123e4567-e89b-12d3-a456-426614174000"));
  EXPECT_FALSE(IsUuid("123e4567e89b12d3a456426614174000"));
  EXPECT_FALSE(IsUuid("123e4567-e89b-12d3-a456-42661417400g"));
  EXPECT_FALSE(IsUuid(""));
}

}  // namespace
}  // namespace llmgw::dashboard

#include "services/accounts/domain/validation.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/testing/status_matchers.h"

namespace llmgw::accounts {
namespace {

using ::llmgw::test::IsOk;
using ::llmgw::test::IsOkAndHolds;
using ::llmgw::test::StatusIs;
using ::testing::HasSubstr;

TEST(OrganizationName, TrimsAndBoundsLength) {
  EXPECT_THAT(NormalizeOrganizationName("  Acme Inc \n"), IsOkAndHolds(std::string("Acme Inc")));
  EXPECT_THAT(NormalizeOrganizationName("   "),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name")));
  EXPECT_THAT(NormalizeOrganizationName(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(NormalizeOrganizationName(std::string(200, 'a')), IsOk());
  EXPECT_THAT(NormalizeOrganizationName(std::string(201, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name")));
  // 200 two-byte characters are 200 characters, not 400.
  std::string umlauts;
  for (int i = 0; i < 200; ++i) umlauts += "\xC3\xA4";
  EXPECT_THAT(NormalizeOrganizationName(umlauts), IsOk());
  EXPECT_THAT(NormalizeOrganizationName("a\x01"
                                        "b"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Email, AcceptsPlausibleAddressesKeepingCase) {
  EXPECT_THAT(NormalizeEmail("Alice@Example.com"), IsOkAndHolds(std::string("Alice@Example.com")));
  EXPECT_THAT(NormalizeEmail(" bob+x@mail.example.org "),
              IsOkAndHolds(std::string("bob+x@mail.example.org")));
}

TEST(Email, RejectsImplausibleAddresses) {
  for (const char* bad : {"", "plain", "@example.com", "a@", "a@b", "a@@b.com", "a@b@c.com",
                          "a b@c.com", "a@.com", "a@com.", "a@b..com"}) {
    EXPECT_THAT(NormalizeEmail(bad),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("email")))
        << bad;
  }
  std::string longest = std::string(64, 'a') + "@" + std::string(185, 'b') + ".com";  // 254
  ASSERT_EQ(longest.size(), 254u);
  EXPECT_THAT(NormalizeEmail(longest), IsOk());
  EXPECT_THAT(NormalizeEmail("x" + longest), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Password, BoundsInBytes) {
  EXPECT_THAT(ValidatePassword("password123"), IsOk());
  EXPECT_THAT(ValidatePassword("12345678"), IsOk());
  EXPECT_THAT(ValidatePassword("1234567"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("password")));
  EXPECT_THAT(ValidatePassword(std::string(1024, 'x')), IsOk());
  EXPECT_THAT(ValidatePassword(std::string(1025, 'x')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("password")));
}

TEST(CredentialName, DefaultsWhenEmpty) {
  EXPECT_THAT(NormalizeCredentialName("  "), IsOkAndHolds(std::string("default")));
  EXPECT_THAT(NormalizeCredentialName(" ci "), IsOkAndHolds(std::string("ci")));
  EXPECT_THAT(NormalizeCredentialName(std::string(201, 'n')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name")));
}

TEST(EmailKey, LowerCasesAndTrims) { EXPECT_EQ(EmailKey(" A@B.Com "), "a@b.com"); }

TEST(Uuid, RecognizesCanonicalForm) {
  EXPECT_TRUE(IsUuid("123e4567-e89b-12d3-a456-426614174000"));
  EXPECT_TRUE(IsUuid("123E4567-E89B-12D3-A456-426614174000"));
  EXPECT_FALSE(IsUuid("123e4567e89b12d3a456426614174000"));
  EXPECT_FALSE(IsUuid("not-a-uuid"));
  EXPECT_FALSE(IsUuid("123e4567-e89b-12d3-a456-42661417400g"));
  EXPECT_FALSE(IsUuid(""));
}

}  // namespace
}  // namespace llmgw::accounts

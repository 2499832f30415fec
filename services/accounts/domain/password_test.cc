#include "services/accounts/domain/password.h"

#include <string>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/crypto.h"
#include "libs/testing/status_matchers.h"

namespace llmgw::accounts {
namespace {

using ::llmgw::test::StatusIs;

TEST(Password, RoundTripAndWrongPassword) {
  std::string h = HashPassword("password123", 1000);
  EXPECT_TRUE(VerifyPassword("password123", h));
  EXPECT_FALSE(VerifyPassword("password124", h));
  EXPECT_FALSE(VerifyPassword("", h));
}

TEST(Password, EncodesParametersWithAFreshSalt) {
  std::string a = HashPassword("password123", 1234);
  std::string b = HashPassword("password123", 1234);
  EXPECT_NE(a, b);  // per-password salt
  std::vector<std::string> parts = absl::StrSplit(a, '$');
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[0], "pbkdf2-sha256");
  EXPECT_EQ(parts[1], "1234");
  EXPECT_EQ(parts[2].size(), 32u);  // 16-byte salt, hex
  EXPECT_EQ(parts[3].size(), 64u);  // 32-byte key, hex
  EXPECT_EQ(a.find("password123"), std::string::npos);

  auto parsed = ParsePasswordHash(a);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->iterations, 1234);
  EXPECT_EQ(parsed->salt.size(), 16u);
  EXPECT_EQ(EncodePasswordHash(*parsed), a);
}

TEST(Password, KnownPbkdf2Vector) {
  // RFC 7914 section 11: PBKDF2-HMAC-SHA256("passwd", "salt", c=1, dkLen=64).
  std::string key = DerivePbkdf2Sha256("passwd", "salt", 1, 64);
  EXPECT_EQ(crypto::HexEncode(key),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
            "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
}

TEST(Password, VerifiesWithTheStoredIterationCount) {
  // A hash made under another iteration count still verifies: parameters travel with it.
  PasswordHash h{2000, std::string(16, 's'),
                 DerivePbkdf2Sha256("secret-pw", std::string(16, 's'), 2000, kPasswordKeyBytes)};
  std::string encoded = EncodePasswordHash(h);
  EXPECT_TRUE(VerifyPassword("secret-pw", encoded));
  h.iterations = 2001;
  EXPECT_FALSE(VerifyPassword("secret-pw", EncodePasswordHash(h)));
}

TEST(Password, RejectsMalformedHashes) {
  std::string key(64, 'a');
  std::string salt(32, 'b');
  for (const std::string& bad :
       {std::string(""), std::string("pbkdf2-sha256$1000$") + salt,
        "scrypt$1000$" + salt + "$" + key, "pbkdf2-sha256$x$" + salt + "$" + key,
        "pbkdf2-sha256$0$" + salt + "$" + key, "pbkdf2-sha256$1000$$" + key,
        "pbkdf2-sha256$1000$abc$" + key, "pbkdf2-sha256$1000$" + salt + "$" + key + "00",
        "pbkdf2-sha256$1000$" + salt + "$" + std::string(64, 'Z')}) {
    EXPECT_THAT(ParsePasswordHash(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
    EXPECT_FALSE(VerifyPassword("anything", bad)) << bad;
  }
}

}  // namespace
}  // namespace llmgw::accounts

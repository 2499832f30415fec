#include "libs/common/secret_box.h"

#include <cstdlib>
#include <set>
#include <string>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/testing/status_matchers.h"

namespace llmgw::crypto {
namespace {

using test::IsOk;
using test::IsOkAndHolds;
using test::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Key(char fill) { return std::string(kSecretKeyBytes, fill); }

SecretBox Box(char fill) {
  auto box = SecretBox::FromKey(Key(fill));
  EXPECT_THAT(box, IsOk());
  return *box;
}

// NIST SP 800-38D test case 14 (AES-256, 96-bit IV, no AAD): pins the cipher, the layout
// (nonce || ciphertext || tag) and the tag length.
TEST(SecretBox, OpensAKnownVector) {
  std::string hex_ct =
      "000000000000000000000000"           // nonce
      "cea7403d4d606b6e074ec5d3baf39d18"   // ciphertext of 16 zero bytes
      "d0d1c8a799996bf0265b98b5d48ab919";  // tag
  SealedSecret sealed{Box('\0').key_id(), absl::HexStringToBytes(hex_ct)};
  EXPECT_THAT(Box('\0').Open(sealed, ""), IsOkAndHolds(std::string(16, '\0')));
}

TEST(SecretBox, SealsAndOpensWithFreshNonces) {
  SecretBox box = Box('a');
  std::set<std::string> ciphertexts;
  for (int i = 0; i < 50; ++i) {
    SealedSecret s = box.Seal("sk-admin-secret", "conn-1");
    EXPECT_EQ(s.key_id, box.key_id());
    EXPECT_EQ(s.ciphertext.size(), kSealNonceBytes + 15 + kSealTagBytes);
    EXPECT_THAT(s.ciphertext, Not(HasSubstr("sk-admin-secret")));
    ciphertexts.insert(s.ciphertext);
    EXPECT_THAT(box.Open(s, "conn-1"), IsOkAndHolds("sk-admin-secret"));
  }
  EXPECT_EQ(ciphertexts.size(), 50u);  // a random nonce each time
  EXPECT_THAT(box.Open(box.Seal("", "x"), "x"), IsOkAndHolds(""));
}

TEST(SecretBox, RefusesTamperingOtherRowsAndOtherKeys) {
  SecretBox box = Box('a');
  SealedSecret s = box.Seal("sk-admin-secret", "conn-1");
  // Another row's associated data.
  EXPECT_THAT(box.Open(s, "conn-2"), StatusIs(absl::StatusCode::kDataLoss));
  // A flipped bit anywhere: nonce, ciphertext, tag.
  for (size_t i : {size_t{0}, kSealNonceBytes + 3, s.ciphertext.size() - 1}) {
    SealedSecret bad = s;
    bad.ciphertext[i] ^= 0x01;
    EXPECT_THAT(box.Open(bad, "conn-1"), StatusIs(absl::StatusCode::kDataLoss)) << i;
  }
  SealedSecret truncated = s;
  truncated.ciphertext.resize(kSealNonceBytes + kSealTagBytes - 1);
  EXPECT_THAT(box.Open(truncated, "conn-1"), StatusIs(absl::StatusCode::kDataLoss));
  // Another key with this key's id (a forged label) still fails authentication.
  SealedSecret relabeled = Box('b').Seal("x", "conn-1");
  relabeled.key_id = box.key_id();
  EXPECT_THAT(box.Open(relabeled, "conn-1"), StatusIs(absl::StatusCode::kDataLoss));
  // A different key id is named, not tried.
  EXPECT_THAT(Box('b').Open(s, "conn-1"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SecretBox, KeyIdsNameKeysWithoutRevealingThem) {
  EXPECT_NE(Box('a').key_id(), Box('b').key_id());
  EXPECT_EQ(Box('a').key_id(), Box('a').key_id());
  EXPECT_EQ(Box('a').key_id().size(), 17u);
  EXPECT_EQ(Box('a').key_id()[0], 'k');
}

TEST(SecretBox, Base64KeysOf32BytesOnly) {
  std::string b64 = absl::Base64Escape(Key('z'));
  auto box = SecretBox::FromBase64(b64);
  ASSERT_THAT(box, IsOk());
  EXPECT_EQ(box->key_id(), Box('z').key_id());
  EXPECT_THAT(SecretBox::FromBase64(" " + b64 + "\n"), IsOk());
  auto short_key = SecretBox::FromBase64(absl::Base64Escape(std::string(16, 'z')));
  EXPECT_THAT(short_key, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("32")));
  std::string not_b64 = "not base64 at all!!secret-material";
  auto bad = SecretBox::FromBase64(not_b64);
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(bad.status().message()), Not(HasSubstr("secret-material")));
  EXPECT_THAT(SecretBox::FromKey("short"), StatusIs(absl::StatusCode::kInvalidArgument));
}

class KeyringEnvTest : public ::testing::Test {
 protected:
  void TearDown() override {
    unsetenv("LLMGW_SECRET_KEY");
    unsetenv("LLMGW_SECRET_KEY_PREVIOUS");
  }
};

TEST_F(KeyringEnvTest, UnsetMeansNotConfigured) {
  unsetenv("LLMGW_SECRET_KEY");
  auto ring = SecretKeyring::FromEnvironment();
  ASSERT_THAT(ring, IsOk());
  EXPECT_FALSE(ring->has_value());
}

// Rotation: rows sealed under the previous key still open; new seals use the current key.
TEST_F(KeyringEnvTest, CurrentAndPreviousKeys) {
  SealedSecret old_row = Box('o').Seal("sk-ant-admin-old", "row");
  setenv("LLMGW_SECRET_KEY", absl::Base64Escape(Key('n')).c_str(), 1);
  setenv("LLMGW_SECRET_KEY_PREVIOUS",
         (absl::Base64Escape(Key('p')) + ", " + absl::Base64Escape(Key('o'))).c_str(), 1);
  auto ring = SecretKeyring::FromEnvironment();
  ASSERT_THAT(ring, IsOk());
  ASSERT_TRUE(ring->has_value());
  const SecretKeyring& r = **ring;
  EXPECT_EQ(r.current().key_id(), Box('n').key_id());
  EXPECT_THAT(r.Open(old_row, "row"), IsOkAndHolds("sk-ant-admin-old"));
  SealedSecret fresh = r.current().Seal("new", "row");
  EXPECT_EQ(fresh.key_id, Box('n').key_id());
  EXPECT_THAT(r.Open(fresh, "row"), IsOkAndHolds("new"));
  EXPECT_NE(r.Find(Box('p').key_id()), nullptr);
  EXPECT_EQ(r.Find(Box('q').key_id()), nullptr);
  EXPECT_THAT(r.Open(Box('q').Seal("x", "row"), "row"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not configured")));
}

TEST_F(KeyringEnvTest, MalformedValuesNameTheVariable) {
  setenv("LLMGW_SECRET_KEY", "c2hvcnQ=", 1);
  EXPECT_THAT(SecretKeyring::FromEnvironment(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("LLMGW_SECRET_KEY ")));
  setenv("LLMGW_SECRET_KEY", absl::Base64Escape(Key('n')).c_str(), 1);
  setenv("LLMGW_SECRET_KEY_PREVIOUS", "c2hvcnQ=", 1);
  EXPECT_THAT(SecretKeyring::FromEnvironment(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("LLMGW_SECRET_KEY_PREVIOUS")));
}

}  // namespace
}  // namespace llmgw::crypto

#include "services/accounts/domain/tokens.h"

#include <set>

#include "gtest/gtest.h"
#include "libs/common/crypto.h"

namespace llmgw::accounts {
namespace {

bool AllBase62(std::string_view s) {
  for (char c : s) {
    if (!isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

TEST(Tokens, MonitorTokenFormat) {
  std::string t = NewCredentialSecret(CredentialKind::kMonitorToken);
  ASSERT_EQ(t.size(), 7u + 43u);
  EXPECT_EQ(t.substr(0, 7), "mon_sk_");
  EXPECT_TRUE(AllBase62(t.substr(7)));
  EXPECT_TRUE(IsWellFormedCredential(CredentialKind::kMonitorToken, t));
  EXPECT_FALSE(IsWellFormedCredential(CredentialKind::kApiKey, t));
  EXPECT_EQ(DisplayPrefix(t), t.substr(0, 12));
  EXPECT_EQ(DisplayPrefix(t).size(), 12u);
}

TEST(Tokens, ApiKeyFormat) {
  std::string k = NewCredentialSecret(CredentialKind::kApiKey);
  ASSERT_EQ(k.size(), 50u);
  EXPECT_EQ(k.substr(0, 7), "llm_sk_");
  EXPECT_TRUE(IsWellFormedCredential(CredentialKind::kApiKey, k));
  EXPECT_FALSE(IsWellFormedCredential(CredentialKind::kMonitorToken, k));
}

TEST(Tokens, MalformedSecretsAreRejected) {
  std::string body(43, 'A');
  EXPECT_TRUE(IsWellFormedCredential(CredentialKind::kApiKey, "llm_sk_" + body));
  EXPECT_FALSE(IsWellFormedCredential(CredentialKind::kApiKey, "llm_sk_" + body + "A"));
  EXPECT_FALSE(IsWellFormedCredential(CredentialKind::kApiKey, "llm_sk_" + body.substr(1)));
  EXPECT_FALSE(IsWellFormedCredential(CredentialKind::kApiKey, "llm_sk_" + body.substr(1) + "-"));
  EXPECT_FALSE(IsWellFormedCredential(CredentialKind::kApiKey, "sk-" + body));
  EXPECT_FALSE(IsWellFormedCredential(CredentialKind::kApiKey, ""));
}

TEST(Tokens, SecretsAreDistinctAndHashedAsSha256) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(NewCredentialSecret(CredentialKind::kApiKey));
  EXPECT_EQ(seen.size(), 100u);
  std::string k = *seen.begin();
  EXPECT_EQ(SecretHash(k), crypto::Sha256Hex(k));
  EXPECT_EQ(SecretHash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Tokens, SessionTokenFormat) {
  std::string s = NewSessionToken();
  EXPECT_EQ(s.size(), 43u);
  EXPECT_TRUE(AllBase62(s));
  EXPECT_TRUE(IsWellFormedSessionToken(s));
  EXPECT_FALSE(IsWellFormedSessionToken(s.substr(1)));
  EXPECT_FALSE(IsWellFormedSessionToken(s.substr(1) + "_"));
  EXPECT_NE(NewSessionToken(), s);
}

}  // namespace
}  // namespace llmgw::accounts

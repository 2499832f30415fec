#include "services/accounts/domain/tokens.h"

#include "absl/strings/ascii.h"
#include "libs/common/crypto.h"

namespace llmgw::accounts {
namespace {

bool IsBase62(std::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

std::string_view CredentialPrefix(CredentialKind kind) {
  return kind == CredentialKind::kMonitorToken ? kMonitorTokenPrefix : kApiKeyPrefix;
}

std::string NewCredentialSecret(CredentialKind kind) {
  return std::string(CredentialPrefix(kind)) + crypto::RandomBase62(kSecretRandomChars);
}

bool IsWellFormedCredential(CredentialKind kind, std::string_view secret) {
  std::string_view prefix = CredentialPrefix(kind);
  if (secret.size() != prefix.size() + kSecretRandomChars) return false;
  if (secret.substr(0, prefix.size()) != prefix) return false;
  return IsBase62(secret.substr(prefix.size()));
}

std::string NewSessionToken() { return crypto::RandomBase62(kSessionTokenChars); }

bool IsWellFormedSessionToken(std::string_view token) {
  return token.size() == kSessionTokenChars && IsBase62(token);
}

std::string NewInvitationToken() {
  return kInvitationTokenPrefix + crypto::RandomBase62(kSecretRandomChars);
}

bool IsWellFormedInvitationToken(std::string_view token) {
  std::string_view prefix = kInvitationTokenPrefix;
  return token.size() == prefix.size() + kSecretRandomChars &&
         token.substr(0, prefix.size()) == prefix && IsBase62(token.substr(prefix.size()));
}

std::string DisplayPrefix(std::string_view secret) {
  return std::string(secret.substr(0, kDisplayPrefixChars));
}

std::string SecretHash(std::string_view secret) { return crypto::Sha256Hex(secret); }

}  // namespace llmgw::accounts

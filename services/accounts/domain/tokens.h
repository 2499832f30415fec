#pragma once
// Formats of the secrets the accounts service issues. Every secret is stored only as its SHA-256
// (lower-case hex) plus, for credentials, a 12-character display prefix.

#include <string>
#include <string_view>

#include "services/accounts/domain/types.h"

namespace llmgw::accounts {

inline constexpr char kMonitorTokenPrefix[] = "mon_sk_";
inline constexpr char kApiKeyPrefix[] = "llm_sk_";
// 43 base62 characters carry 256 bits of randomness.
inline constexpr size_t kSecretRandomChars = 43;
inline constexpr size_t kDisplayPrefixChars = 12;
inline constexpr size_t kSessionTokenChars = 43;

// "mon_sk_" or "llm_sk_".
std::string_view CredentialPrefix(CredentialKind kind);
// A new secret: the kind's prefix and 43 random base62 characters.
std::string NewCredentialSecret(CredentialKind kind);
// True when `secret` is the kind's prefix followed by exactly 43 base62 characters.
bool IsWellFormedCredential(CredentialKind kind, std::string_view secret);
// A new opaque session token: 43 random base62 characters (>= 32 random bytes).
std::string NewSessionToken();
bool IsWellFormedSessionToken(std::string_view token);
inline constexpr char kInvitationTokenPrefix[] = "inv_";
// A new invitation token: "inv_" and 43 random base62 characters.
std::string NewInvitationToken();
bool IsWellFormedInvitationToken(std::string_view token);
// The first 12 characters, shown in lists, e.g. "mon_sk_AbCdE".
std::string DisplayPrefix(std::string_view secret);
// What the store keeps instead of a secret: lower-case hex SHA-256.
std::string SecretHash(std::string_view secret);

}  // namespace llmgw::accounts

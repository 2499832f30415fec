#pragma once
// The accounts domain's values. Times are Unix milliseconds (0: never / unset).

#include <cstdint>
#include <string>

namespace llmgw::accounts {

struct Organization {
  std::string id;  // UUID
  std::string name;
  std::string email;  // as registered
  int64_t created_at_ms = 0;
};

// An organization with its stored password hash (never leaves the domain).
struct OrganizationRecord {
  Organization organization;
  std::string password_hash;
};

enum class CredentialKind { kMonitorToken, kApiKey };

// A monitor token or an API key, without its secret.
struct Credential {
  std::string id;  // UUID
  std::string organization_id;
  CredentialKind kind = CredentialKind::kMonitorToken;
  std::string name;
  std::string prefix;  // display prefix: the first 12 characters of the secret
  bool active = true;
  int64_t last_used_at_ms = 0;
  int64_t created_at_ms = 0;
};

// What a store insert needs for a new credential: only the hash of the secret.
struct NewCredential {
  std::string organization_id;
  CredentialKind kind = CredentialKind::kMonitorToken;
  std::string name;
  std::string prefix;
  std::string secret_hash;  // lower-case hex SHA-256 of the secret
  int64_t created_at_ms = 0;
};

// The answer of one lookup of a credential by the hash of its secret.
struct CredentialMatch {
  std::string id;
  std::string organization_id;
  bool active = false;
};

struct SessionRecord {
  Organization organization;
  int64_t expires_at_ms = 0;
  bool revoked = false;
};

// Failed logins of one email in the current throttling window.
struct LoginFailures {
  int count = 0;
  int64_t window_start_ms = 0;
};

// One batched last-use time of a credential.
struct CredentialUse {
  std::string credential_id;
  int64_t used_at_ms = 0;
};

}  // namespace llmgw::accounts

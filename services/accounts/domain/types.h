#pragma once
// The accounts domain's values. Times are Unix milliseconds (0: never / unset).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace llmgw::accounts {

struct Organization {
  std::string id;  // UUID
  std::string name;
  std::string email;  // as registered
  int64_t created_at_ms = 0;
};

// A person who logs in; belongs to organizations through memberships with a role.
struct User {
  std::string id;  // UUID
  std::string name;
  std::string email;  // as given; unique case-insensitively
  int64_t created_at_ms = 0;
};

// A user with its stored password hash (never leaves the domain).
struct UserRecord {
  User user;
  std::string password_hash;
};

enum class Role { kOwner, kAdmin, kMember, kViewer };
inline const char* RoleName(Role r) {
  switch (r) {
    case Role::kOwner:
      return "owner";
    case Role::kAdmin:
      return "admin";
    case Role::kMember:
      return "member";
    case Role::kViewer:
      return "viewer";
  }
  return "viewer";
}
inline std::optional<Role> ParseRole(std::string_view name) {
  for (Role r : {Role::kOwner, Role::kAdmin, Role::kMember, Role::kViewer}) {
    if (name == RoleName(r)) return r;
  }
  return std::nullopt;
}
inline bool IsAdminOrOwner(Role r) { return r == Role::kOwner || r == Role::kAdmin; }

// One organization of a user.
struct Membership {
  Organization organization;
  Role role = Role::kViewer;
  int64_t joined_at_ms = 0;
};

// One user of an organization.
struct Member {
  User user;
  Role role = Role::kViewer;
  int64_t joined_at_ms = 0;
};

// A role change or removal as applied: `after` empty when the member was removed.
struct MemberChange {
  Member before;
  std::optional<Role> after;
};

// Registration's result: the new organization and its owner.
struct RegisteredOwner {
  Organization organization;
  User user;
};

// An invitation; its token is stored only as SHA-256.
struct Invitation {
  std::string id;
  std::string organization_id;
  std::string email;
  Role role = Role::kViewer;
  std::string invited_by_user_id;  // "" when that user is gone
  int64_t created_at_ms = 0;
  int64_t expires_at_ms = 0;
  int64_t accepted_at_ms = 0;  // 0: not yet
};

struct NewInvitation {
  std::string organization_id;
  std::string email;
  Role role = Role::kViewer;
  std::string token_hash;
  std::string invited_by_user_id;
  int64_t created_at_ms = 0;
  int64_t expires_at_ms = 0;
};

enum class CredentialKind { kMonitorToken, kApiKey };

// The controls of a credential or an organization (issue 16): unset = no such limit.
struct Limits {
  std::optional<int64_t> rpm;                  // requests per minute
  std::optional<int64_t> tpm;                  // input + output tokens per minute
  std::optional<int64_t> daily_budget_nano;    // UTC day
  std::optional<int64_t> monthly_budget_nano;  // UTC calendar month
  bool operator==(const Limits&) const = default;
};

// A change of Limits: a field with set_x true takes x (nullopt removes the limit); the others
// stay as they are.
struct LimitsPatch {
  bool set_rpm = false, set_tpm = false, set_daily = false, set_monthly = false;
  Limits values;
};

inline Limits ApplyLimitsPatch(Limits limits, const LimitsPatch& p) {
  if (p.set_rpm) limits.rpm = p.values.rpm;
  if (p.set_tpm) limits.tpm = p.values.tpm;
  if (p.set_daily) limits.daily_budget_nano = p.values.daily_budget_nano;
  if (p.set_monthly) limits.monthly_budget_nano = p.values.monthly_budget_nano;
  return limits;
}

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
  std::string created_by_user_id;  // "" for credentials from before users (or of a removed user)
  Limits limits;
};

// What a store insert needs for a new credential: only the hash of the secret.
struct NewCredential {
  std::string organization_id;
  CredentialKind kind = CredentialKind::kMonitorToken;
  std::string name;
  std::string prefix;
  std::string secret_hash;  // lower-case hex SHA-256 of the secret
  int64_t created_at_ms = 0;
  std::string created_by_user_id;  // "" allowed
};

// The answer of one lookup of a credential by the hash of its secret.
struct CredentialMatch {
  std::string id;
  std::string organization_id;
  bool active = false;
  Limits limits;               // the credential's
  Limits organization_limits;  // its organization's
};

// A session: its user and the organization it acts in, with the user's role there (empty when
// the user is no longer a member of it).
struct SessionRecord {
  Organization organization;
  User user;
  std::optional<Role> role;
  int64_t expires_at_ms = 0;
  bool revoked = false;
};

// Failed logins of one throttling key in the current window.
struct LoginFailures {
  int count = 0;
  int64_t window_start_ms = 0;
};

// One management action in an organization's audit log.
struct AuditEntry {
  int64_t id = 0;  // assigned by the store, rising
  std::string organization_id;
  int64_t at_ms = 0;
  std::string actor_user_id;  // "" for a removed user
  std::string actor_email;
  std::string action;        // e.g. "api_key.create", "member.role_change", "login.new_address"
  std::string target;        // what it acted on: an id, an e-mail, an address
  std::string details_json;  // a JSON object, secrets removed
};

// One batched last-use time of a credential.
struct CredentialUse {
  std::string credential_id;
  int64_t used_at_ms = 0;
};

}  // namespace llmgw::accounts

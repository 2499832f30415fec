#pragma once
// The storage the accounts domain needs. Implementations: PgAccountStore (storage/),
// InMemoryAccountStore (the fake of the domain tests). Store errors carry canonical codes
// (kUnavailable: retry; kAlreadyExists: unique key taken).

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/accounts/domain/types.h"

namespace llmgw::accounts {

class AccountStore {
 public:
  virtual ~AccountStore() = default;

  // kAlreadyExists when lower(email) is taken.
  virtual absl::StatusOr<Organization> CreateOrganization(const std::string& name,
                                                          const std::string& email,
                                                          const std::string& password_hash,
                                                          int64_t created_at_ms) = 0;
  // Case-insensitive lookup; nullopt when unknown.
  virtual absl::StatusOr<std::optional<OrganizationRecord>> FindOrganizationByEmail(
      const std::string& email) = 0;
  // `id` must be a UUID; nullopt when unknown.
  virtual absl::StatusOr<std::optional<Organization>> GetOrganization(const std::string& id) = 0;
  virtual absl::Status UpdatePasswordHash(const std::string& organization_id,
                                          const std::string& password_hash) = 0;

  // Login throttling, keyed by lower-case email; shared by every replica through the store.
  virtual absl::StatusOr<LoginFailures> GetLoginFailures(const std::string& email_key) = 0;
  // Atomically: a window that started at or before `window_cutoff_ms` restarts at `now_ms` with
  // one failure; otherwise the count grows by one. Returns the new state.
  virtual absl::StatusOr<LoginFailures> RecordLoginFailure(const std::string& email_key,
                                                           int64_t now_ms,
                                                           int64_t window_cutoff_ms) = 0;
  virtual absl::Status ClearLoginFailures(const std::string& email_key) = 0;

  virtual absl::Status CreateSession(const std::string& organization_id,
                                     const std::string& token_hash, int64_t created_at_ms,
                                     int64_t expires_at_ms) = 0;
  virtual absl::StatusOr<std::optional<SessionRecord>> FindSession(
      const std::string& token_hash) = 0;
  // Idempotent: an unknown or already revoked session is not an error.
  virtual absl::Status RevokeSession(const std::string& token_hash, int64_t now_ms) = 0;

  virtual absl::StatusOr<Credential> CreateCredential(const NewCredential& credential) = 0;
  // Newest first.
  virtual absl::StatusOr<std::vector<Credential>> ListCredentials(
      const std::string& organization_id, CredentialKind kind) = 0;
  // `id` must be a UUID. nullopt when no credential of this kind has `id` in this organization.
  // Revoking a revoked credential returns it unchanged.
  virtual absl::StatusOr<std::optional<Credential>> RevokeCredential(
      const std::string& organization_id, CredentialKind kind, const std::string& id,
      int64_t now_ms) = 0;
  // One indexed lookup by the hash of the secret.
  virtual absl::StatusOr<std::optional<CredentialMatch>> FindCredentialByHash(
      CredentialKind kind, const std::string& secret_hash) = 0;
  // Sets last_used_at of every listed credential (never moving it backwards), in one statement.
  virtual absl::Status RecordCredentialUses(const std::vector<CredentialUse>& uses) = 0;
};

}  // namespace llmgw::accounts

#pragma once
// The storage the accounts domain needs. Implementations: PgAccountStore (storage/),
// InMemoryAccountStore (the fake of the domain tests). Store errors carry canonical codes
// (kUnavailable: retry; kAlreadyExists: unique key taken).

#include <functional>
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

  // The organization, its owner user and the owner membership, in one transaction.
  // kAlreadyExists when a user has lower(email).
  virtual absl::StatusOr<RegisteredOwner> CreateOrganizationWithOwner(
      const std::string& name, const std::string& email, const std::string& password_hash,
      int64_t created_at_ms) = 0;
  // kAlreadyExists when a user has lower(email).
  virtual absl::StatusOr<User> CreateUser(const std::string& name, const std::string& email,
                                          const std::string& password_hash,
                                          int64_t created_at_ms) = 0;
  // Case-insensitive lookup; nullopt when unknown.
  virtual absl::StatusOr<std::optional<UserRecord>> FindUserByEmail(const std::string& email) = 0;
  // `id` must be a UUID; nullopt when unknown.
  virtual absl::StatusOr<std::optional<Organization>> GetOrganization(const std::string& id) = 0;
  virtual absl::Status UpdatePasswordHash(const std::string& user_id,
                                          const std::string& password_hash) = 0;

  // The organizations of a user, oldest membership first.
  virtual absl::StatusOr<std::vector<Membership>> ListMemberships(const std::string& user_id) = 0;
  // The members of an organization, oldest first.
  virtual absl::StatusOr<std::vector<Member>> ListMembers(const std::string& organization_id) = 0;
  // The rule a membership change must pass, asked with the organization's memberships locked:
  // the actor's role there (empty: not a member), the target and the number of owners.
  using MembershipRule =
      std::function<absl::Status(std::optional<Role> actor, const Member& target, int owner_count)>;
  // Sets the role of `target_user_id` in the organization, or removes the membership when
  // `new_role` is empty, if `rule` allows it, atomically with the rule's inputs (two owners
  // demoting each other at once cannot leave none). nullopt when the target is not a member.
  virtual absl::StatusOr<std::optional<MemberChange>> ChangeMembership(
      const std::string& organization_id, const std::string& actor_user_id,
      const std::string& target_user_id, std::optional<Role> new_role,
      const MembershipRule& rule) = 0;

  virtual absl::StatusOr<Invitation> CreateInvitation(const NewInvitation& invitation) = 0;
  virtual absl::StatusOr<std::optional<Invitation>> FindInvitation(
      const std::string& token_hash) = 0;
  // Marks the invitation accepted and adds the membership in one transaction (a user already a
  // member keeps their role). false when it was already accepted: single use under races too.
  virtual absl::StatusOr<bool> AcceptInvitation(const Invitation& invitation,
                                                const std::string& user_id, int64_t now_ms) = 0;

  // Appends to the organization's audit log; returns the entry with its id.
  virtual absl::StatusOr<AuditEntry> RecordAudit(const AuditEntry& entry) = 0;
  // Newest first, at most `limit`, with ids below `before_id` (0: from the newest).
  virtual absl::StatusOr<std::vector<AuditEntry>> ListAudit(const std::string& organization_id,
                                                            int limit, int64_t before_id) = 0;
  // Remembers that the user logged in from `address`; true when it is the first time.
  virtual absl::StatusOr<bool> RememberLoginAddress(const std::string& user_id,
                                                    const std::string& address, int64_t now_ms) = 0;

  // Login throttling, by key (login_throttle.h); shared by every replica through the store.
  virtual absl::StatusOr<LoginFailures> GetLoginFailures(const std::string& email_key) = 0;
  // Atomically: a window that started at or before `window_cutoff_ms` restarts at `now_ms` with
  // one failure; otherwise the count grows by one. Returns the new state.
  virtual absl::StatusOr<LoginFailures> RecordLoginFailure(const std::string& email_key,
                                                           int64_t now_ms,
                                                           int64_t window_cutoff_ms) = 0;
  virtual absl::Status ClearLoginFailures(const std::string& email_key) = 0;

  virtual absl::Status CreateSession(const std::string& user_id, const std::string& organization_id,
                                     const std::string& token_hash, int64_t created_at_ms,
                                     int64_t expires_at_ms) = 0;
  // The organization a session acts in (switching organization).
  virtual absl::Status SetSessionOrganization(const std::string& token_hash,
                                              const std::string& organization_id) = 0;
  virtual absl::StatusOr<std::optional<SessionRecord>> FindSession(
      const std::string& token_hash) = 0;
  // Idempotent: an unknown or already revoked session is not an error.
  virtual absl::Status RevokeSession(const std::string& token_hash, int64_t now_ms) = 0;

  virtual absl::StatusOr<Credential> CreateCredential(const NewCredential& credential) = 0;
  // Newest first.
  virtual absl::StatusOr<std::vector<Credential>> ListCredentials(
      const std::string& organization_id, CredentialKind kind) = 0;
  // `id` must be a UUID. nullopt when no credential of this kind has `id` in this organization.
  // Revoking a revoked credential returns it unchanged. With `only_created_by` set, a
  // credential another user created is left as it is and kPermissionDenied returned.
  virtual absl::StatusOr<std::optional<Credential>> RevokeCredential(
      const std::string& organization_id, CredentialKind kind, const std::string& id,
      int64_t now_ms, const std::string& only_created_by) = 0;
  // Applies `patch` to the limits of a credential of this kind in this organization; nullopt when
  // there is none. With `only_created_by` set, another user's credential is left as it is and
  // kPermissionDenied returned.
  virtual absl::StatusOr<std::optional<Credential>> PatchCredentialLimits(
      const std::string& organization_id, CredentialKind kind, const std::string& id,
      const LimitsPatch& patch, const std::string& only_created_by) = 0;
  // The organization's limits (none set for an unknown organization).
  virtual absl::StatusOr<Limits> GetOrganizationLimits(const std::string& organization_id) = 0;
  // Applies `patch` and returns the limits as stored; nullopt for an unknown organization.
  virtual absl::StatusOr<std::optional<Limits>> PatchOrganizationLimits(
      const std::string& organization_id, const LimitsPatch& patch) = 0;
  // One indexed lookup by the hash of the secret, with the credential's and its organization's
  // limits.
  virtual absl::StatusOr<std::optional<CredentialMatch>> FindCredentialByHash(
      CredentialKind kind, const std::string& secret_hash) = 0;
  // Sets last_used_at of every listed credential (never moving it backwards), in one statement.
  virtual absl::Status RecordCredentialUses(const std::vector<CredentialUse>& uses) = 0;
};

}  // namespace llmgw::accounts

#pragma once
// A fake AccountStore for unit tests: the same contract as PgAccountStore, in memory.

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "services/accounts/domain/account_store.h"

namespace llmgw::accounts {

class InMemoryAccountStore final : public AccountStore {
 public:
  // AccountStore
  absl::StatusOr<RegisteredOwner> CreateOrganizationWithOwner(const std::string& name,
                                                              const std::string& email,
                                                              const std::string& password_hash,
                                                              int64_t created_at_ms) override;
  absl::StatusOr<User> CreateUser(const std::string& name, const std::string& email,
                                  const std::string& password_hash, int64_t created_at_ms) override;
  absl::StatusOr<std::optional<UserRecord>> FindUserByEmail(const std::string& email) override;
  absl::StatusOr<std::optional<Organization>> GetOrganization(const std::string& id) override;
  absl::Status UpdatePasswordHash(const std::string& user_id,
                                  const std::string& password_hash) override;
  absl::StatusOr<std::vector<Membership>> ListMemberships(const std::string& user_id) override;
  absl::StatusOr<std::vector<Member>> ListMembers(const std::string& organization_id) override;
  absl::StatusOr<std::optional<MemberChange>> ChangeMembership(const std::string& organization_id,
                                                               const std::string& actor_user_id,
                                                               const std::string& target_user_id,
                                                               std::optional<Role> new_role,
                                                               const MembershipRule& rule) override;
  absl::StatusOr<Invitation> CreateInvitation(const NewInvitation& invitation) override;
  absl::StatusOr<std::optional<Invitation>> FindInvitation(const std::string& token_hash) override;
  absl::StatusOr<bool> AcceptInvitation(const Invitation& invitation, const std::string& user_id,
                                        int64_t now_ms) override;
  absl::StatusOr<AuditEntry> RecordAudit(const AuditEntry& entry) override;
  absl::StatusOr<std::vector<AuditEntry>> ListAudit(const std::string& organization_id, int limit,
                                                    int64_t before_id) override;
  absl::StatusOr<bool> RememberLoginAddress(const std::string& user_id, const std::string& address,
                                            int64_t now_ms) override;
  absl::StatusOr<LoginFailures> GetLoginFailures(const std::string& key) override;
  absl::StatusOr<LoginFailures> RecordLoginFailure(const std::string& key, int64_t now_ms,
                                                   int64_t window_cutoff_ms) override;
  absl::Status ClearLoginFailures(const std::string& key) override;
  absl::Status CreateSession(const std::string& user_id, const std::string& organization_id,
                             const std::string& token_hash, int64_t created_at_ms,
                             int64_t expires_at_ms) override;
  absl::Status SetSessionOrganization(const std::string& token_hash,
                                      const std::string& organization_id) override;
  absl::StatusOr<std::optional<SessionRecord>> FindSession(const std::string& token_hash) override;
  absl::Status RevokeSession(const std::string& token_hash, int64_t now_ms) override;
  absl::StatusOr<Credential> CreateCredential(const NewCredential& credential) override;
  absl::StatusOr<std::vector<Credential>> ListCredentials(const std::string& organization_id,
                                                          CredentialKind kind) override;
  absl::StatusOr<std::optional<Credential>> RevokeCredential(
      const std::string& organization_id, CredentialKind kind, const std::string& id,
      int64_t now_ms, const std::string& only_created_by) override;
  absl::StatusOr<std::optional<CredentialMatch>> FindCredentialByHash(
      CredentialKind kind, const std::string& secret_hash) override;
  absl::Status RecordCredentialUses(const std::vector<CredentialUse>& uses) override;
  absl::StatusOr<std::optional<Credential>> PatchCredentialLimits(
      const std::string& organization_id, CredentialKind kind, const std::string& id,
      const LimitsPatch& patch, const std::string& only_created_by) override;
  absl::StatusOr<Limits> GetOrganizationLimits(const std::string& organization_id) override;
  absl::StatusOr<std::optional<Limits>> PatchOrganizationLimits(
      const std::string& organization_id, const LimitsPatch& patch) override;

  // Test hooks.
  int find_credential_calls() const;
  int record_uses_calls() const;
  // Every stored string, to check that no secret is kept in clear.
  std::vector<std::string> AllStoredStrings() const;
  // The next store calls fail with this status (OK: succeed again).
  void FailWith(absl::Status s);

 private:
  struct Session {
    std::string user_id;
    std::string organization_id;
    int64_t expires_at_ms = 0;
    bool revoked = false;
  };
  struct StoredMembership {
    std::string organization_id;
    std::string user_id;
    Role role = Role::kViewer;
    int64_t joined_at_ms = 0;
    int64_t seq = 0;
  };
  struct StoredInvitation {
    Invitation invitation;
    std::string token_hash;
  };
  const UserRecord* FindUserLocked(const std::string& email) const;
  std::vector<const StoredMembership*> MembershipsLocked(const std::string& org_or_user,
                                                         bool by_org) const;
  struct StoredCredential {
    Credential credential;
    std::string secret_hash;
    int64_t seq = 0;
  };

  mutable std::mutex mu_;
  absl::Status fail_;
  std::map<std::string, Organization> orgs_;  // by id
  std::map<std::string, UserRecord> users_;   // by id
  std::vector<StoredMembership> memberships_;
  std::vector<StoredInvitation> invitations_;
  std::vector<AuditEntry> audit_;
  std::map<std::string, int64_t> login_addresses_;  // user id + "|" + address
  std::map<std::string, LoginFailures> failures_;   // by email key
  std::map<std::string, Session> sessions_;         // by token hash
  std::vector<StoredCredential> credentials_;
  std::map<std::string, Limits> org_limits_;  // by organization id
  int64_t seq_ = 0;
  int find_credential_calls_ = 0;
  int record_uses_calls_ = 0;
};

}  // namespace llmgw::accounts

#pragma once
// AccountStore on PostgreSQL (schema accounts). Every query is a prepared statement registered
// by PrepareStatements, which the pool runs on each new connection:
//
//   pg::PoolOptions o{url};
//   o.on_connect = PgAccountStore::PrepareStatements;

#include <pqxx/pqxx>

#include "libs/pg/pool.h"
#include "services/accounts/domain/account_store.h"
#include "services/accounts/storage/migrations.h"

namespace llmgw::accounts {

class PgAccountStore final : public AccountStore {
 public:
  explicit PgAccountStore(pg::PgPool& pool) : pool_(pool) {}

  static void PrepareStatements(pqxx::connection& c);

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

 private:
  pg::PgPool& pool_;
};

}  // namespace llmgw::accounts

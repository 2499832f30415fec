#include "services/accounts/storage/pg_account_store.h"

#include "services/accounts/domain/validation.h"

namespace llmgw::accounts {
namespace {

// Unix milliseconds <-> timestamptz, exactly.
#define TS(p) "(timestamptz 'epoch' + " p "::bigint * interval '1 millisecond')"
#define MS(c) "(extract(epoch from " c ") * 1000)::bigint"
#define CREDENTIAL_COLUMNS                                                            \
  "id::text, organization_id::text, kind, name, display_prefix, revoked_at IS NULL, " \
  "COALESCE(" MS("last_used_at") ", 0), " MS("created_at") ", COALESCE(created_by::text, ''), " \
  LIMIT_COLUMNS
// The four limits, in LimitsFromRow's order (NULL: unset).
#define LIMIT_COLUMNS "rpm, tpm, daily_budget_nano, monthly_budget_nano"
// $n..$n+7: (set?, value) for rpm, tpm, daily, monthly: a limit not set keeps its value.
#define LIMIT_ASSIGNMENTS                                                                   \
  "rpm = CASE WHEN $5 THEN $6::bigint ELSE rpm END, "                                      \
  "tpm = CASE WHEN $7 THEN $8::bigint ELSE tpm END, "                                      \
  "daily_budget_nano = CASE WHEN $9 THEN $10::bigint ELSE daily_budget_nano END, "        \
  "monthly_budget_nano = CASE WHEN $11 THEN $12::bigint ELSE monthly_budget_nano END"
#define INVITATION_COLUMNS                                                             \
  "id::text, organization_id::text, email, role, COALESCE(invited_by::text, ''), " MS( \
      "created_at") ", " MS("expires_at") ", COALESCE(" MS("accepted_at") ", 0)"

const char* KindName(CredentialKind kind) {
  return kind == CredentialKind::kMonitorToken ? "monitor_token" : "api_key";
}

std::optional<int64_t> OptionalInt(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<int64_t>();
}

Limits LimitsFromRow(const pqxx::row& r, int at) {
  return Limits{OptionalInt(r[at]), OptionalInt(r[at + 1]), OptionalInt(r[at + 2]),
                OptionalInt(r[at + 3])};
}

Credential CredentialFromRow(const pqxx::row& r) {
  Credential c;
  c.id = r[0].as<std::string>();
  c.organization_id = r[1].as<std::string>();
  c.kind = r[2].as<std::string>() == "monitor_token" ? CredentialKind::kMonitorToken
                                                     : CredentialKind::kApiKey;
  c.name = r[3].as<std::string>();
  c.prefix = r[4].as<std::string>();
  c.active = r[5].as<bool>();
  c.last_used_at_ms = r[6].as<int64_t>();
  c.created_at_ms = r[7].as<int64_t>();
  c.created_by_user_id = r[8].as<std::string>();
  c.limits = LimitsFromRow(r, 9);
  return c;
}

User UserFromRow(const pqxx::row& r, int at = 0) {
  return User{r[at].as<std::string>(), r[at + 1].as<std::string>(), r[at + 2].as<std::string>(),
              r[at + 3].as<int64_t>()};
}

Role RoleFromText(const std::string& text) { return ParseRole(text).value_or(Role::kViewer); }

Invitation InvitationFromRow(const pqxx::row& r) {
  return Invitation{r[0].as<std::string>(), r[1].as<std::string>(),
                    r[2].as<std::string>(), RoleFromText(r[3].as<std::string>()),
                    r[4].as<std::string>(), r[5].as<int64_t>(),
                    r[6].as<int64_t>(),     r[7].as<int64_t>()};
}

Organization OrganizationFromRow(const pqxx::row& r) {
  return Organization{r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(),
                      r[3].as<int64_t>()};
}

}  // namespace

namespace {

// Credentials: create, list, revoke, their limits, and the gateway's validation lookup.
void PrepareCredentialStatements(pqxx::connection& c) {
  c.prepare("accounts_create_credential",
            "INSERT INTO accounts.credentials "
            "(organization_id, kind, name, display_prefix, secret_hash, created_at, created_by) "
            "VALUES ($1::uuid, $2, $3, $4, $5, " TS("$6") ", NULLIF($7, '')::uuid) "
            "RETURNING " CREDENTIAL_COLUMNS);
  c.prepare("accounts_list_credentials",
            "SELECT " CREDENTIAL_COLUMNS
            " FROM accounts.credentials "
            "WHERE organization_id = $1::uuid AND kind = $2 ORDER BY created_at DESC, seq DESC");
  // $5 = '': any creator; otherwise only a credential that user created is revoked.
  c.prepare("accounts_revoke_credential",
            "UPDATE accounts.credentials SET revoked_at = COALESCE(revoked_at, " TS("$4") ") "
            "WHERE organization_id = $1::uuid AND kind = $2 AND id = $3::uuid "
            "AND ($5 = '' OR created_by = NULLIF($5, '')::uuid) RETURNING " CREDENTIAL_COLUMNS);
  c.prepare("accounts_credential_exists",
            "SELECT 1 FROM accounts.credentials "
            "WHERE organization_id = $1::uuid AND kind = $2 AND id = $3::uuid");
  // The validation hot path: one lookup on the unique index of secret_hash.
  c.prepare("accounts_find_credential_by_hash",
            "SELECT c.id::text, c.organization_id::text, c.revoked_at IS NULL, c.rpm, c.tpm, "
            "c.daily_budget_nano, c.monthly_budget_nano, o.rpm, o.tpm, o.daily_budget_nano, "
            "o.monthly_budget_nano FROM accounts.credentials c "
            "JOIN accounts.organizations o ON o.id = c.organization_id "
            "WHERE c.secret_hash = $1 AND c.kind = $2");
  // $4 = '': any creator (as accounts_revoke_credential).
  c.prepare("accounts_patch_credential_limits",
            "UPDATE accounts.credentials SET " LIMIT_ASSIGNMENTS
            " WHERE organization_id = $1::uuid AND kind = $2 AND id = $3::uuid "
            "AND ($4 = '' OR created_by = NULLIF($4, '')::uuid) RETURNING " CREDENTIAL_COLUMNS);
  c.prepare("accounts_get_org_limits",
            "SELECT " LIMIT_COLUMNS " FROM accounts.organizations WHERE id = $1::uuid");
  c.prepare("accounts_patch_org_limits",
            "UPDATE accounts.organizations SET " LIMIT_ASSIGNMENTS
            " WHERE id = $1::uuid AND $2 = $2 AND $3 = $3 AND $4 = $4 RETURNING " LIMIT_COLUMNS);
  c.prepare("accounts_record_credential_uses",
            "UPDATE accounts.credentials c SET last_used_at = GREATEST(c.last_used_at, "
            "timestamptz 'epoch' + u.ms * interval '1 millisecond') "
            "FROM unnest($1::uuid[], $2::bigint[]) AS u(id, ms) WHERE c.id = u.id");
}

}  // namespace

void PgAccountStore::PrepareStatements(pqxx::connection& c) {
  c.prepare("accounts_create_org",
            "INSERT INTO accounts.organizations (name, email, created_at) "
            "VALUES ($1, $2, " TS("$3") ") RETURNING id::text, " MS("created_at"));
  c.prepare("accounts_create_user",
            "INSERT INTO accounts.users (name, email, password_hash, created_at) "
            "VALUES ($1, $2, $3, " TS("$4") ") RETURNING id::text, " MS("created_at"));
  c.prepare("accounts_add_membership",
            "INSERT INTO accounts.memberships (organization_id, user_id, role, created_at) "
            "VALUES ($1::uuid, $2::uuid, $3, " TS("$4") ") ON CONFLICT DO NOTHING");
  c.prepare("accounts_find_user_by_email",
            "SELECT id::text, name, email, " MS("created_at") ", password_hash "
            "FROM accounts.users WHERE lower(email) = lower($1)");
  c.prepare("accounts_get_org",
            "SELECT id::text, name, email, " MS("created_at") " "
            "FROM accounts.organizations WHERE id = $1::uuid");
  c.prepare("accounts_update_password",
            "UPDATE accounts.users SET password_hash = $2 WHERE id = $1::uuid");
  c.prepare("accounts_list_memberships",
            "SELECT o.id::text, o.name, o.email, " MS("o.created_at") ", m.role, "
            MS("m.created_at") " FROM accounts.memberships m "
            "JOIN accounts.organizations o ON o.id = m.organization_id "
            "WHERE m.user_id = $1::uuid ORDER BY m.created_at, m.seq");
  c.prepare("accounts_list_members",
            "SELECT u.id::text, u.name, u.email, " MS("u.created_at") ", m.role, "
            MS("m.created_at") " FROM accounts.memberships m "
            "JOIN accounts.users u ON u.id = m.user_id "
            "WHERE m.organization_id = $1::uuid ORDER BY m.created_at, m.seq");
  // Every membership of the organization, locked: the membership rule sees a stable picture.
  c.prepare("accounts_lock_members",
            "SELECT u.id::text, u.name, u.email, " MS("u.created_at") ", m.role, "
            MS("m.created_at") " FROM accounts.memberships m "
            "JOIN accounts.users u ON u.id = m.user_id "
            "WHERE m.organization_id = $1::uuid ORDER BY m.seq FOR UPDATE OF m");
  c.prepare("accounts_set_role",
            "UPDATE accounts.memberships SET role = $3 "
            "WHERE organization_id = $1::uuid AND user_id = $2::uuid");
  c.prepare(
      "accounts_remove_membership",
      "DELETE FROM accounts.memberships WHERE organization_id = $1::uuid AND user_id = $2::uuid");
  c.prepare("accounts_create_invitation",
            "INSERT INTO accounts.invitations (organization_id, email, role, token_hash, "
            "invited_by, created_at, expires_at) VALUES ($1::uuid, $2, $3, $4, "
            "NULLIF($5, '')::uuid, " TS("$6") ", " TS("$7") ") RETURNING " INVITATION_COLUMNS);
  c.prepare("accounts_find_invitation",
            "SELECT " INVITATION_COLUMNS " FROM accounts.invitations WHERE token_hash = $1");
  c.prepare("accounts_accept_invitation",
            "UPDATE accounts.invitations SET accepted_at = " TS("$2") " "
            "WHERE id = $1::uuid AND accepted_at IS NULL");
  c.prepare("accounts_record_audit",
            "INSERT INTO accounts.audit_log (organization_id, at, actor_user_id, actor_email, "
            "action, target, details) VALUES ($1::uuid, " TS("$2") ", NULLIF($3, '')::uuid, $4, "
            "$5, $6, $7::jsonb) RETURNING id");
  c.prepare("accounts_list_audit",
            "SELECT id, organization_id::text, " MS("at") ", COALESCE(actor_user_id::text, ''), "
            "actor_email, action, target, details::text FROM accounts.audit_log "
            "WHERE organization_id = $1::uuid AND ($3::bigint = 0 OR id < $3::bigint) "
            "ORDER BY id DESC LIMIT $2");
  c.prepare("accounts_remember_login_address",
            "INSERT INTO accounts.login_addresses (user_id, address, first_seen_at) "
            "VALUES ($1::uuid, $2, " TS("$3") ") ON CONFLICT DO NOTHING");
  c.prepare("accounts_get_login_failures",
            "SELECT failure_count, " MS("window_started_at") " "
            "FROM accounts.login_failures WHERE email_key = $1");
  c.prepare("accounts_record_login_failure",
            "INSERT INTO accounts.login_failures AS f (email_key, failure_count, window_started_at) "
            "VALUES ($1, 1, " TS("$2") ") ON CONFLICT (email_key) DO UPDATE SET "
            "failure_count = CASE WHEN f.window_started_at <= " TS("$3") " THEN 1 "
            "ELSE f.failure_count + 1 END, "
            "window_started_at = CASE WHEN f.window_started_at <= " TS("$3") " THEN " TS("$2") " "
            "ELSE f.window_started_at END "
            "RETURNING failure_count, " MS("window_started_at"));
  c.prepare("accounts_clear_login_failures",
            "DELETE FROM accounts.login_failures WHERE email_key = $1");
  c.prepare("accounts_create_session",
            "INSERT INTO accounts.sessions (user_id, organization_id, token_hash, created_at, "
            "expires_at) VALUES ($1::uuid, $2::uuid, $3, " TS("$4") ", " TS("$5") ")");
  c.prepare("accounts_set_session_org",
            "UPDATE accounts.sessions SET organization_id = $2::uuid WHERE token_hash = $1");
  // One indexed lookup per request: the session, its organization, its user and the role.
  c.prepare("accounts_find_session",
            "SELECT o.id::text, o.name, o.email, " MS("o.created_at") ", " MS("s.expires_at") ", "
            "s.revoked_at IS NOT NULL, u.id::text, u.name, u.email, " MS("u.created_at") ", "
            "COALESCE(m.role, '') FROM accounts.sessions s "
            "JOIN accounts.organizations o ON o.id = s.organization_id "
            "JOIN accounts.users u ON u.id = s.user_id "
            "LEFT JOIN accounts.memberships m "
            "ON m.organization_id = s.organization_id AND m.user_id = s.user_id "
            "WHERE s.token_hash = $1");
  c.prepare("accounts_revoke_session",
            "UPDATE accounts.sessions SET revoked_at = " TS("$2") " "
            "WHERE token_hash = $1 AND revoked_at IS NULL");
  PrepareCredentialStatements(c);
}

absl::StatusOr<RegisteredOwner> PgAccountStore::CreateOrganizationWithOwner(
    const std::string& name, const std::string& email, const std::string& password_hash,
    int64_t created_at_ms) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<RegisteredOwner> {
    pqxx::work tx(c);
    pqxx::result u =
        tx.exec_prepared("accounts_create_user", name, email, password_hash, created_at_ms);
    pqxx::result o = tx.exec_prepared("accounts_create_org", name, email, created_at_ms);
    RegisteredOwner out{Organization{o[0][0].as<std::string>(), name, email, o[0][1].as<int64_t>()},
                        User{u[0][0].as<std::string>(), name, email, u[0][1].as<int64_t>()}};
    tx.exec_prepared("accounts_add_membership", out.organization.id, out.user.id,
                     RoleName(Role::kOwner), created_at_ms);
    tx.commit();
    return out;
  });
}

absl::StatusOr<User> PgAccountStore::CreateUser(const std::string& name, const std::string& email,
                                                const std::string& password_hash,
                                                int64_t created_at_ms) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<User> {
    pqxx::nontransaction tx(c);
    pqxx::result r =
        tx.exec_prepared("accounts_create_user", name, email, password_hash, created_at_ms);
    return User{r[0][0].as<std::string>(), name, email, r[0][1].as<int64_t>()};
  });
}

absl::StatusOr<std::optional<UserRecord>> PgAccountStore::FindUserByEmail(
    const std::string& email) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<std::optional<UserRecord>> {
    pqxx::nontransaction tx(c);
    pqxx::result r = tx.exec_prepared("accounts_find_user_by_email", email);
    if (r.empty()) return std::nullopt;
    return UserRecord{UserFromRow(r[0]), r[0][4].as<std::string>()};
  });
}

absl::StatusOr<std::vector<Membership>> PgAccountStore::ListMemberships(
    const std::string& user_id) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<std::vector<Membership>> {
    pqxx::nontransaction tx(c);
    pqxx::result r = tx.exec_prepared("accounts_list_memberships", user_id);
    std::vector<Membership> out;
    for (const auto& row : r) {
      out.push_back(Membership{OrganizationFromRow(row), RoleFromText(row[4].as<std::string>()),
                               row[5].as<int64_t>()});
    }
    return out;
  });
}

namespace {
std::vector<Member> MembersFromResult(const pqxx::result& r) {
  std::vector<Member> out;
  for (const auto& row : r) {
    out.push_back(
        Member{UserFromRow(row), RoleFromText(row[4].as<std::string>()), row[5].as<int64_t>()});
  }
  return out;
}
}  // namespace

absl::StatusOr<std::vector<Member>> PgAccountStore::ListMembers(
    const std::string& organization_id) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<std::vector<Member>> {
    pqxx::nontransaction tx(c);
    return MembersFromResult(tx.exec_prepared("accounts_list_members", organization_id));
  });
}

absl::StatusOr<std::optional<MemberChange>> PgAccountStore::ChangeMembership(
    const std::string& organization_id, const std::string& actor_user_id,
    const std::string& target_user_id, std::optional<Role> new_role, const MembershipRule& rule) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<std::optional<MemberChange>> {
    pqxx::work tx(c);
    std::vector<Member> members =
        MembersFromResult(tx.exec_prepared("accounts_lock_members", organization_id));
    std::optional<Role> actor;
    const Member* target = nullptr;
    int owners = 0;
    for (const Member& m : members) {
      if (m.user.id == actor_user_id) actor = m.role;
      if (m.user.id == target_user_id) target = &m;
      if (m.role == Role::kOwner) ++owners;
    }
    if (target == nullptr) return std::nullopt;
    if (absl::Status s = rule(actor, *target, owners); !s.ok()) return s;
    if (new_role.has_value()) {
      tx.exec_prepared("accounts_set_role", organization_id, target_user_id, RoleName(*new_role));
    } else {
      tx.exec_prepared("accounts_remove_membership", organization_id, target_user_id);
    }
    MemberChange change{*target, new_role};
    tx.commit();
    return change;
  });
}

absl::StatusOr<Invitation> PgAccountStore::CreateInvitation(const NewInvitation& n) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<Invitation> {
    pqxx::nontransaction tx(c);
    pqxx::result r =
        tx.exec_prepared("accounts_create_invitation", n.organization_id, n.email, RoleName(n.role),
                         n.token_hash, n.invited_by_user_id, n.created_at_ms, n.expires_at_ms);
    return InvitationFromRow(r[0]);
  });
}

absl::StatusOr<std::optional<Invitation>> PgAccountStore::FindInvitation(
    const std::string& token_hash) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<std::optional<Invitation>> {
    pqxx::nontransaction tx(c);
    pqxx::result r = tx.exec_prepared("accounts_find_invitation", token_hash);
    if (r.empty()) return std::nullopt;
    return InvitationFromRow(r[0]);
  });
}

absl::StatusOr<bool> PgAccountStore::AcceptInvitation(const Invitation& invitation,
                                                      const std::string& user_id, int64_t now_ms) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<bool> {
    pqxx::work tx(c);
    pqxx::result r = tx.exec_prepared("accounts_accept_invitation", invitation.id, now_ms);
    if (r.affected_rows() == 0) return false;
    tx.exec_prepared("accounts_add_membership", invitation.organization_id, user_id,
                     RoleName(invitation.role), now_ms);
    tx.commit();
    return true;
  });
}

absl::StatusOr<std::optional<Organization>> PgAccountStore::GetOrganization(const std::string& id) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<std::optional<Organization>> {
    pqxx::nontransaction tx(c);
    pqxx::result r = tx.exec_prepared("accounts_get_org", id);
    if (r.empty()) return std::nullopt;
    return OrganizationFromRow(r[0]);
  });
}

absl::Status PgAccountStore::UpdatePasswordHash(const std::string& user_id,
                                                const std::string& password_hash) {
  return pool_.Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    tx.exec_prepared("accounts_update_password", user_id, password_hash);
    return absl::OkStatus();
  });
}

absl::StatusOr<AuditEntry> PgAccountStore::RecordAudit(const AuditEntry& e) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<AuditEntry> {
    pqxx::nontransaction tx(c);
    pqxx::result r =
        tx.exec_prepared("accounts_record_audit", e.organization_id, e.at_ms, e.actor_user_id,
                         e.actor_email, e.action, e.target, e.details_json);
    AuditEntry out = e;
    out.id = r[0][0].as<int64_t>();
    return out;
  });
}

absl::StatusOr<std::vector<AuditEntry>> PgAccountStore::ListAudit(
    const std::string& organization_id, int limit, int64_t before_id) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<std::vector<AuditEntry>> {
    pqxx::nontransaction tx(c);
    pqxx::result r = tx.exec_prepared("accounts_list_audit", organization_id, limit, before_id);
    std::vector<AuditEntry> out;
    for (const auto& row : r) {
      out.push_back(AuditEntry{row[0].as<int64_t>(), row[1].as<std::string>(), row[2].as<int64_t>(),
                               row[3].as<std::string>(), row[4].as<std::string>(),
                               row[5].as<std::string>(), row[6].as<std::string>(),
                               row[7].as<std::string>()});
    }
    return out;
  });
}

absl::StatusOr<bool> PgAccountStore::RememberLoginAddress(const std::string& user_id,
                                                          const std::string& address,
                                                          int64_t now_ms) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<bool> {
    pqxx::nontransaction tx(c);
    pqxx::result r = tx.exec_prepared("accounts_remember_login_address", user_id, address, now_ms);
    return r.affected_rows() == 1;
  });
}

absl::StatusOr<LoginFailures> PgAccountStore::GetLoginFailures(const std::string& email_key) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<LoginFailures> {
    pqxx::nontransaction tx(c);
    pqxx::result r = tx.exec_prepared("accounts_get_login_failures", email_key);
    if (r.empty()) return LoginFailures{};
    return LoginFailures{r[0][0].as<int>(), r[0][1].as<int64_t>()};
  });
}

absl::StatusOr<LoginFailures> PgAccountStore::RecordLoginFailure(const std::string& email_key,
                                                                 int64_t now_ms,
                                                                 int64_t window_cutoff_ms) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<LoginFailures> {
    pqxx::nontransaction tx(c);
    pqxx::result r =
        tx.exec_prepared("accounts_record_login_failure", email_key, now_ms, window_cutoff_ms);
    return LoginFailures{r[0][0].as<int>(), r[0][1].as<int64_t>()};
  });
}

absl::Status PgAccountStore::ClearLoginFailures(const std::string& email_key) {
  return pool_.Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    tx.exec_prepared("accounts_clear_login_failures", email_key);
    return absl::OkStatus();
  });
}

absl::Status PgAccountStore::CreateSession(const std::string& user_id,
                                           const std::string& organization_id,
                                           const std::string& token_hash, int64_t created_at_ms,
                                           int64_t expires_at_ms) {
  return pool_.Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    tx.exec_prepared("accounts_create_session", user_id, organization_id, token_hash, created_at_ms,
                     expires_at_ms);
    return absl::OkStatus();
  });
}

absl::Status PgAccountStore::SetSessionOrganization(const std::string& token_hash,
                                                    const std::string& organization_id) {
  return pool_.Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    tx.exec_prepared("accounts_set_session_org", token_hash, organization_id);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<SessionRecord>> PgAccountStore::FindSession(
    const std::string& token_hash) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<std::optional<SessionRecord>> {
    pqxx::nontransaction tx(c);
    pqxx::result r = tx.exec_prepared("accounts_find_session", token_hash);
    if (r.empty()) return std::nullopt;
    std::string role = r[0][10].as<std::string>();
    return SessionRecord{OrganizationFromRow(r[0]), UserFromRow(r[0], 6),
                         role.empty() ? std::nullopt : ParseRole(role), r[0][4].as<int64_t>(),
                         r[0][5].as<bool>()};
  });
}

absl::Status PgAccountStore::RevokeSession(const std::string& token_hash, int64_t now_ms) {
  return pool_.Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    tx.exec_prepared("accounts_revoke_session", token_hash, now_ms);
    return absl::OkStatus();
  });
}

absl::StatusOr<Credential> PgAccountStore::CreateCredential(const NewCredential& n) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<Credential> {
    pqxx::nontransaction tx(c);
    pqxx::result r =
        tx.exec_prepared("accounts_create_credential", n.organization_id, KindName(n.kind), n.name,
                         n.prefix, n.secret_hash, n.created_at_ms, n.created_by_user_id);
    return CredentialFromRow(r[0]);
  });
}

absl::StatusOr<std::vector<Credential>> PgAccountStore::ListCredentials(
    const std::string& organization_id, CredentialKind kind) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<std::vector<Credential>> {
    pqxx::nontransaction tx(c);
    pqxx::result r = tx.exec_prepared("accounts_list_credentials", organization_id, KindName(kind));
    std::vector<Credential> out;
    out.reserve(r.size());
    for (const auto& row : r) out.push_back(CredentialFromRow(row));
    return out;
  });
}

absl::StatusOr<std::optional<Credential>> PgAccountStore::RevokeCredential(
    const std::string& organization_id, CredentialKind kind, const std::string& id, int64_t now_ms,
    const std::string& only_created_by) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<std::optional<Credential>> {
    pqxx::nontransaction tx(c);
    pqxx::result r = tx.exec_prepared("accounts_revoke_credential", organization_id, KindName(kind),
                                      id, now_ms, only_created_by);
    if (!r.empty()) return CredentialFromRow(r[0]);
    if (!only_created_by.empty() &&
        !tx.exec_prepared("accounts_credential_exists", organization_id, KindName(kind), id)
             .empty()) {
      return absl::PermissionDeniedError("created by another user");
    }
    return std::nullopt;
  });
}

absl::StatusOr<std::optional<CredentialMatch>> PgAccountStore::FindCredentialByHash(
    CredentialKind kind, const std::string& secret_hash) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<std::optional<CredentialMatch>> {
    pqxx::nontransaction tx(c);
    pqxx::result r =
        tx.exec_prepared("accounts_find_credential_by_hash", secret_hash, KindName(kind));
    if (r.empty()) return std::nullopt;
    CredentialMatch m{r[0][0].as<std::string>(), r[0][1].as<std::string>(), r[0][2].as<bool>()};
    m.limits = LimitsFromRow(r[0], 3);
    m.organization_limits = LimitsFromRow(r[0], 7);
    return m;
  });
}

absl::StatusOr<std::optional<Credential>> PgAccountStore::PatchCredentialLimits(
    const std::string& organization_id, CredentialKind kind, const std::string& id,
    const LimitsPatch& p, const std::string& only_created_by) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<std::optional<Credential>> {
    pqxx::nontransaction tx(c);
    const Limits& v = p.values;
    pqxx::result r = tx.exec_prepared("accounts_patch_credential_limits", organization_id,
                                      KindName(kind), id, only_created_by, p.set_rpm, v.rpm,
                                      p.set_tpm, v.tpm, p.set_daily, v.daily_budget_nano,
                                      p.set_monthly, v.monthly_budget_nano);
    if (!r.empty()) return CredentialFromRow(r[0]);
    if (!only_created_by.empty() &&
        !tx.exec_prepared("accounts_credential_exists", organization_id, KindName(kind), id)
             .empty()) {
      return absl::PermissionDeniedError("created by another user");
    }
    return std::nullopt;
  });
}

absl::StatusOr<Limits> PgAccountStore::GetOrganizationLimits(const std::string& organization_id) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<Limits> {
    pqxx::nontransaction tx(c);
    pqxx::result r = tx.exec_prepared("accounts_get_org_limits", organization_id);
    if (r.empty()) return Limits{};
    return LimitsFromRow(r[0], 0);
  });
}

absl::StatusOr<std::optional<Limits>> PgAccountStore::PatchOrganizationLimits(
    const std::string& organization_id, const LimitsPatch& p) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<std::optional<Limits>> {
    pqxx::nontransaction tx(c);
    const Limits& v = p.values;
    // $2..$4 are unused placeholders so both statements share LIMIT_ASSIGNMENTS' numbering.
    pqxx::result r = tx.exec_prepared("accounts_patch_org_limits", organization_id, "", "", "",
                                      p.set_rpm, v.rpm, p.set_tpm, v.tpm, p.set_daily,
                                      v.daily_budget_nano, p.set_monthly, v.monthly_budget_nano);
    if (r.empty()) return std::nullopt;
    return LimitsFromRow(r[0], 0);
  });
}

absl::Status PgAccountStore::RecordCredentialUses(const std::vector<CredentialUse>& uses) {
  // Array literals: UUIDs and integers need no quoting (anything else is skipped).
  std::string ids = "{";
  std::string times = "{";
  size_t n = 0;
  for (const CredentialUse& u : uses) {
    if (!IsUuid(u.credential_id)) continue;
    if (n++ > 0) {
      ids += ',';
      times += ',';
    }
    ids += u.credential_id;
    times += std::to_string(u.used_at_ms);
  }
  if (n == 0) return absl::OkStatus();
  ids += '}';
  times += '}';
  return pool_.Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    tx.exec_prepared("accounts_record_credential_uses", ids, times);
    return absl::OkStatus();
  });
}

#undef TS
#undef MS
#undef CREDENTIAL_COLUMNS
#undef INVITATION_COLUMNS

}  // namespace llmgw::accounts

#include "services/accounts/storage/pg_account_store.h"

#include "services/accounts/domain/validation.h"

namespace llmgw::accounts {
namespace {

// Unix milliseconds <-> timestamptz, exactly.
#define TS(p) "(timestamptz 'epoch' + " p "::bigint * interval '1 millisecond')"
#define MS(c) "(extract(epoch from " c ") * 1000)::bigint"
#define CREDENTIAL_COLUMNS                                                            \
  "id::text, organization_id::text, kind, name, display_prefix, revoked_at IS NULL, " \
  "COALESCE(" MS("last_used_at") ", 0), " MS("created_at")

const char* KindName(CredentialKind kind) {
  return kind == CredentialKind::kMonitorToken ? "monitor_token" : "api_key";
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
  return c;
}

Organization OrganizationFromRow(const pqxx::row& r) {
  return Organization{r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(),
                      r[3].as<int64_t>()};
}

}  // namespace

void PgAccountStore::PrepareStatements(pqxx::connection& c) {
  c.prepare("accounts_create_org",
            "INSERT INTO accounts.organizations (name, email, password_hash, created_at) "
            "VALUES ($1, $2, $3, " TS("$4") ") RETURNING id::text, " MS("created_at"));
  c.prepare("accounts_find_org_by_email",
            "SELECT id::text, name, email, " MS("created_at") ", password_hash "
            "FROM accounts.organizations WHERE lower(email) = lower($1)");
  c.prepare("accounts_get_org",
            "SELECT id::text, name, email, " MS("created_at") " "
            "FROM accounts.organizations WHERE id = $1::uuid");
  c.prepare("accounts_update_password",
            "UPDATE accounts.organizations SET password_hash = $2 WHERE id = $1::uuid");
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
            "INSERT INTO accounts.sessions (organization_id, token_hash, created_at, expires_at) "
            "VALUES ($1::uuid, $2, " TS("$3") ", " TS("$4") ")");
  c.prepare("accounts_find_session",
            "SELECT o.id::text, o.name, o.email, " MS("o.created_at") ", " MS("s.expires_at") ", "
            "s.revoked_at IS NOT NULL FROM accounts.sessions s "
            "JOIN accounts.organizations o ON o.id = s.organization_id WHERE s.token_hash = $1");
  c.prepare("accounts_revoke_session",
            "UPDATE accounts.sessions SET revoked_at = " TS("$2") " "
            "WHERE token_hash = $1 AND revoked_at IS NULL");
  c.prepare("accounts_create_credential",
            "INSERT INTO accounts.credentials "
            "(organization_id, kind, name, display_prefix, secret_hash, created_at) "
            "VALUES ($1::uuid, $2, $3, $4, $5, " TS("$6") ") RETURNING " CREDENTIAL_COLUMNS);
  c.prepare("accounts_list_credentials",
            "SELECT " CREDENTIAL_COLUMNS
            " FROM accounts.credentials "
            "WHERE organization_id = $1::uuid AND kind = $2 ORDER BY created_at DESC, seq DESC");
  c.prepare("accounts_revoke_credential",
            "UPDATE accounts.credentials SET revoked_at = COALESCE(revoked_at, " TS("$4") ") "
            "WHERE organization_id = $1::uuid AND kind = $2 AND id = $3::uuid "
            "RETURNING " CREDENTIAL_COLUMNS);
  // The validation hot path: one lookup on the unique index of secret_hash.
  c.prepare("accounts_find_credential_by_hash",
            "SELECT id::text, organization_id::text, revoked_at IS NULL "
            "FROM accounts.credentials WHERE secret_hash = $1 AND kind = $2");
  c.prepare("accounts_record_credential_uses",
            "UPDATE accounts.credentials c SET last_used_at = GREATEST(c.last_used_at, "
            "timestamptz 'epoch' + u.ms * interval '1 millisecond') "
            "FROM unnest($1::uuid[], $2::bigint[]) AS u(id, ms) WHERE c.id = u.id");
}

absl::StatusOr<Organization> PgAccountStore::CreateOrganization(const std::string& name,
                                                                const std::string& email,
                                                                const std::string& password_hash,
                                                                int64_t created_at_ms) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<Organization> {
    pqxx::nontransaction tx(c);
    pqxx::result r =
        tx.exec_prepared("accounts_create_org", name, email, password_hash, created_at_ms);
    return Organization{r[0][0].as<std::string>(), name, email, r[0][1].as<int64_t>()};
  });
}

absl::StatusOr<std::optional<OrganizationRecord>> PgAccountStore::FindOrganizationByEmail(
    const std::string& email) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<std::optional<OrganizationRecord>> {
    pqxx::nontransaction tx(c);
    pqxx::result r = tx.exec_prepared("accounts_find_org_by_email", email);
    if (r.empty()) return std::nullopt;
    return OrganizationRecord{OrganizationFromRow(r[0]), r[0][4].as<std::string>()};
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

absl::Status PgAccountStore::UpdatePasswordHash(const std::string& organization_id,
                                                const std::string& password_hash) {
  return pool_.Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    tx.exec_prepared("accounts_update_password", organization_id, password_hash);
    return absl::OkStatus();
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

absl::Status PgAccountStore::CreateSession(const std::string& organization_id,
                                           const std::string& token_hash, int64_t created_at_ms,
                                           int64_t expires_at_ms) {
  return pool_.Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::nontransaction tx(c);
    tx.exec_prepared("accounts_create_session", organization_id, token_hash, created_at_ms,
                     expires_at_ms);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<SessionRecord>> PgAccountStore::FindSession(
    const std::string& token_hash) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<std::optional<SessionRecord>> {
    pqxx::nontransaction tx(c);
    pqxx::result r = tx.exec_prepared("accounts_find_session", token_hash);
    if (r.empty()) return std::nullopt;
    return SessionRecord{OrganizationFromRow(r[0]), r[0][4].as<int64_t>(), r[0][5].as<bool>()};
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
                         n.prefix, n.secret_hash, n.created_at_ms);
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
    const std::string& organization_id, CredentialKind kind, const std::string& id,
    int64_t now_ms) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<std::optional<Credential>> {
    pqxx::nontransaction tx(c);
    pqxx::result r =
        tx.exec_prepared("accounts_revoke_credential", organization_id, KindName(kind), id, now_ms);
    if (r.empty()) return std::nullopt;
    return CredentialFromRow(r[0]);
  });
}

absl::StatusOr<std::optional<CredentialMatch>> PgAccountStore::FindCredentialByHash(
    CredentialKind kind, const std::string& secret_hash) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<std::optional<CredentialMatch>> {
    pqxx::nontransaction tx(c);
    pqxx::result r =
        tx.exec_prepared("accounts_find_credential_by_hash", secret_hash, KindName(kind));
    if (r.empty()) return std::nullopt;
    return CredentialMatch{r[0][0].as<std::string>(), r[0][1].as<std::string>(),
                           r[0][2].as<bool>()};
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

}  // namespace llmgw::accounts

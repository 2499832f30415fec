#include "services/accounts/domain/account_service.h"

#include "libs/common/crypto.h"
#include "libs/common/status_macros.h"
#include "services/accounts/domain/tokens.h"
#include "services/accounts/domain/validation.h"

namespace llmgw::accounts {
namespace {

absl::Status OrganizationNotFound() { return absl::NotFoundError("organization not found"); }
absl::Status BadSession() { return absl::UnauthenticatedError("invalid or expired session"); }

}  // namespace

AccountService::AccountService(AccountStore& store, const Clock& clock,
                               AccountServiceOptions options)
    : store_(store),
      clock_(clock),
      options_(std::move(options)),
      dummy_hash_(HashPassword(crypto::RandomBase62(32), options_.password_iterations)),
      last_used_(store) {}

absl::StatusOr<Organization> AccountService::Register(std::string_view name, std::string_view email,
                                                      std::string_view password) {
  LLMGW_ASSIGN_OR_RETURN(std::string clean_name, NormalizeOrganizationName(name));
  LLMGW_ASSIGN_OR_RETURN(std::string clean_email, NormalizeEmail(email));
  LLMGW_RETURN_IF_ERROR(ValidatePassword(password));
  std::string hash = HashPassword(password, options_.password_iterations);
  absl::StatusOr<Organization> org =
      store_.CreateOrganization(clean_name, clean_email, hash, clock_.NowUnixMs());
  if (org.status().code() == absl::StatusCode::kAlreadyExists) {
    return absl::AlreadyExistsError("email is already registered");
  }
  return org;
}

absl::StatusOr<LoginResult> AccountService::Login(std::string_view email,
                                                  std::string_view password) {
  const int64_t now = clock_.NowUnixMs();
  if (email.size() > kMaxEmailBytes || password.size() > kMaxPasswordBytes) {
    // Not a possible account; not worth a throttle row either.
    VerifyPassword(password.substr(0, kMaxPasswordBytes), dummy_hash_);
    return absl::UnauthenticatedError(kBadLoginMessage);
  }
  const std::string key = EmailKey(email);
  LLMGW_ASSIGN_OR_RETURN(LoginFailures failures, store_.GetLoginFailures(key));
  if (options_.throttle.IsBlocked(failures, now)) {
    return absl::ResourceExhaustedError("too many failed logins for this email; retry later");
  }
  LLMGW_ASSIGN_OR_RETURN(std::optional<OrganizationRecord> record,
                         store_.FindOrganizationByEmail(key));
  // Always one hash computation, known email or not: no user enumeration by timing.
  const bool ok = VerifyPassword(password, record ? record->password_hash : dummy_hash_);
  if (!record || !ok) {
    LLMGW_RETURN_IF_ERROR(
        store_.RecordLoginFailure(key, now, options_.throttle.WindowCutoffMs(now)).status());
    return absl::UnauthenticatedError(kBadLoginMessage);
  }
  if (failures.count > 0) LLMGW_RETURN_IF_ERROR(store_.ClearLoginFailures(key));

  // Upgrade the stored hash when the configured iteration count changed.
  absl::StatusOr<PasswordHash> stored = ParsePasswordHash(record->password_hash);
  if (stored.ok() && stored->iterations != options_.password_iterations) {
    LLMGW_RETURN_IF_ERROR(store_.UpdatePasswordHash(
        record->organization.id, HashPassword(password, options_.password_iterations)));
  }

  LoginResult result;
  result.organization = record->organization;
  result.session_token = NewSessionToken();
  result.expires_at_ms =
      now + std::chrono::duration_cast<std::chrono::milliseconds>(options_.session_ttl).count();
  LLMGW_RETURN_IF_ERROR(store_.CreateSession(
      result.organization.id, SecretHash(result.session_token), now, result.expires_at_ms));
  return result;
}

absl::StatusOr<ValidatedSession> AccountService::ValidateSession(std::string_view session_token) {
  if (!IsWellFormedSessionToken(session_token)) return BadSession();
  LLMGW_ASSIGN_OR_RETURN(std::optional<SessionRecord> session,
                         store_.FindSession(SecretHash(session_token)));
  if (!session || session->revoked || session->expires_at_ms <= clock_.NowUnixMs()) {
    return BadSession();
  }
  return ValidatedSession{std::move(session->organization), session->expires_at_ms};
}

absl::Status AccountService::Logout(std::string_view session_token) {
  if (!IsWellFormedSessionToken(session_token)) return absl::OkStatus();
  return store_.RevokeSession(SecretHash(session_token), clock_.NowUnixMs());
}

absl::StatusOr<Organization> AccountService::GetOrganization(std::string_view organization_id) {
  if (!IsUuid(organization_id)) return OrganizationNotFound();
  LLMGW_ASSIGN_OR_RETURN(std::optional<Organization> org,
                         store_.GetOrganization(std::string(organization_id)));
  if (!org) return OrganizationNotFound();
  return *std::move(org);
}

absl::StatusOr<CreatedCredential> AccountService::CreateCredential(CredentialKind kind,
                                                                   std::string_view organization_id,
                                                                   std::string_view name) {
  LLMGW_ASSIGN_OR_RETURN(std::string clean_name, NormalizeCredentialName(name));
  LLMGW_ASSIGN_OR_RETURN(Organization org, GetOrganization(organization_id));
  CreatedCredential out;
  out.secret = NewCredentialSecret(kind);
  NewCredential row;
  row.organization_id = org.id;
  row.kind = kind;
  row.name = std::move(clean_name);
  row.prefix = DisplayPrefix(out.secret);
  row.secret_hash = SecretHash(out.secret);
  row.created_at_ms = clock_.NowUnixMs();
  LLMGW_ASSIGN_OR_RETURN(out.credential, store_.CreateCredential(row));
  return out;
}

absl::StatusOr<std::vector<Credential>> AccountService::ListCredentials(
    CredentialKind kind, std::string_view organization_id) {
  LLMGW_ASSIGN_OR_RETURN(Organization org, GetOrganization(organization_id));
  return store_.ListCredentials(org.id, kind);
}

absl::StatusOr<Credential> AccountService::RevokeCredential(CredentialKind kind,
                                                            std::string_view organization_id,
                                                            std::string_view credential_id) {
  auto not_found = [kind] {
    return absl::NotFoundError(kind == CredentialKind::kMonitorToken ? "monitor token not found"
                                                                     : "API key not found");
  };
  if (!IsUuid(organization_id) || !IsUuid(credential_id)) return not_found();
  LLMGW_ASSIGN_OR_RETURN(std::optional<Credential> revoked,
                         store_.RevokeCredential(std::string(organization_id), kind,
                                                 std::string(credential_id), clock_.NowUnixMs()));
  if (!revoked) return not_found();
  return *std::move(revoked);
}

absl::StatusOr<CredentialValidation> AccountService::ValidateCredential(CredentialKind kind,
                                                                        std::string_view secret) {
  CredentialValidation out;
  if (!IsWellFormedCredential(kind, secret)) return out;
  LLMGW_ASSIGN_OR_RETURN(std::optional<CredentialMatch> match,
                         store_.FindCredentialByHash(kind, SecretHash(secret)));
  if (!match || !match->active) return out;
  last_used_.Record(match->id, clock_.NowUnixMs());
  out.valid = true;
  out.organization_id = std::move(match->organization_id);
  out.credential_id = std::move(match->id);
  return out;
}

}  // namespace llmgw::accounts

#include "services/accounts/domain/account_service.h"

#include "libs/common/crypto.h"
#include "libs/common/status_macros.h"
#include "services/accounts/domain/membership_rules.h"
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
  absl::StatusOr<RegisteredOwner> created =
      store_.CreateOrganizationWithOwner(clean_name, clean_email, hash, clock_.NowUnixMs());
  if (created.status().code() == absl::StatusCode::kAlreadyExists) {
    return absl::AlreadyExistsError("email is already registered");
  }
  if (!created.ok()) return created.status();
  return created->organization;
}

absl::StatusOr<LoginResult> AccountService::Login(std::string_view email, std::string_view password,
                                                  std::string_view client_address) {
  const int64_t now = clock_.NowUnixMs();
  if (email.size() > kMaxEmailBytes || password.size() > kMaxPasswordBytes ||
      client_address.size() > kMaxClientAddressBytes) {
    // Not a possible account; not worth a throttle row either.
    VerifyPassword(password.substr(0, kMaxPasswordBytes), dummy_hash_);
    return absl::UnauthenticatedError(kBadLoginMessage);
  }
  const std::string email_key = EmailKey(email);
  const ThrottleScope kScopes[] = {ThrottleScope::kEmailAndAddress, ThrottleScope::kAddress};
  LoginFailures pair_failures;
  for (ThrottleScope scope : kScopes) {
    LLMGW_ASSIGN_OR_RETURN(LoginFailures failures,
                           store_.GetLoginFailures(ThrottleKey(scope, email_key, client_address)));
    if (options_.throttle.IsBlocked(failures, scope, now)) {
      if (options_.throttle_listener != nullptr) options_.throttle_listener->OnRefused(scope);
      return absl::ResourceExhaustedError(scope == ThrottleScope::kAddress
                                              ? "too many failed logins from this address; "
                                                "retry later"
                                              : "too many failed logins for this email from this "
                                                "address; retry later");
    }
    if (scope == ThrottleScope::kEmailAndAddress) pair_failures = failures;
  }
  LLMGW_ASSIGN_OR_RETURN(std::optional<UserRecord> record, store_.FindUserByEmail(email_key));
  // Always one hash computation, known email or not: no user enumeration by timing.
  const bool ok = VerifyPassword(password, record ? record->password_hash : dummy_hash_);
  if (!record || !ok) {
    for (ThrottleScope scope : kScopes) {
      LLMGW_ASSIGN_OR_RETURN(LoginFailures after, store_.RecordLoginFailure(
                                                      ThrottleKey(scope, email_key, client_address),
                                                      now, options_.throttle.WindowCutoffMs(now)));
      if (after.count == options_.throttle.MaxFor(scope) && options_.throttle_listener != nullptr) {
        options_.throttle_listener->OnLockout(scope);
      }
    }
    return absl::UnauthenticatedError(kBadLoginMessage);
  }
  // Only this pair's count: a success never resets what the address as a whole has failed.
  if (pair_failures.count > 0) {
    LLMGW_RETURN_IF_ERROR(store_.ClearLoginFailures(
        ThrottleKey(ThrottleScope::kEmailAndAddress, email_key, client_address)));
  }

  // Upgrade the stored hash when the configured iteration count changed.
  absl::StatusOr<PasswordHash> stored = ParsePasswordHash(record->password_hash);
  if (stored.ok() && stored->iterations != options_.password_iterations) {
    LLMGW_RETURN_IF_ERROR(store_.UpdatePasswordHash(
        record->user.id, HashPassword(password, options_.password_iterations)));
  }
  LLMGW_ASSIGN_OR_RETURN(std::vector<Membership> memberships,
                         store_.ListMemberships(record->user.id));
  if (memberships.empty()) {
    return absl::PermissionDeniedError("this user is not a member of any organization");
  }
  AuditNewAddress(record->user, memberships, client_address);
  return StartSession(record->user, memberships.front());
}

void AccountService::AuditNewAddress(const User& user, const std::vector<Membership>& memberships,
                                     std::string_view client_address) {
  if (client_address.empty()) return;
  const int64_t now = clock_.NowUnixMs();
  absl::StatusOr<bool> is_new =
      store_.RememberLoginAddress(user.id, std::string(client_address), now);
  if (!is_new.ok() || !*is_new) return;  // the login goes on; the audit is best effort here
  for (const Membership& m : memberships) {
    AuditEntry e;
    e.organization_id = m.organization.id;
    e.at_ms = now;
    e.actor_user_id = user.id;
    e.actor_email = user.email;
    e.action = "login.new_address";
    e.target = std::string(client_address);
    e.details_json = "{}";
    store_.RecordAudit(e).IgnoreError();
  }
}

absl::StatusOr<AuditEntry> AccountService::RecordAudit(AuditEntry entry) {
  if (!IsUuid(entry.organization_id)) return absl::InvalidArgumentError("bad organization id");
  if (entry.action.empty() || entry.action.size() > 100) {
    return absl::InvalidArgumentError("action must be 1 to 100 characters");
  }
  if (entry.details_json.empty()) entry.details_json = "{}";
  if (entry.details_json.front() != '{' || entry.details_json.size() > 65536) {
    return absl::InvalidArgumentError("details must be a JSON object of at most 64 KiB");
  }
  if (!entry.actor_user_id.empty() && !IsUuid(entry.actor_user_id)) entry.actor_user_id.clear();
  entry.at_ms = clock_.NowUnixMs();
  return store_.RecordAudit(entry);
}

absl::StatusOr<std::vector<AuditEntry>> AccountService::ListAudit(std::string_view organization_id,
                                                                  int limit, int64_t before_id) {
  if (!IsUuid(organization_id)) return std::vector<AuditEntry>{};
  if (limit < 1 || limit > 500) return absl::InvalidArgumentError("limit must be 1 to 500");
  return store_.ListAudit(std::string(organization_id), limit, before_id);
}

absl::StatusOr<LoginResult> AccountService::StartSession(const User& user,
                                                         const Membership& membership) {
  const int64_t now = clock_.NowUnixMs();
  LoginResult result;
  result.organization = membership.organization;
  result.user = user;
  result.role = membership.role;
  result.session_token = NewSessionToken();
  result.expires_at_ms =
      now + std::chrono::duration_cast<std::chrono::milliseconds>(options_.session_ttl).count();
  LLMGW_RETURN_IF_ERROR(store_.CreateSession(user.id, result.organization.id,
                                             SecretHash(result.session_token), now,
                                             result.expires_at_ms));
  return result;
}

absl::StatusOr<ValidatedSession> AccountService::ValidateSession(std::string_view session_token) {
  if (!IsWellFormedSessionToken(session_token)) return BadSession();
  LLMGW_ASSIGN_OR_RETURN(std::optional<SessionRecord> session,
                         store_.FindSession(SecretHash(session_token)));
  if (!session || session->revoked || session->expires_at_ms <= clock_.NowUnixMs() ||
      !session->role.has_value()) {
    return BadSession();
  }
  return ValidatedSession{std::move(session->organization), std::move(session->user),
                          *session->role, session->expires_at_ms};
}

absl::StatusOr<ValidatedSession> AccountService::SwitchOrganization(
    std::string_view session_token, std::string_view organization_id) {
  LLMGW_ASSIGN_OR_RETURN(ValidatedSession session, ValidateSession(session_token));
  LLMGW_ASSIGN_OR_RETURN(std::vector<Membership> memberships,
                         store_.ListMemberships(session.user.id));
  for (Membership& m : memberships) {
    if (m.organization.id != organization_id) continue;
    LLMGW_RETURN_IF_ERROR(
        store_.SetSessionOrganization(SecretHash(session_token), m.organization.id));
    session.organization = std::move(m.organization);
    session.role = m.role;
    return session;
  }
  return OrganizationNotFound();
}

absl::StatusOr<std::vector<Membership>> AccountService::ListMemberships(std::string_view user_id) {
  if (!IsUuid(user_id)) return std::vector<Membership>{};
  return store_.ListMemberships(std::string(user_id));
}

absl::StatusOr<std::vector<Member>> AccountService::ListMembers(std::string_view organization_id) {
  LLMGW_ASSIGN_OR_RETURN(Organization org, GetOrganization(organization_id));
  return store_.ListMembers(org.id);
}

absl::StatusOr<CreatedInvitation> AccountService::Invite(std::string_view organization_id,
                                                         std::string_view actor_user_id,
                                                         std::string_view email, Role role) {
  LLMGW_ASSIGN_OR_RETURN(std::string clean_email, NormalizeEmail(email));
  LLMGW_ASSIGN_OR_RETURN(std::vector<Member> members, ListMembers(organization_id));
  std::optional<Role> actor;
  for (const Member& m : members) {
    if (m.user.id == actor_user_id) actor = m.role;
  }
  LLMGW_RETURN_IF_ERROR(CheckInvitation(actor, role));
  for (const Member& m : members) {
    if (EmailKey(m.user.email) == EmailKey(clean_email)) {
      return absl::AlreadyExistsError("this email is already a member");
    }
  }
  const int64_t now = clock_.NowUnixMs();
  CreatedInvitation out;
  out.token = NewInvitationToken();
  NewInvitation row;
  row.organization_id = std::string(organization_id);
  row.email = clean_email;
  row.role = role;
  row.token_hash = SecretHash(out.token);
  row.invited_by_user_id = std::string(actor_user_id);
  row.created_at_ms = now;
  row.expires_at_ms =
      now + std::chrono::duration_cast<std::chrono::milliseconds>(kInvitationTtl).count();
  LLMGW_ASSIGN_OR_RETURN(out.invitation, store_.CreateInvitation(row));
  return out;
}

absl::StatusOr<LoginResult> AccountService::AcceptInvitation(std::string_view token,
                                                             std::string_view name,
                                                             std::string_view password) {
  auto unusable = [] {
    return absl::FailedPreconditionError("this invitation is invalid, expired or already used");
  };
  if (!IsWellFormedInvitationToken(token)) return unusable();
  LLMGW_ASSIGN_OR_RETURN(std::optional<Invitation> invitation,
                         store_.FindInvitation(SecretHash(token)));
  const int64_t now = clock_.NowUnixMs();
  if (!invitation || invitation->accepted_at_ms != 0 || invitation->expires_at_ms <= now) {
    return unusable();
  }
  LLMGW_ASSIGN_OR_RETURN(std::optional<UserRecord> existing,
                         store_.FindUserByEmail(EmailKey(invitation->email)));
  User user;
  if (existing) {
    if (!VerifyPassword(password.substr(0, kMaxPasswordBytes), existing->password_hash)) {
      return absl::UnauthenticatedError(
          "this email already has an account: give its password to accept");
    }
    user = existing->user;
  } else {
    LLMGW_ASSIGN_OR_RETURN(std::string clean_name, NormalizeOrganizationName(name));
    LLMGW_RETURN_IF_ERROR(ValidatePassword(password));
    LLMGW_ASSIGN_OR_RETURN(
        user, store_.CreateUser(clean_name, invitation->email,
                                HashPassword(password, options_.password_iterations), now));
  }
  LLMGW_ASSIGN_OR_RETURN(bool accepted, store_.AcceptInvitation(*invitation, user.id, now));
  if (!accepted) return unusable();
  LLMGW_ASSIGN_OR_RETURN(std::vector<Membership> memberships, store_.ListMemberships(user.id));
  for (const Membership& m : memberships) {
    if (m.organization.id == invitation->organization_id) return StartSession(user, m);
  }
  return absl::InternalError("accepted invitation without a membership");
}

absl::StatusOr<MemberChange> AccountService::ChangeMembership(std::string_view organization_id,
                                                              std::string_view actor_user_id,
                                                              std::string_view target_user_id,
                                                              std::optional<Role> new_role) {
  auto not_found = [] { return absl::NotFoundError("member not found"); };
  if (!IsUuid(organization_id) || !IsUuid(target_user_id) || !IsUuid(actor_user_id)) {
    return not_found();
  }
  LLMGW_ASSIGN_OR_RETURN(
      std::optional<MemberChange> change,
      store_.ChangeMembership(
          std::string(organization_id), std::string(actor_user_id), std::string(target_user_id),
          new_role, [new_role](std::optional<Role> actor, const Member& target, int owners) {
            return CheckMembershipChange(actor, target, new_role, owners);
          }));
  if (!change) return not_found();
  return *std::move(change);
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

absl::StatusOr<CreatedCredential> AccountService::CreateCredential(
    CredentialKind kind, std::string_view organization_id, std::string_view name,
    std::string_view created_by_user_id) {
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
  if (IsUuid(created_by_user_id)) row.created_by_user_id = std::string(created_by_user_id);
  LLMGW_ASSIGN_OR_RETURN(out.credential, store_.CreateCredential(row));
  return out;
}

absl::StatusOr<std::vector<Credential>> AccountService::ListCredentials(
    CredentialKind kind, std::string_view organization_id) {
  LLMGW_ASSIGN_OR_RETURN(Organization org, GetOrganization(organization_id));
  return store_.ListCredentials(org.id, kind);
}

absl::StatusOr<std::optional<Credential>> AccountService::RevokeInStore(
    CredentialKind kind, std::string_view organization_id, std::string_view credential_id,
    std::string_view only_created_by) {
  absl::StatusOr<std::optional<Credential>> revoked =
      store_.RevokeCredential(std::string(organization_id), kind, std::string(credential_id),
                              clock_.NowUnixMs(), std::string(only_created_by));
  if (revoked.status().code() == absl::StatusCode::kPermissionDenied) {
    return absl::PermissionDeniedError("your role revokes only the credentials you created");
  }
  return revoked;
}

absl::StatusOr<Credential> AccountService::RevokeCredential(CredentialKind kind,
                                                            std::string_view organization_id,
                                                            std::string_view credential_id,
                                                            std::string_view only_created_by) {
  auto not_found = [kind] {
    return absl::NotFoundError(kind == CredentialKind::kMonitorToken ? "monitor token not found"
                                                                     : "API key not found");
  };
  if (!IsUuid(organization_id) || !IsUuid(credential_id)) return not_found();
  LLMGW_ASSIGN_OR_RETURN(std::optional<Credential> revoked,
                         RevokeInStore(kind, organization_id, credential_id, only_created_by));
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
  out.limits = match->limits;
  out.organization_limits = match->organization_limits;
  return out;
}

absl::StatusOr<Credential> AccountService::PatchCredentialLimits(CredentialKind kind,
                                                                 std::string_view organization_id,
                                                                 std::string_view credential_id,
                                                                 const LimitsPatch& patch,
                                                                 std::string_view only_created_by) {
  auto not_found = [kind] {
    return absl::NotFoundError(kind == CredentialKind::kMonitorToken ? "monitor token not found"
                                                                     : "API key not found");
  };
  LLMGW_RETURN_IF_ERROR(ValidateLimitsPatch(patch));
  if (!IsUuid(organization_id) || !IsUuid(credential_id)) return not_found();
  absl::StatusOr<std::optional<Credential>> patched = store_.PatchCredentialLimits(
      std::string(organization_id), kind, std::string(credential_id), patch,
      std::string(only_created_by));
  if (patched.status().code() == absl::StatusCode::kPermissionDenied) {
    return absl::PermissionDeniedError("your role changes only the credentials you created");
  }
  LLMGW_RETURN_IF_ERROR(patched.status());
  if (!*patched) return not_found();
  return **std::move(patched);
}

absl::StatusOr<Limits> AccountService::GetOrganizationLimits(std::string_view organization_id) {
  LLMGW_ASSIGN_OR_RETURN(Organization org, GetOrganization(organization_id));
  return store_.GetOrganizationLimits(org.id);
}

absl::StatusOr<Limits> AccountService::PatchOrganizationLimits(std::string_view organization_id,
                                                               const LimitsPatch& patch) {
  LLMGW_RETURN_IF_ERROR(ValidateLimitsPatch(patch));
  if (!IsUuid(organization_id)) return absl::NotFoundError("organization not found");
  LLMGW_ASSIGN_OR_RETURN(std::optional<Limits> limits,
                         store_.PatchOrganizationLimits(std::string(organization_id), patch));
  if (!limits) return absl::NotFoundError("organization not found");
  return *limits;
}

}  // namespace llmgw::accounts

#pragma once
// The accounts logic: organizations, users and their memberships with roles, invitations,
// password login with throttling, sessions, monitor tokens and API keys. Transport-free: the gRPC
// service in api/ translates to and from these calls.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/common/clock.h"
#include "services/accounts/domain/account_store.h"
#include "services/accounts/domain/last_used_batcher.h"
#include "services/accounts/domain/login_throttle.h"
#include "services/accounts/domain/password.h"
#include "services/accounts/domain/types.h"

namespace llmgw::accounts {

struct AccountServiceOptions {
  int password_iterations = kDefaultPasswordIterations;  // LLMGW_PASSWORD_ITERATIONS
  std::chrono::hours session_ttl{168};                   // LLMGW_SESSION_TTL_HOURS
  LoginThrottlePolicy throttle;
  LoginThrottleListener* throttle_listener = nullptr;  // optional; must outlive the service
};

// Longer client addresses are not a possible login (an IPv6 address with a zone fits).
inline constexpr size_t kMaxClientAddressBytes = 100;

inline constexpr std::chrono::hours kInvitationTtl{24 * 7};

struct LoginResult {
  Organization organization;  // the organization the session acts in
  User user;
  Role role = Role::kViewer;
  std::string session_token;  // shown once
  int64_t expires_at_ms = 0;
};

struct ValidatedSession {
  Organization organization;
  User user;
  Role role = Role::kViewer;
  int64_t expires_at_ms = 0;
};

struct CreatedInvitation {
  Invitation invitation;
  std::string token;  // shown once (in the invite link)
};

struct CreatedCredential {
  Credential credential;
  std::string secret;  // shown once
};

// valid=false for unknown, revoked or malformed secrets; not an error.
struct CredentialValidation {
  bool valid = false;
  std::string organization_id;
  std::string credential_id;
  Limits limits;
  Limits organization_limits;
};

inline constexpr char kBadLoginMessage[] = "invalid email or password";

class AccountService {
 public:
  AccountService(AccountStore& store, const Clock& clock, AccountServiceOptions options = {});

  // Creates the organization and its owner. InvalidArgument naming the field; AlreadyExists when
  // a user has the email (any case).
  absl::StatusOr<Organization> Register(std::string_view name, std::string_view email,
                                        std::string_view password);
  // Unauthenticated (one message for unknown email and wrong password); ResourceExhausted while
  // the (email, client address) pair or the address is throttled (login_throttle.h);
  // PermissionDenied when the user belongs to no organization any more. The session acts in the
  // user's oldest membership.
  absl::StatusOr<LoginResult> Login(std::string_view email, std::string_view password,
                                    std::string_view client_address = "");
  // Unauthenticated for unknown, expired, revoked or malformed tokens, and when the user is no
  // longer a member of the session's organization.
  absl::StatusOr<ValidatedSession> ValidateSession(std::string_view session_token);
  // Idempotent.
  absl::Status Logout(std::string_view session_token);
  // Moves the session to another organization of its user; NotFound when the user is not a
  // member of it.
  absl::StatusOr<ValidatedSession> SwitchOrganization(std::string_view session_token,
                                                      std::string_view organization_id);
  // NotFound for unknown (or non-UUID) ids.
  absl::StatusOr<Organization> GetOrganization(std::string_view organization_id);

  // The user's organizations, oldest first.
  absl::StatusOr<std::vector<Membership>> ListMemberships(std::string_view user_id);
  // NotFound when the organization does not exist.
  absl::StatusOr<std::vector<Member>> ListMembers(std::string_view organization_id);
  // A single-use invitation for `email` with `role`, valid 7 days. PermissionDenied unless the
  // actor may invite that role (membership_rules.h); AlreadyExists when the email is a member.
  absl::StatusOr<CreatedInvitation> Invite(std::string_view organization_id,
                                           std::string_view actor_user_id, std::string_view email,
                                           Role role);
  // Accepts an invitation and logs in to its organization: a new user is created with `name` and
  // `password`; an existing user (the invited email) must give their password and gains the
  // organization. FailedPrecondition for an unknown, expired or used token (one message);
  // Unauthenticated for an existing user's wrong password.
  absl::StatusOr<LoginResult> AcceptInvitation(std::string_view token, std::string_view name,
                                               std::string_view password);
  // Role change or removal (`new_role` empty) under membership_rules.h. NotFound when the target
  // is not a member.
  absl::StatusOr<MemberChange> ChangeMembership(std::string_view organization_id,
                                                std::string_view actor_user_id,
                                                std::string_view target_user_id,
                                                std::optional<Role> new_role);

  // Appends a management action to the organization's audit log. InvalidArgument for a bad
  // organization id, an empty action or details that are not a JSON object of at most 64 KiB.
  absl::StatusOr<AuditEntry> RecordAudit(AuditEntry entry);
  // Newest first; `limit` 1..500; `before_id` 0 for the newest.
  absl::StatusOr<std::vector<AuditEntry>> ListAudit(std::string_view organization_id, int limit,
                                                    int64_t before_id);

  // NotFound when the organization does not exist.
  absl::StatusOr<CreatedCredential> CreateCredential(CredentialKind kind,
                                                     std::string_view organization_id,
                                                     std::string_view name,
                                                     std::string_view created_by_user_id = "");
  // Newest first. NotFound when the organization does not exist.
  absl::StatusOr<std::vector<Credential>> ListCredentials(CredentialKind kind,
                                                          std::string_view organization_id);
  // NotFound unless `credential_id` is a credential of this kind in this organization;
  // PermissionDenied when `only_created_by` is set and another user created it.
  absl::StatusOr<Credential> RevokeCredential(CredentialKind kind, std::string_view organization_id,
                                              std::string_view credential_id,
                                              std::string_view only_created_by = "");
  // Applies a limits patch (ValidateLimitsPatch) to a credential. NotFound, PermissionDenied as
  // RevokeCredential.
  absl::StatusOr<Credential> PatchCredentialLimits(CredentialKind kind,
                                                   std::string_view organization_id,
                                                   std::string_view credential_id,
                                                   const LimitsPatch& patch,
                                                   std::string_view only_created_by = "");
  // NotFound for an unknown organization.
  absl::StatusOr<Limits> GetOrganizationLimits(std::string_view organization_id);
  absl::StatusOr<Limits> PatchOrganizationLimits(std::string_view organization_id,
                                                 const LimitsPatch& patch);
  // One indexed lookup by hash; malformed secrets are answered without touching the store.
  // Errors only when the store fails (the caller must not treat that as "invalid").
  absl::StatusOr<CredentialValidation> ValidateCredential(CredentialKind kind,
                                                          std::string_view secret);

  LastUsedBatcher& last_used() { return last_used_; }
  const AccountServiceOptions& options() const { return options_; }

 private:
  absl::StatusOr<LoginResult> StartSession(const User& user, const Membership& membership);
  // A login from an address the user never used: an audit entry in each of their organizations.
  void AuditNewAddress(const User& user, const std::vector<Membership>& memberships,
                       std::string_view client_address);
  absl::StatusOr<std::optional<Credential>> RevokeInStore(CredentialKind kind,
                                                          std::string_view organization_id,
                                                          std::string_view credential_id,
                                                          std::string_view only_created_by);

  AccountStore& store_;
  const Clock& clock_;
  AccountServiceOptions options_;
  // Verified against for unknown emails, so they cost one hash like a known one.
  std::string dummy_hash_;
  LastUsedBatcher last_used_;
};

}  // namespace llmgw::accounts

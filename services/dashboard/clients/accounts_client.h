#pragma once
// What the dashboard needs from the accounts service. Errors keep the accounts service's
// canonical codes (INVALID_ARGUMENT, ALREADY_EXISTS, UNAUTHENTICATED, RESOURCE_EXHAUSTED,
// NOT_FOUND); a dependency that cannot be reached is UNAVAILABLE or DEADLINE_EXCEEDED.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/dashboard/domain/types.h"

namespace llmgw::dashboard {

class AccountsClient {
 public:
  virtual ~AccountsClient() = default;

  virtual absl::StatusOr<Organization> Register(const std::string& name, const std::string& email,
                                                const std::string& password) = 0;
  // RESOURCE_EXHAUSTED: throttled for this (email, client address) or address.
  virtual absl::StatusOr<LoginResult> Login(const std::string& email, const std::string& password,
                                            const std::string& client_address) = 0;
  // UNAUTHENTICATED: unknown, expired or revoked session, or its user no longer a member.
  virtual absl::StatusOr<Session> ValidateSession(const std::string& session_token) = 0;
  virtual absl::Status Logout(const std::string& session_token) = 0;
  // NOT_FOUND: the session's user is not a member of that organization.
  virtual absl::StatusOr<Session> SwitchOrganization(const std::string& session_token,
                                                     const std::string& org_id) = 0;

  // The organizations of a user, oldest first.
  virtual absl::StatusOr<std::vector<OrgMembership>> ListMemberships(
      const std::string& user_id) = 0;
  virtual absl::StatusOr<std::vector<Member>> ListMembers(const std::string& org_id) = 0;
  // PERMISSION_DENIED (only owners invite owners), ALREADY_EXISTS (a member), INVALID_ARGUMENT.
  virtual absl::StatusOr<Invitation> InviteMember(const std::string& org_id,
                                                  const std::string& actor_user_id,
                                                  const std::string& email, Role role) = 0;
  // FAILED_PRECONDITION: unknown, expired or used; UNAUTHENTICATED: an existing user's password.
  virtual absl::StatusOr<LoginResult> AcceptInvitation(const std::string& token,
                                                       const std::string& name,
                                                       const std::string& password) = 0;
  // `role` empty: remove. PERMISSION_DENIED, FAILED_PRECONDITION (last owner), NOT_FOUND.
  virtual absl::StatusOr<MemberChange> ChangeMember(const std::string& org_id,
                                                    const std::string& actor_user_id,
                                                    const std::string& target_user_id,
                                                    std::optional<Role> role) = 0;

  virtual absl::Status RecordAudit(const AuditRecord& record) = 0;
  // Newest first.
  virtual absl::StatusOr<std::vector<AuditRecord>> ListAudit(const std::string& org_id,
                                                             int32_t limit, int64_t before_id) = 0;

  virtual absl::StatusOr<CreatedCredential> CreateMonitorToken(const std::string& org_id,
                                                               const std::string& name,
                                                               const std::string& created_by) = 0;
  virtual absl::StatusOr<std::vector<Credential>> ListMonitorTokens(const std::string& org_id) = 0;
  // NOT_FOUND: no such token in this organization. PERMISSION_DENIED: `only_created_by` is set
  // and another user created it.
  virtual absl::StatusOr<Credential> RevokeMonitorToken(const std::string& org_id,
                                                        const std::string& id,
                                                        const std::string& only_created_by) = 0;

  virtual absl::StatusOr<CreatedCredential> CreateApiKey(const std::string& org_id,
                                                         const std::string& name,
                                                         const std::string& created_by) = 0;
  virtual absl::StatusOr<std::vector<Credential>> ListApiKeys(const std::string& org_id) = 0;
  virtual absl::StatusOr<Credential> RevokeApiKey(const std::string& org_id, const std::string& id,
                                                  const std::string& only_created_by) = 0;

  // The limits of a credential (api_key false: a monitor token). NOT_FOUND, PERMISSION_DENIED as
  // Revoke; INVALID_ARGUMENT for a value out of range.
  virtual absl::StatusOr<Credential> SetCredentialLimits(const std::string& org_id, bool api_key,
                                                         const std::string& id,
                                                         const LimitsPatch& patch,
                                                         const std::string& only_created_by) = 0;
  virtual absl::StatusOr<Limits> GetOrganizationLimits(const std::string& org_id) = 0;
  virtual absl::StatusOr<Limits> SetOrganizationLimits(const std::string& org_id,
                                                       const LimitsPatch& patch) = 0;

  // OK when the service answers its health check as SERVING (for /readyz).
  virtual absl::Status CheckHealth() = 0;
};

}  // namespace llmgw::dashboard

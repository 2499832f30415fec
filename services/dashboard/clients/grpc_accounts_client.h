#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "grpc/health/v1/health.grpc.pb.h"
#include "llmgw/accounts/v1/accounts.grpc.pb.h"
#include "services/dashboard/clients/accounts_client.h"
#include "services/dashboard/clients/grpc_call.h"

namespace llmgw::dashboard {

// AccountsClient over gRPC: every call carries the internal token and a deadline.
class GrpcAccountsClient final : public AccountsClient {
 public:
  GrpcAccountsClient(std::shared_ptr<grpc::Channel> channel, std::string internal_token,
                     std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // AccountsClient
  absl::StatusOr<Organization> Register(const std::string& name, const std::string& email,
                                        const std::string& password) override;
  absl::StatusOr<LoginResult> Login(const std::string& email, const std::string& password,
                                    const std::string& client_address) override;
  absl::StatusOr<Session> ValidateSession(const std::string& session_token) override;
  absl::Status Logout(const std::string& session_token) override;
  absl::StatusOr<Session> SwitchOrganization(const std::string& session_token,
                                             const std::string& org_id) override;
  absl::StatusOr<std::vector<OrgMembership>> ListMemberships(const std::string& user_id) override;
  absl::StatusOr<std::vector<Member>> ListMembers(const std::string& org_id) override;
  absl::StatusOr<Invitation> InviteMember(const std::string& org_id,
                                          const std::string& actor_user_id,
                                          const std::string& email, Role role) override;
  absl::StatusOr<LoginResult> AcceptInvitation(const std::string& token, const std::string& name,
                                               const std::string& password) override;
  absl::StatusOr<MemberChange> ChangeMember(const std::string& org_id,
                                            const std::string& actor_user_id,
                                            const std::string& target_user_id,
                                            std::optional<Role> role) override;
  absl::Status RecordAudit(const AuditRecord& record) override;
  absl::StatusOr<std::vector<AuditRecord>> ListAudit(const std::string& org_id, int32_t limit,
                                                     int64_t before_id) override;
  absl::StatusOr<CreatedCredential> CreateMonitorToken(const std::string& org_id,
                                                       const std::string& name,
                                                       const std::string& created_by) override;
  absl::StatusOr<std::vector<Credential>> ListMonitorTokens(const std::string& org_id) override;
  absl::StatusOr<Credential> RevokeMonitorToken(const std::string& org_id, const std::string& id,
                                                const std::string& only_created_by) override;
  absl::StatusOr<CreatedCredential> CreateApiKey(const std::string& org_id, const std::string& name,
                                                 const std::string& created_by) override;
  absl::StatusOr<std::vector<Credential>> ListApiKeys(const std::string& org_id) override;
  absl::StatusOr<Credential> RevokeApiKey(const std::string& org_id, const std::string& id,
                                          const std::string& only_created_by) override;
  absl::StatusOr<Credential> SetCredentialLimits(const std::string& org_id, bool api_key,
                                                 const std::string& id, const LimitsPatch& patch,
                                                 const std::string& only_created_by) override;
  absl::StatusOr<Limits> GetOrganizationLimits(const std::string& org_id) override;
  absl::StatusOr<Limits> SetOrganizationLimits(const std::string& org_id,
                                               const LimitsPatch& patch) override;
  absl::Status CheckHealth() override;

 private:
  std::unique_ptr<llmgw::accounts::v1::AccountsService::Stub> stub_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
  internal::CallOptions opts_;
};

}  // namespace llmgw::dashboard

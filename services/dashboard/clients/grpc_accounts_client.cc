#include "services/dashboard/clients/grpc_accounts_client.h"

namespace llmgw::dashboard {
namespace {

namespace pb = ::llmgw::accounts::v1;
using Stub = pb::AccountsService::Stub;

Organization FromProto(const pb::Organization& o) {
  return Organization{o.id(), o.name(), o.email(), o.created_at_unix_ms()};
}

Limits FromProto(const pb::Limits& l) {
  Limits out;
  if (l.has_rpm()) out.rpm = l.rpm();
  if (l.has_tpm()) out.tpm = l.tpm();
  if (l.has_daily_budget_nano()) out.daily_budget_nano = l.daily_budget_nano();
  if (l.has_monthly_budget_nano()) out.monthly_budget_nano = l.monthly_budget_nano();
  return out;
}

void ToProto(const LimitsPatch& p, pb::LimitsPatch* out) {
  auto put = [out](bool set, const std::optional<int64_t>& v, const char* name,
                   void (pb::Limits::*setter)(int64_t)) {
    if (!set) return;
    if (v.has_value()) {
      (out->mutable_set()->*setter)(*v);
    } else {
      out->add_unset(name);
    }
  };
  put(p.set_rpm, p.values.rpm, "rpm", &pb::Limits::set_rpm);
  put(p.set_tpm, p.values.tpm, "tpm", &pb::Limits::set_tpm);
  put(p.set_daily, p.values.daily_budget_nano, "daily_budget_nano",
      &pb::Limits::set_daily_budget_nano);
  put(p.set_monthly, p.values.monthly_budget_nano, "monthly_budget_nano",
      &pb::Limits::set_monthly_budget_nano);
}

Credential FromProto(const pb::Credential& c) {
  return Credential{c.id(),
                    c.name(),
                    c.prefix(),
                    c.is_active(),
                    c.last_used_at_unix_ms(),
                    c.created_at_unix_ms(),
                    c.created_by_user_id(),
                    FromProto(c.limits())};
}

User FromProto(const pb::User& u) { return User{u.id(), u.name(), u.email()}; }

Role FromProto(pb::Role r) {
  switch (r) {
    case pb::ROLE_OWNER:
      return Role::kOwner;
    case pb::ROLE_ADMIN:
      return Role::kAdmin;
    case pb::ROLE_MEMBER:
      return Role::kMember;
    default:
      return Role::kViewer;  // the least privilege for anything unknown
  }
}

pb::Role ToProto(Role r) {
  switch (r) {
    case Role::kOwner:
      return pb::ROLE_OWNER;
    case Role::kAdmin:
      return pb::ROLE_ADMIN;
    case Role::kMember:
      return pb::ROLE_MEMBER;
    case Role::kViewer:
      return pb::ROLE_VIEWER;
  }
  return pb::ROLE_UNSPECIFIED;
}

Session FromProto(const pb::ValidateSessionResponse& s) {
  return Session{FromProto(s.organization()), FromProto(s.user()), FromProto(s.role())};
}

LoginResult FromProto(const pb::LoginResponse& r) {
  return LoginResult{FromProto(r.organization()), r.session_token(), r.expires_at_unix_ms(),
                     FromProto(r.user()), FromProto(r.role())};
}

Member FromProto(const pb::Member& m) {
  return Member{FromProto(m.user()), FromProto(m.role()), m.joined_at_unix_ms()};
}

std::vector<Credential> FromProto(const google::protobuf::RepeatedPtrField<pb::Credential>& list) {
  std::vector<Credential> out;
  out.reserve(list.size());
  for (const pb::Credential& c : list) out.push_back(FromProto(c));
  return out;
}

}  // namespace

GrpcAccountsClient::GrpcAccountsClient(std::shared_ptr<grpc::Channel> channel,
                                       std::string internal_token,
                                       std::chrono::milliseconds timeout)
    : stub_(pb::AccountsService::NewStub(channel)),
      health_(grpc::health::v1::Health::NewStub(channel)),
      opts_{std::move(internal_token), timeout, "accounts"} {}

absl::StatusOr<Organization> GrpcAccountsClient::Register(const std::string& name,
                                                          const std::string& email,
                                                          const std::string& password) {
  pb::RegisterRequest req;
  req.set_name(name);
  req.set_email(email);
  req.set_password(password);
  pb::RegisterResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::Register, opts_, req, &resp);
  if (!s.ok()) return s;
  return FromProto(resp.organization());
}

absl::StatusOr<LoginResult> GrpcAccountsClient::Login(const std::string& email,
                                                      const std::string& password,
                                                      const std::string& client_address) {
  pb::LoginRequest req;
  req.set_email(email);
  req.set_password(password);
  req.set_client_address(client_address);
  pb::LoginResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::Login, opts_, req, &resp,
                                  /*user_unauthenticated=*/true);
  if (!s.ok()) return s;
  return FromProto(resp);
}

absl::StatusOr<Session> GrpcAccountsClient::ValidateSession(const std::string& session_token) {
  pb::ValidateSessionRequest req;
  req.set_session_token(session_token);
  pb::ValidateSessionResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::ValidateSession, opts_, req, &resp,
                                  /*user_unauthenticated=*/true);
  if (!s.ok()) return s;
  return FromProto(resp);
}

absl::StatusOr<Session> GrpcAccountsClient::SwitchOrganization(const std::string& session_token,
                                                               const std::string& org_id) {
  pb::SwitchOrganizationRequest req;
  req.set_session_token(session_token);
  req.set_organization_id(org_id);
  pb::SwitchOrganizationResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::SwitchOrganization, opts_, req, &resp,
                                  /*user_unauthenticated=*/true);
  if (!s.ok()) return s;
  return FromProto(resp.session());
}

absl::StatusOr<std::vector<OrgMembership>> GrpcAccountsClient::ListMemberships(
    const std::string& user_id) {
  pb::ListMembershipsRequest req;
  req.set_user_id(user_id);
  pb::ListMembershipsResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::ListMemberships, opts_, req, &resp);
  if (!s.ok()) return s;
  std::vector<OrgMembership> out;
  for (const pb::Membership& m : resp.memberships()) {
    out.push_back(OrgMembership{FromProto(m.organization()), FromProto(m.role())});
  }
  return out;
}

absl::StatusOr<std::vector<Member>> GrpcAccountsClient::ListMembers(const std::string& org_id) {
  pb::ListMembersRequest req;
  req.set_organization_id(org_id);
  pb::ListMembersResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::ListMembers, opts_, req, &resp);
  if (!s.ok()) return s;
  std::vector<Member> out;
  for (const pb::Member& m : resp.members()) out.push_back(FromProto(m));
  return out;
}

absl::StatusOr<Invitation> GrpcAccountsClient::InviteMember(const std::string& org_id,
                                                            const std::string& actor_user_id,
                                                            const std::string& email, Role role) {
  pb::InviteMemberRequest req;
  req.set_organization_id(org_id);
  req.set_actor_user_id(actor_user_id);
  req.set_email(email);
  req.set_role(ToProto(role));
  pb::InviteMemberResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::InviteMember, opts_, req, &resp);
  if (!s.ok()) return s;
  return Invitation{resp.token(), resp.expires_at_unix_ms()};
}

absl::StatusOr<LoginResult> GrpcAccountsClient::AcceptInvitation(const std::string& token,
                                                                 const std::string& name,
                                                                 const std::string& password) {
  pb::AcceptInvitationRequest req;
  req.set_token(token);
  req.set_name(name);
  req.set_password(password);
  pb::LoginResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::AcceptInvitation, opts_, req, &resp,
                                  /*user_unauthenticated=*/true);
  if (!s.ok()) return s;
  return FromProto(resp);
}

absl::StatusOr<MemberChange> GrpcAccountsClient::ChangeMember(const std::string& org_id,
                                                              const std::string& actor_user_id,
                                                              const std::string& target_user_id,
                                                              std::optional<Role> role) {
  pb::ChangeMemberRequest req;
  req.set_organization_id(org_id);
  req.set_actor_user_id(actor_user_id);
  req.set_target_user_id(target_user_id);
  if (role.has_value()) {
    req.set_role(ToProto(*role));
  } else {
    req.set_remove(true);
  }
  pb::ChangeMemberResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::ChangeMember, opts_, req, &resp);
  if (!s.ok()) return s;
  MemberChange out{FromProto(resp.before()), std::nullopt};
  if (resp.after() != pb::ROLE_UNSPECIFIED) out.after = FromProto(resp.after());
  return out;
}

absl::Status GrpcAccountsClient::Logout(const std::string& session_token) {
  pb::LogoutRequest req;
  req.set_session_token(session_token);
  pb::LogoutResponse resp;
  return internal::Call(stub_.get(), &Stub::Logout, opts_, req, &resp);
}

absl::Status GrpcAccountsClient::RecordAudit(const AuditRecord& record) {
  pb::RecordAuditRequest req;
  pb::AuditEntry* e = req.mutable_entry();
  e->set_organization_id(record.org_id);
  e->set_actor_user_id(record.actor_user_id);
  e->set_actor_email(record.actor_email);
  e->set_action(record.action);
  e->set_target(record.target);
  e->set_details_json(record.details_json);
  pb::RecordAuditResponse resp;
  return internal::Call(stub_.get(), &Stub::RecordAudit, opts_, req, &resp);
}

absl::StatusOr<std::vector<AuditRecord>> GrpcAccountsClient::ListAudit(const std::string& org_id,
                                                                       int32_t limit,
                                                                       int64_t before_id) {
  pb::ListAuditRequest req;
  req.set_organization_id(org_id);
  req.set_limit(limit);
  req.set_before_id(before_id);
  pb::ListAuditResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::ListAudit, opts_, req, &resp);
  if (!s.ok()) return s;
  std::vector<AuditRecord> out;
  for (const pb::AuditEntry& e : resp.entries()) {
    out.push_back(AuditRecord{e.id(), e.organization_id(), e.at_unix_ms(), e.actor_user_id(),
                              e.actor_email(), e.action(), e.target(), e.details_json()});
  }
  return out;
}

absl::StatusOr<CreatedCredential> GrpcAccountsClient::CreateMonitorToken(
    const std::string& org_id, const std::string& name, const std::string& created_by) {
  pb::CreateMonitorTokenRequest req;
  req.set_organization_id(org_id);
  req.set_name(name);
  req.set_created_by_user_id(created_by);
  pb::CreateMonitorTokenResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::CreateMonitorToken, opts_, req, &resp);
  if (!s.ok()) return s;
  return CreatedCredential{FromProto(resp.credential()), resp.token()};
}

absl::StatusOr<std::vector<Credential>> GrpcAccountsClient::ListMonitorTokens(
    const std::string& org_id) {
  pb::ListMonitorTokensRequest req;
  req.set_organization_id(org_id);
  pb::ListMonitorTokensResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::ListMonitorTokens, opts_, req, &resp);
  if (!s.ok()) return s;
  return FromProto(resp.credentials());
}

absl::StatusOr<Credential> GrpcAccountsClient::RevokeMonitorToken(
    const std::string& org_id, const std::string& id, const std::string& only_created_by) {
  pb::RevokeMonitorTokenRequest req;
  req.set_organization_id(org_id);
  req.set_credential_id(id);
  req.set_only_created_by(only_created_by);
  pb::RevokeMonitorTokenResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::RevokeMonitorToken, opts_, req, &resp);
  if (!s.ok()) return s;
  return FromProto(resp.credential());
}

absl::StatusOr<CreatedCredential> GrpcAccountsClient::CreateApiKey(const std::string& org_id,
                                                                   const std::string& name,
                                                                   const std::string& created_by) {
  pb::CreateApiKeyRequest req;
  req.set_organization_id(org_id);
  req.set_name(name);
  req.set_created_by_user_id(created_by);
  pb::CreateApiKeyResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::CreateApiKey, opts_, req, &resp);
  if (!s.ok()) return s;
  return CreatedCredential{FromProto(resp.credential()), resp.key()};
}

absl::StatusOr<std::vector<Credential>> GrpcAccountsClient::ListApiKeys(const std::string& org_id) {
  pb::ListApiKeysRequest req;
  req.set_organization_id(org_id);
  pb::ListApiKeysResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::ListApiKeys, opts_, req, &resp);
  if (!s.ok()) return s;
  return FromProto(resp.credentials());
}

absl::StatusOr<Credential> GrpcAccountsClient::RevokeApiKey(const std::string& org_id,
                                                            const std::string& id,
                                                            const std::string& only_created_by) {
  pb::RevokeApiKeyRequest req;
  req.set_organization_id(org_id);
  req.set_credential_id(id);
  req.set_only_created_by(only_created_by);
  pb::RevokeApiKeyResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::RevokeApiKey, opts_, req, &resp);
  if (!s.ok()) return s;
  return FromProto(resp.credential());
}

absl::StatusOr<Credential> GrpcAccountsClient::SetCredentialLimits(
    const std::string& org_id, bool api_key, const std::string& id, const LimitsPatch& patch,
    const std::string& only_created_by) {
  pb::SetCredentialLimitsRequest req;
  req.set_organization_id(org_id);
  req.set_credential_id(id);
  req.set_api_key(api_key);
  req.set_only_created_by(only_created_by);
  ToProto(patch, req.mutable_patch());
  pb::SetCredentialLimitsResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::SetCredentialLimits, opts_, req, &resp);
  if (!s.ok()) return s;
  return FromProto(resp.credential());
}

absl::StatusOr<Limits> GrpcAccountsClient::GetOrganizationLimits(const std::string& org_id) {
  pb::GetOrganizationLimitsRequest req;
  req.set_organization_id(org_id);
  pb::GetOrganizationLimitsResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::GetOrganizationLimits, opts_, req, &resp);
  if (!s.ok()) return s;
  return FromProto(resp.limits());
}

absl::StatusOr<Limits> GrpcAccountsClient::SetOrganizationLimits(const std::string& org_id,
                                                                 const LimitsPatch& patch) {
  pb::SetOrganizationLimitsRequest req;
  req.set_organization_id(org_id);
  ToProto(patch, req.mutable_patch());
  pb::GetOrganizationLimitsResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::SetOrganizationLimits, opts_, req, &resp);
  if (!s.ok()) return s;
  return FromProto(resp.limits());
}

absl::Status GrpcAccountsClient::CheckHealth() {
  grpc::health::v1::HealthCheckRequest req;
  grpc::health::v1::HealthCheckResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  grpc::Status s = health_->Check(&ctx, req, &resp);
  if (!s.ok()) return absl::UnavailableError("accounts health check failed");
  if (resp.status() != grpc::health::v1::HealthCheckResponse::SERVING) {
    return absl::UnavailableError("accounts is not serving");
  }
  return absl::OkStatus();
}

}  // namespace llmgw::dashboard

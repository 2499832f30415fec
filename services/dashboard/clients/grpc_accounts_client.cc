#include "services/dashboard/clients/grpc_accounts_client.h"

namespace llmgw::dashboard {
namespace {

namespace pb = ::llmgw::accounts::v1;
using Stub = pb::AccountsService::Stub;

Organization FromProto(const pb::Organization& o) {
  return Organization{o.id(), o.name(), o.email(), o.created_at_unix_ms()};
}

Credential FromProto(const pb::Credential& c) {
  return Credential{c.id(),
                    c.name(),
                    c.prefix(),
                    c.is_active(),
                    c.last_used_at_unix_ms(),
                    c.created_at_unix_ms()};
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
                                                      const std::string& password) {
  pb::LoginRequest req;
  req.set_email(email);
  req.set_password(password);
  pb::LoginResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::Login, opts_, req, &resp,
                                  /*user_unauthenticated=*/true);
  if (!s.ok()) return s;
  return LoginResult{FromProto(resp.organization()), resp.session_token(),
                     resp.expires_at_unix_ms()};
}

absl::StatusOr<Organization> GrpcAccountsClient::ValidateSession(const std::string& session_token) {
  pb::ValidateSessionRequest req;
  req.set_session_token(session_token);
  pb::ValidateSessionResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::ValidateSession, opts_, req, &resp,
                                  /*user_unauthenticated=*/true);
  if (!s.ok()) return s;
  return FromProto(resp.organization());
}

absl::Status GrpcAccountsClient::Logout(const std::string& session_token) {
  pb::LogoutRequest req;
  req.set_session_token(session_token);
  pb::LogoutResponse resp;
  return internal::Call(stub_.get(), &Stub::Logout, opts_, req, &resp);
}

absl::StatusOr<CreatedCredential> GrpcAccountsClient::CreateMonitorToken(const std::string& org_id,
                                                                         const std::string& name) {
  pb::CreateMonitorTokenRequest req;
  req.set_organization_id(org_id);
  req.set_name(name);
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

absl::StatusOr<Credential> GrpcAccountsClient::RevokeMonitorToken(const std::string& org_id,
                                                                  const std::string& id) {
  pb::RevokeMonitorTokenRequest req;
  req.set_organization_id(org_id);
  req.set_credential_id(id);
  pb::RevokeMonitorTokenResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::RevokeMonitorToken, opts_, req, &resp);
  if (!s.ok()) return s;
  return FromProto(resp.credential());
}

absl::StatusOr<CreatedCredential> GrpcAccountsClient::CreateApiKey(const std::string& org_id,
                                                                   const std::string& name) {
  pb::CreateApiKeyRequest req;
  req.set_organization_id(org_id);
  req.set_name(name);
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
                                                            const std::string& id) {
  pb::RevokeApiKeyRequest req;
  req.set_organization_id(org_id);
  req.set_credential_id(id);
  pb::RevokeApiKeyResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::RevokeApiKey, opts_, req, &resp);
  if (!s.ok()) return s;
  return FromProto(resp.credential());
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

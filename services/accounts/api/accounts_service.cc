#include "services/accounts/api/accounts_service.h"

#include "libs/common/config.h"
#include "libs/common/status_macros.h"
#include "libs/pg/migrate.h"
#include "services/accounts/storage/migrations.h"

namespace llmgw::accounts {
namespace {

namespace pb = llmgw::accounts::v1;

void ToProto(const Organization& o, pb::Organization* out) {
  out->set_id(o.id);
  out->set_name(o.name);
  out->set_email(o.email);
  out->set_created_at_unix_ms(o.created_at_ms);
}

void ToProto(const User& u, pb::User* out) {
  out->set_id(u.id);
  out->set_name(u.name);
  out->set_email(u.email);
  out->set_created_at_unix_ms(u.created_at_ms);
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

absl::StatusOr<Role> FromProto(pb::Role r) {
  switch (r) {
    case pb::ROLE_OWNER:
      return Role::kOwner;
    case pb::ROLE_ADMIN:
      return Role::kAdmin;
    case pb::ROLE_MEMBER:
      return Role::kMember;
    case pb::ROLE_VIEWER:
      return Role::kViewer;
    default:
      return absl::InvalidArgumentError("role must be owner, admin, member or viewer");
  }
}

void ToProto(const ValidatedSession& s, pb::ValidateSessionResponse* out) {
  ToProto(s.organization, out->mutable_organization());
  ToProto(s.user, out->mutable_user());
  out->set_role(ToProto(s.role));
  out->set_expires_at_unix_ms(s.expires_at_ms);
}

void ToProto(const LoginResult& r, pb::LoginResponse* out) {
  ToProto(r.organization, out->mutable_organization());
  ToProto(r.user, out->mutable_user());
  out->set_role(ToProto(r.role));
  out->set_session_token(r.session_token);
  out->set_expires_at_unix_ms(r.expires_at_ms);
}

void ToProto(const Member& m, pb::Member* out) {
  ToProto(m.user, out->mutable_user());
  out->set_role(ToProto(m.role));
  out->set_joined_at_unix_ms(m.joined_at_ms);
}

void ToProto(const AuditEntry& e, pb::AuditEntry* out) {
  out->set_id(e.id);
  out->set_organization_id(e.organization_id);
  out->set_at_unix_ms(e.at_ms);
  out->set_actor_user_id(e.actor_user_id);
  out->set_actor_email(e.actor_email);
  out->set_action(e.action);
  out->set_target(e.target);
  out->set_details_json(e.details_json);
}

void ToProto(const Limits& l, pb::Limits* out) {
  if (l.rpm) out->set_rpm(*l.rpm);
  if (l.tpm) out->set_tpm(*l.tpm);
  if (l.daily_budget_nano) out->set_daily_budget_nano(*l.daily_budget_nano);
  if (l.monthly_budget_nano) out->set_monthly_budget_nano(*l.monthly_budget_nano);
}

// INVALID_ARGUMENT for an unknown name in `unset` or a field both set and unset.
absl::StatusOr<LimitsPatch> FromProto(const pb::LimitsPatch& p) {
  LimitsPatch out;
  const pb::Limits& set = p.set();
  auto take = [](bool has, int64_t v, bool& flag, std::optional<int64_t>& value) {
    if (!has) return;
    flag = true;
    value = v;
  };
  take(set.has_rpm(), set.rpm(), out.set_rpm, out.values.rpm);
  take(set.has_tpm(), set.tpm(), out.set_tpm, out.values.tpm);
  take(set.has_daily_budget_nano(), set.daily_budget_nano(), out.set_daily,
       out.values.daily_budget_nano);
  take(set.has_monthly_budget_nano(), set.monthly_budget_nano(), out.set_monthly,
       out.values.monthly_budget_nano);
  for (const std::string& name : p.unset()) {
    bool* flag = name == "rpm"                   ? &out.set_rpm
                 : name == "tpm"                 ? &out.set_tpm
                 : name == "daily_budget_nano"   ? &out.set_daily
                 : name == "monthly_budget_nano" ? &out.set_monthly
                                                 : nullptr;
    if (flag == nullptr) return absl::InvalidArgumentError("unknown limit: " + name);
    if (*flag) return absl::InvalidArgumentError(name + " is both set and unset");
    *flag = true;  // its value stays nullopt: removed
  }
  return out;
}

void ToProto(const Credential& c, pb::Credential* out) {
  ToProto(c.limits, out->mutable_limits());
  out->set_created_by_user_id(c.created_by_user_id);
  out->set_id(c.id);
  out->set_name(c.name);
  out->set_prefix(c.prefix);
  out->set_is_active(c.active);
  out->set_last_used_at_unix_ms(c.last_used_at_ms);
  out->set_created_at_unix_ms(c.created_at_ms);
}

template <typename Resp>
absl::Status FillValidation(absl::StatusOr<CredentialValidation> v, Resp* resp) {
  if (!v.ok()) return v.status();
  resp->set_valid(v->valid);
  resp->set_organization_id(v->organization_id);
  resp->set_credential_id(v->credential_id);
  ToProto(v->limits, resp->mutable_limits());
  ToProto(v->organization_limits, resp->mutable_organization_limits());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<AccountServiceOptions> AccountServiceOptionsFromEnv() {
  AccountServiceOptions o;
  LLMGW_ASSIGN_OR_RETURN(int64_t iterations,
                         config::Int("LLMGW_PASSWORD_ITERATIONS", kDefaultPasswordIterations,
                                     kMinPasswordIterations, kMaxPasswordIterations));
  LLMGW_ASSIGN_OR_RETURN(int64_t ttl_hours,
                         config::Int("LLMGW_SESSION_TTL_HOURS", 168, 1, 24 * 366));
  o.password_iterations = static_cast<int>(iterations);
  o.session_ttl = std::chrono::hours(ttl_hours);
  return o;
}

grpc::ServerUnaryReactor* AccountsGrpcService::Register(grpc::CallbackServerContext* ctx,
                                                        const pb::RegisterRequest* req,
                                                        pb::RegisterResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "Register", [this, req, resp]() -> absl::Status {
    LLMGW_ASSIGN_OR_RETURN(Organization org,
                           accounts_.Register(req->name(), req->email(), req->password()));
    ToProto(org, resp->mutable_organization());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountsGrpcService::Login(grpc::CallbackServerContext* ctx,
                                                     const pb::LoginRequest* req,
                                                     pb::LoginResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "Login", [this, req, resp]() -> absl::Status {
    LLMGW_ASSIGN_OR_RETURN(LoginResult r,
                           accounts_.Login(req->email(), req->password(), req->client_address()));
    ToProto(r, resp);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountsGrpcService::ValidateSession(
    grpc::CallbackServerContext* ctx, const pb::ValidateSessionRequest* req,
    pb::ValidateSessionResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "ValidateSession", [this, req, resp]() -> absl::Status {
    LLMGW_ASSIGN_OR_RETURN(ValidatedSession s, accounts_.ValidateSession(req->session_token()));
    ToProto(s, resp);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountsGrpcService::Logout(grpc::CallbackServerContext* ctx,
                                                      const pb::LogoutRequest* req,
                                                      pb::LogoutResponse*) {
  return grpcutil::ServeUnary(ctx, env_, "Logout",
                              [this, req]() { return accounts_.Logout(req->session_token()); });
}

grpc::ServerUnaryReactor* AccountsGrpcService::GetOrganization(
    grpc::CallbackServerContext* ctx, const pb::GetOrganizationRequest* req,
    pb::GetOrganizationResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "GetOrganization", [this, req, resp]() -> absl::Status {
    LLMGW_ASSIGN_OR_RETURN(Organization org, accounts_.GetOrganization(req->organization_id()));
    ToProto(org, resp->mutable_organization());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountsGrpcService::SwitchOrganization(
    grpc::CallbackServerContext* ctx, const pb::SwitchOrganizationRequest* req,
    pb::SwitchOrganizationResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "SwitchOrganization", [this, req, resp]() -> absl::Status {
    LLMGW_ASSIGN_OR_RETURN(ValidatedSession s, accounts_.SwitchOrganization(
                                                   req->session_token(), req->organization_id()));
    ToProto(s, resp->mutable_session());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountsGrpcService::ListMemberships(
    grpc::CallbackServerContext* ctx, const pb::ListMembershipsRequest* req,
    pb::ListMembershipsResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "ListMemberships", [this, req, resp]() -> absl::Status {
    LLMGW_ASSIGN_OR_RETURN(std::vector<Membership> list, accounts_.ListMemberships(req->user_id()));
    for (const Membership& m : list) {
      pb::Membership* out = resp->add_memberships();
      ToProto(m.organization, out->mutable_organization());
      out->set_role(ToProto(m.role));
      out->set_joined_at_unix_ms(m.joined_at_ms);
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountsGrpcService::ListMembers(grpc::CallbackServerContext* ctx,
                                                           const pb::ListMembersRequest* req,
                                                           pb::ListMembersResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "ListMembers", [this, req, resp]() -> absl::Status {
    LLMGW_ASSIGN_OR_RETURN(std::vector<Member> list, accounts_.ListMembers(req->organization_id()));
    for (const Member& m : list) ToProto(m, resp->add_members());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountsGrpcService::InviteMember(grpc::CallbackServerContext* ctx,
                                                            const pb::InviteMemberRequest* req,
                                                            pb::InviteMemberResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "InviteMember", [this, req, resp]() -> absl::Status {
    LLMGW_ASSIGN_OR_RETURN(Role role, FromProto(req->role()));
    LLMGW_ASSIGN_OR_RETURN(
        CreatedInvitation inv,
        accounts_.Invite(req->organization_id(), req->actor_user_id(), req->email(), role));
    resp->set_token(inv.token);
    resp->set_expires_at_unix_ms(inv.invitation.expires_at_ms);
    resp->set_invitation_id(inv.invitation.id);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountsGrpcService::AcceptInvitation(
    grpc::CallbackServerContext* ctx, const pb::AcceptInvitationRequest* req,
    pb::LoginResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "AcceptInvitation", [this, req, resp]() -> absl::Status {
    LLMGW_ASSIGN_OR_RETURN(LoginResult r,
                           accounts_.AcceptInvitation(req->token(), req->name(), req->password()));
    ToProto(r, resp);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountsGrpcService::ChangeMember(grpc::CallbackServerContext* ctx,
                                                            const pb::ChangeMemberRequest* req,
                                                            pb::ChangeMemberResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "ChangeMember", [this, req, resp]() -> absl::Status {
    std::optional<Role> role;
    if (!req->remove()) {
      LLMGW_ASSIGN_OR_RETURN(role, FromProto(req->role()));
    }
    LLMGW_ASSIGN_OR_RETURN(MemberChange change,
                           accounts_.ChangeMembership(req->organization_id(), req->actor_user_id(),
                                                      req->target_user_id(), role));
    ToProto(change.before, resp->mutable_before());
    resp->set_after(change.after ? ToProto(*change.after) : pb::ROLE_UNSPECIFIED);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountsGrpcService::RecordAudit(grpc::CallbackServerContext* ctx,
                                                           const pb::RecordAuditRequest* req,
                                                           pb::RecordAuditResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "RecordAudit", [this, req, resp]() -> absl::Status {
    const pb::AuditEntry& in = req->entry();
    AuditEntry e{
        0,           in.organization_id(), 0, in.actor_user_id(), in.actor_email(), in.action(),
        in.target(), in.details_json()};
    LLMGW_ASSIGN_OR_RETURN(AuditEntry stored, accounts_.RecordAudit(std::move(e)));
    ToProto(stored, resp->mutable_entry());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountsGrpcService::ListAudit(grpc::CallbackServerContext* ctx,
                                                         const pb::ListAuditRequest* req,
                                                         pb::ListAuditResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "ListAudit", [this, req, resp]() -> absl::Status {
    LLMGW_ASSIGN_OR_RETURN(
        std::vector<AuditEntry> list,
        accounts_.ListAudit(req->organization_id(), req->limit(), req->before_id()));
    for (const AuditEntry& e : list) ToProto(e, resp->add_entries());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountsGrpcService::CreateMonitorToken(
    grpc::CallbackServerContext* ctx, const pb::CreateMonitorTokenRequest* req,
    pb::CreateMonitorTokenResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "CreateMonitorToken", [this, req, resp]() -> absl::Status {
    LLMGW_ASSIGN_OR_RETURN(
        CreatedCredential c,
        accounts_.CreateCredential(CredentialKind::kMonitorToken, req->organization_id(),
                                   req->name(), req->created_by_user_id()));
    ToProto(c.credential, resp->mutable_credential());
    resp->set_token(c.secret);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountsGrpcService::ListMonitorTokens(
    grpc::CallbackServerContext* ctx, const pb::ListMonitorTokensRequest* req,
    pb::ListMonitorTokensResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "ListMonitorTokens", [this, req, resp]() -> absl::Status {
    LLMGW_ASSIGN_OR_RETURN(
        std::vector<Credential> list,
        accounts_.ListCredentials(CredentialKind::kMonitorToken, req->organization_id()));
    for (const Credential& c : list) ToProto(c, resp->add_credentials());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountsGrpcService::RevokeMonitorToken(
    grpc::CallbackServerContext* ctx, const pb::RevokeMonitorTokenRequest* req,
    pb::RevokeMonitorTokenResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "RevokeMonitorToken", [this, req, resp]() -> absl::Status {
    LLMGW_ASSIGN_OR_RETURN(Credential c, accounts_.RevokeCredential(
                                             CredentialKind::kMonitorToken, req->organization_id(),
                                             req->credential_id(), req->only_created_by()));
    ToProto(c, resp->mutable_credential());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountsGrpcService::ValidateMonitorToken(
    grpc::CallbackServerContext* ctx, const pb::ValidateMonitorTokenRequest* req,
    pb::ValidateMonitorTokenResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "ValidateMonitorToken", [this, req, resp]() {
    return FillValidation(accounts_.ValidateCredential(CredentialKind::kMonitorToken, req->token()),
                          resp);
  });
}

grpc::ServerUnaryReactor* AccountsGrpcService::CreateApiKey(grpc::CallbackServerContext* ctx,
                                                            const pb::CreateApiKeyRequest* req,
                                                            pb::CreateApiKeyResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "CreateApiKey", [this, req, resp]() -> absl::Status {
    LLMGW_ASSIGN_OR_RETURN(CreatedCredential c, accounts_.CreateCredential(
                                                    CredentialKind::kApiKey, req->organization_id(),
                                                    req->name(), req->created_by_user_id()));
    ToProto(c.credential, resp->mutable_credential());
    resp->set_key(c.secret);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountsGrpcService::ListApiKeys(grpc::CallbackServerContext* ctx,
                                                           const pb::ListApiKeysRequest* req,
                                                           pb::ListApiKeysResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "ListApiKeys", [this, req, resp]() -> absl::Status {
    LLMGW_ASSIGN_OR_RETURN(
        std::vector<Credential> list,
        accounts_.ListCredentials(CredentialKind::kApiKey, req->organization_id()));
    for (const Credential& c : list) ToProto(c, resp->add_credentials());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountsGrpcService::RevokeApiKey(grpc::CallbackServerContext* ctx,
                                                            const pb::RevokeApiKeyRequest* req,
                                                            pb::RevokeApiKeyResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "RevokeApiKey", [this, req, resp]() -> absl::Status {
    LLMGW_ASSIGN_OR_RETURN(
        Credential c, accounts_.RevokeCredential(CredentialKind::kApiKey, req->organization_id(),
                                                 req->credential_id(), req->only_created_by()));
    ToProto(c, resp->mutable_credential());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountsGrpcService::ValidateApiKey(grpc::CallbackServerContext* ctx,
                                                              const pb::ValidateApiKeyRequest* req,
                                                              pb::ValidateApiKeyResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "ValidateApiKey", [this, req, resp]() {
    return FillValidation(accounts_.ValidateCredential(CredentialKind::kApiKey, req->key()), resp);
  });
}

grpc::ServerUnaryReactor* AccountsGrpcService::SetCredentialLimits(
    grpc::CallbackServerContext* ctx, const pb::SetCredentialLimitsRequest* req,
    pb::SetCredentialLimitsResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "SetCredentialLimits", [this, req, resp]() -> absl::Status {
    LLMGW_ASSIGN_OR_RETURN(LimitsPatch patch, FromProto(req->patch()));
    LLMGW_ASSIGN_OR_RETURN(
        Credential c,
        accounts_.PatchCredentialLimits(
            req->api_key() ? CredentialKind::kApiKey : CredentialKind::kMonitorToken,
            req->organization_id(), req->credential_id(), patch, req->only_created_by()));
    ToProto(c, resp->mutable_credential());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccountsGrpcService::GetOrganizationLimits(
    grpc::CallbackServerContext* ctx, const pb::GetOrganizationLimitsRequest* req,
    pb::GetOrganizationLimitsResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "GetOrganizationLimits",
                              [this, req, resp]() -> absl::Status {
                                LLMGW_ASSIGN_OR_RETURN(
                                    Limits l, accounts_.GetOrganizationLimits(req->organization_id()));
                                ToProto(l, resp->mutable_limits());
                                return absl::OkStatus();
                              });
}

grpc::ServerUnaryReactor* AccountsGrpcService::SetOrganizationLimits(
    grpc::CallbackServerContext* ctx, const pb::SetOrganizationLimitsRequest* req,
    pb::GetOrganizationLimitsResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "SetOrganizationLimits",
                              [this, req, resp]() -> absl::Status {
                                LLMGW_ASSIGN_OR_RETURN(LimitsPatch patch, FromProto(req->patch()));
                                LLMGW_ASSIGN_OR_RETURN(
                                    Limits l, accounts_.PatchOrganizationLimits(
                                                  req->organization_id(), patch));
                                ToProto(l, resp->mutable_limits());
                                return absl::OkStatus();
                              });
}

absl::StatusOr<std::unique_ptr<InProcessAccounts>> InProcessAccounts::Start(Options options) {
  std::unique_ptr<InProcessAccounts> out(new InProcessAccounts());
  AccountServiceOptions service_options;
  if (options.service_options) {
    service_options = *options.service_options;
  } else {
    LLMGW_ASSIGN_OR_RETURN(service_options, AccountServiceOptionsFromEnv());
  }
  pg::PoolOptions pool_options;
  pool_options.url = options.database_url;
  pool_options.size = options.pool_size;
  pool_options.on_connect = PgAccountStore::PrepareStatements;
  LLMGW_ASSIGN_OR_RETURN(out->pool_, pg::PgPool::Create(std::move(pool_options)));
  LLMGW_RETURN_IF_ERROR(pg::ApplyMigrations(*out->pool_, "accounts", accountsMigrations()));
  out->store_ = std::make_unique<PgAccountStore>(*out->pool_);
  const Clock& clock = options.clock ? *options.clock : SystemClock::Get();
  out->accounts_ = std::make_unique<AccountService>(*out->store_, clock, service_options);
  if (options.flush_interval.count() > 0) {
    out->accounts_->last_used().Start(options.flush_interval);
  }
  out->workers_ = std::make_unique<boost::asio::thread_pool>(options.worker_threads);
  out->service_ = std::make_unique<AccountsGrpcService>(
      *out->accounts_, grpcutil::HandlerEnv{options.internal_token, out->workers_.get(), nullptr});
  LLMGW_ASSIGN_OR_RETURN(out->server_,
                         grpcutil::GrpcServer::Start(options.address, {out->service_.get()}));
  return out;
}

InProcessAccounts::~InProcessAccounts() {
  if (server_) server_->Shutdown(std::chrono::seconds(5));
  if (workers_) workers_->join();
  if (accounts_) accounts_->last_used().Stop().IgnoreError();
}

}  // namespace llmgw::accounts

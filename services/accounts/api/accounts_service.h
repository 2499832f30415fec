#pragma once
// gRPC transport of the accounts service (llmgw.accounts.v1.AccountsService): proto <-> domain,
// absl::Status -> grpc::Status. Every RPC runs through grpcutil::ServeUnary (internal-token check,
// worker pool, metrics).
//
// In-process use (dashboard and end-to-end tests): either wire it yourself
//   AccountsGrpcService svc(account_service, grpcutil::HandlerEnv{token, &thread_pool, nullptr});
//   auto server = grpcutil::GrpcServer::Start("127.0.0.1:0", {&svc});
// or start the whole stack over a database with InProcessAccounts (below).

#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "libs/common/clock.h"
#include "libs/grpc/server.h"
#include "libs/pg/pool.h"
#include "llmgw/accounts/v1/accounts.grpc.pb.h"
#include "services/accounts/domain/account_service.h"
#include "services/accounts/storage/pg_account_store.h"

namespace llmgw::accounts {

// The service options from the environment: LLMGW_PASSWORD_ITERATIONS (default 210000, min 1000)
// and LLMGW_SESSION_TTL_HOURS (default 168). InvalidArgument naming the variable.
absl::StatusOr<AccountServiceOptions> AccountServiceOptionsFromEnv();

class AccountsGrpcService final : public llmgw::accounts::v1::AccountsService::CallbackService {
 public:
  // `accounts` and the pool in `env` must outlive the service (and the server it is added to).
  AccountsGrpcService(AccountService& accounts, grpcutil::HandlerEnv env)
      : accounts_(accounts), env_(std::move(env)) {}

  // AccountsService
  grpc::ServerUnaryReactor* Register(grpc::CallbackServerContext* ctx,
                                     const v1::RegisterRequest* req,
                                     v1::RegisterResponse* resp) override;
  grpc::ServerUnaryReactor* Login(grpc::CallbackServerContext* ctx, const v1::LoginRequest* req,
                                  v1::LoginResponse* resp) override;
  grpc::ServerUnaryReactor* ValidateSession(grpc::CallbackServerContext* ctx,
                                            const v1::ValidateSessionRequest* req,
                                            v1::ValidateSessionResponse* resp) override;
  grpc::ServerUnaryReactor* Logout(grpc::CallbackServerContext* ctx, const v1::LogoutRequest* req,
                                   v1::LogoutResponse* resp) override;
  grpc::ServerUnaryReactor* GetOrganization(grpc::CallbackServerContext* ctx,
                                            const v1::GetOrganizationRequest* req,
                                            v1::GetOrganizationResponse* resp) override;
  grpc::ServerUnaryReactor* SwitchOrganization(grpc::CallbackServerContext* ctx,
                                               const v1::SwitchOrganizationRequest* req,
                                               v1::SwitchOrganizationResponse* resp) override;
  grpc::ServerUnaryReactor* ListMemberships(grpc::CallbackServerContext* ctx,
                                            const v1::ListMembershipsRequest* req,
                                            v1::ListMembershipsResponse* resp) override;
  grpc::ServerUnaryReactor* ListMembers(grpc::CallbackServerContext* ctx,
                                        const v1::ListMembersRequest* req,
                                        v1::ListMembersResponse* resp) override;
  grpc::ServerUnaryReactor* InviteMember(grpc::CallbackServerContext* ctx,
                                         const v1::InviteMemberRequest* req,
                                         v1::InviteMemberResponse* resp) override;
  grpc::ServerUnaryReactor* AcceptInvitation(grpc::CallbackServerContext* ctx,
                                             const v1::AcceptInvitationRequest* req,
                                             v1::LoginResponse* resp) override;
  grpc::ServerUnaryReactor* ChangeMember(grpc::CallbackServerContext* ctx,
                                         const v1::ChangeMemberRequest* req,
                                         v1::ChangeMemberResponse* resp) override;
  grpc::ServerUnaryReactor* RecordAudit(grpc::CallbackServerContext* ctx,
                                        const v1::RecordAuditRequest* req,
                                        v1::RecordAuditResponse* resp) override;
  grpc::ServerUnaryReactor* ListAudit(grpc::CallbackServerContext* ctx,
                                      const v1::ListAuditRequest* req,
                                      v1::ListAuditResponse* resp) override;
  grpc::ServerUnaryReactor* CreateMonitorToken(grpc::CallbackServerContext* ctx,
                                               const v1::CreateMonitorTokenRequest* req,
                                               v1::CreateMonitorTokenResponse* resp) override;
  grpc::ServerUnaryReactor* ListMonitorTokens(grpc::CallbackServerContext* ctx,
                                              const v1::ListMonitorTokensRequest* req,
                                              v1::ListMonitorTokensResponse* resp) override;
  grpc::ServerUnaryReactor* RevokeMonitorToken(grpc::CallbackServerContext* ctx,
                                               const v1::RevokeMonitorTokenRequest* req,
                                               v1::RevokeMonitorTokenResponse* resp) override;
  grpc::ServerUnaryReactor* ValidateMonitorToken(grpc::CallbackServerContext* ctx,
                                                 const v1::ValidateMonitorTokenRequest* req,
                                                 v1::ValidateMonitorTokenResponse* resp) override;
  grpc::ServerUnaryReactor* CreateApiKey(grpc::CallbackServerContext* ctx,
                                         const v1::CreateApiKeyRequest* req,
                                         v1::CreateApiKeyResponse* resp) override;
  grpc::ServerUnaryReactor* ListApiKeys(grpc::CallbackServerContext* ctx,
                                        const v1::ListApiKeysRequest* req,
                                        v1::ListApiKeysResponse* resp) override;
  grpc::ServerUnaryReactor* RevokeApiKey(grpc::CallbackServerContext* ctx,
                                         const v1::RevokeApiKeyRequest* req,
                                         v1::RevokeApiKeyResponse* resp) override;
  grpc::ServerUnaryReactor* ValidateApiKey(grpc::CallbackServerContext* ctx,
                                           const v1::ValidateApiKeyRequest* req,
                                           v1::ValidateApiKeyResponse* resp) override;
  grpc::ServerUnaryReactor* SetCredentialLimits(grpc::CallbackServerContext* ctx,
                                                const v1::SetCredentialLimitsRequest* req,
                                                v1::SetCredentialLimitsResponse* resp) override;
  grpc::ServerUnaryReactor* GetOrganizationLimits(grpc::CallbackServerContext* ctx,
                                                  const v1::GetOrganizationLimitsRequest* req,
                                                  v1::GetOrganizationLimitsResponse* resp) override;
  grpc::ServerUnaryReactor* SetOrganizationLimits(grpc::CallbackServerContext* ctx,
                                                  const v1::SetOrganizationLimitsRequest* req,
                                                  v1::GetOrganizationLimitsResponse* resp) override;

 private:
  AccountService& accounts_;
  grpcutil::HandlerEnv env_;
};

// The whole accounts service over one PostgreSQL database, in this process: pool (migrations
// applied), PgAccountStore, AccountService, AccountsGrpcService and a GrpcServer. For tests of
// other services:
//   auto accounts = InProcessAccounts::Start({.database_url = db->url(),
//                                             .internal_token = kToken});
//   auto channel = grpcutil::MakeChannel((*accounts)->target());
class InProcessAccounts {
 public:
  struct Options {
    std::string database_url;
    std::string internal_token;  // what callers put in x-llmgw-internal-token
    std::string address = "127.0.0.1:0";
    const Clock* clock = nullptr;  // SystemClock when null
    // Read from the environment (AccountServiceOptionsFromEnv) when unset.
    std::optional<AccountServiceOptions> service_options;
    int worker_threads = 4;
    int pool_size = 4;
    // Background last_used_at flush interval; 0 disables it (call FlushLastUsed()).
    std::chrono::milliseconds flush_interval{0};
  };

  static absl::StatusOr<std::unique_ptr<InProcessAccounts>> Start(Options options);
  // Stops the server, drains the workers and flushes last_used_at.
  ~InProcessAccounts();

  int port() const { return server_->port(); }
  std::string target() const { return "127.0.0.1:" + std::to_string(port()); }
  AccountService& accounts() { return *accounts_; }
  pg::PgPool& pool() { return *pool_; }
  absl::Status FlushLastUsed() { return accounts_->last_used().Flush(); }

 private:
  InProcessAccounts() = default;
  std::unique_ptr<pg::PgPool> pool_;
  std::unique_ptr<PgAccountStore> store_;
  std::unique_ptr<AccountService> accounts_;
  std::unique_ptr<boost::asio::thread_pool> workers_;
  std::unique_ptr<AccountsGrpcService> service_;
  std::unique_ptr<grpcutil::GrpcServer> server_;
};

}  // namespace llmgw::accounts

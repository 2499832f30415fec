#include "services/gateway/clients/accounts_client.h"

#include <utility>

#include "libs/grpc/internal_token.h"
#include "libs/grpc/status.h"

namespace llmgw::gateway {
namespace {

// Owns everything one in-flight call needs until its callback runs.
template <typename Req, typename Resp>
struct Call {
  grpc::ClientContext ctx;
  Req req;
  Resp resp;
  CredentialValidator::Done done;
};

Limits FromProto(const accounts::v1::Limits& l) {
  return Limits{.rpm = l.rpm(),
                .tpm = l.tpm(),
                .daily_budget = l.daily_budget_nano(),
                .monthly_budget = l.monthly_budget_nano()};
}

template <typename Req, typename Resp, typename Start>
void Run(std::unique_ptr<Call<Req, Resp>> call, Start start) {
  auto* c = call.release();
  start(&c->ctx, &c->req, &c->resp, [c](grpc::Status status) {
    std::unique_ptr<Call<Req, Resp>> owned(c);
    if (!status.ok()) {
      owned->done(grpcutil::FromGrpc(status));
      return;
    }
    CredentialValidation v;
    v.valid = owned->resp.valid();
    if (v.valid) {
      v.organization_id = owned->resp.organization_id();
      v.credential_id = owned->resp.credential_id();
      v.limits = FromProto(owned->resp.limits());
      v.organization_limits = FromProto(owned->resp.organization_limits());
    }
    owned->done(std::move(v));
  });
}

}  // namespace

GrpcAccountsClient::GrpcAccountsClient(std::shared_ptr<grpc::Channel> channel,
                                       std::string internal_token,
                                       std::chrono::milliseconds deadline)
    : stub_(accounts::v1::AccountsService::NewStub(std::move(channel))),
      internal_token_(std::move(internal_token)),
      deadline_(deadline) {}

void GrpcAccountsClient::ValidateMonitorToken(std::string token, Done done) {
  using C =
      Call<accounts::v1::ValidateMonitorTokenRequest, accounts::v1::ValidateMonitorTokenResponse>;
  auto call = std::make_unique<C>();
  grpcutil::PrepareClientContext(call->ctx, internal_token_, deadline_);
  call->req.set_token(std::move(token));
  call->done = std::move(done);
  Run(std::move(call), [this](auto* ctx, auto* req, auto* resp, auto cb) {
    stub_->async()->ValidateMonitorToken(ctx, req, resp, std::move(cb));
  });
}

void GrpcAccountsClient::ValidateApiKey(std::string key, Done done) {
  using C = Call<accounts::v1::ValidateApiKeyRequest, accounts::v1::ValidateApiKeyResponse>;
  auto call = std::make_unique<C>();
  grpcutil::PrepareClientContext(call->ctx, internal_token_, deadline_);
  call->req.set_key(std::move(key));
  call->done = std::move(done);
  Run(std::move(call), [this](auto* ctx, auto* req, auto* resp, auto cb) {
    stub_->async()->ValidateApiKey(ctx, req, resp, std::move(cb));
  });
}

}  // namespace llmgw::gateway

#include "services/metering/clients/grpc_billing_balance.h"

#include "libs/grpc/internal_token.h"
#include "libs/grpc/status.h"

namespace llmgw::metering {

GrpcBillingBalance::GrpcBillingBalance(std::shared_ptr<grpc::Channel> channel,
                                       std::string internal_token,
                                       std::chrono::milliseconds timeout)
    : stub_(llmgw::billing::v1::BillingService::NewStub(channel)),
      internal_token_(std::move(internal_token)),
      timeout_(timeout) {}

absl::StatusOr<int64_t> GrpcBillingBalance::Balance(const std::string& organization_id) {
  grpc::ClientContext ctx;
  grpcutil::PrepareClientContext(ctx, internal_token_, timeout_);
  llmgw::billing::v1::GetBalanceRequest req;
  req.set_organization_id(organization_id);
  llmgw::billing::v1::GetBalanceResponse resp;
  absl::Status s = grpcutil::FromGrpc(stub_->GetBalance(&ctx, req, &resp));
  if (!s.ok()) return s;
  return resp.balance_nano();
}

}  // namespace llmgw::metering

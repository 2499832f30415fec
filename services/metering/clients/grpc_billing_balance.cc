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

absl::StatusOr<std::vector<BudgetCounter>> GrpcBillingBalance::Budgets(
    const std::string& organization_id) {
  grpc::ClientContext ctx;
  grpcutil::PrepareClientContext(ctx, internal_token_, timeout_);
  llmgw::billing::v1::ListBudgetsRequest req;
  req.set_organization_id(organization_id);
  llmgw::billing::v1::ListBudgetsResponse resp;
  absl::Status s = grpcutil::FromGrpc(stub_->ListBudgets(&ctx, req, &resp));
  if (!s.ok()) return s;
  std::vector<BudgetCounter> out;
  for (const auto& b : resp.budgets()) {
    out.push_back({b.scope(), b.period(), b.period_start(), b.spent_nano()});
  }
  return out;
}

GrpcAccountsLimits::GrpcAccountsLimits(std::shared_ptr<grpc::Channel> channel,
                                       std::string internal_token,
                                       std::chrono::milliseconds timeout)
    : stub_(llmgw::accounts::v1::AccountsService::NewStub(channel)),
      internal_token_(std::move(internal_token)),
      timeout_(timeout) {}

absl::StatusOr<std::vector<ScopeBudgetLimits>> GrpcAccountsLimits::BudgetLimits(
    const std::string& organization_id) {
  namespace pb = llmgw::accounts::v1;
  auto limits_of = [](const std::string& scope, const pb::Limits& l) {
    return ScopeBudgetLimits{scope, l.has_daily_budget_nano() ? l.daily_budget_nano() : 0,
                             l.has_monthly_budget_nano() ? l.monthly_budget_nano() : 0};
  };
  std::vector<ScopeBudgetLimits> out;
  {
    grpc::ClientContext ctx;
    grpcutil::PrepareClientContext(ctx, internal_token_, timeout_);
    pb::GetOrganizationLimitsRequest req;
    req.set_organization_id(organization_id);
    pb::GetOrganizationLimitsResponse resp;
    absl::Status s = grpcutil::FromGrpc(stub_->GetOrganizationLimits(&ctx, req, &resp));
    if (!s.ok()) return s;
    out.push_back(limits_of("org", resp.limits()));
  }
  auto credentials = [&](auto method, auto req, auto resp) -> absl::Status {
    grpc::ClientContext ctx;
    grpcutil::PrepareClientContext(ctx, internal_token_, timeout_);
    req.set_organization_id(organization_id);
    absl::Status s = grpcutil::FromGrpc((stub_.get()->*method)(&ctx, req, &resp));
    if (!s.ok()) return s;
    for (const pb::Credential& c : resp.credentials()) {
      if (c.is_active()) out.push_back(limits_of("cred:" + c.id(), c.limits()));
    }
    return absl::OkStatus();
  };
  absl::Status s = credentials(&pb::AccountsService::Stub::ListMonitorTokens,
                               pb::ListMonitorTokensRequest{}, pb::ListMonitorTokensResponse{});
  if (!s.ok()) return s;
  s = credentials(&pb::AccountsService::Stub::ListApiKeys, pb::ListApiKeysRequest{},
                  pb::ListApiKeysResponse{});
  if (!s.ok()) return s;
  return out;
}

}  // namespace llmgw::metering

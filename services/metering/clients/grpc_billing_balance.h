#pragma once
// What the balance and budget alert rules watch, over gRPC with the internal token and a
// deadline: billing's GetBalance and budget counters (billing at LLMGW_BILLING_ADDR, as the
// gateway and dashboard reach it), and the budget limits accounts keeps (LLMGW_ACCOUNTS_ADDR).

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "llmgw/accounts/v1/accounts.grpc.pb.h"
#include "llmgw/billing/v1/billing.grpc.pb.h"
#include "services/metering/domain/alerts.h"

namespace llmgw::metering {

class GrpcBillingBalance {
 public:
  GrpcBillingBalance(std::shared_ptr<grpc::Channel> channel, std::string internal_token,
                     std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // The organization's balance in nano-USD (what the dashboard shows as its balance).
  absl::StatusOr<int64_t> Balance(const std::string& organization_id);
  // The organization's budget counters in their current periods.
  absl::StatusOr<std::vector<BudgetCounter>> Budgets(const std::string& organization_id);

 private:
  std::unique_ptr<llmgw::billing::v1::BillingService::Stub> stub_;
  std::string internal_token_;
  std::chrono::milliseconds timeout_;
};

class GrpcAccountsLimits {
 public:
  GrpcAccountsLimits(std::shared_ptr<grpc::Channel> channel, std::string internal_token,
                     std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // The organization's budget limits and those of its active monitor tokens and API keys.
  absl::StatusOr<std::vector<ScopeBudgetLimits>> BudgetLimits(const std::string& organization_id);

 private:
  std::unique_ptr<llmgw::accounts::v1::AccountsService::Stub> stub_;
  std::string internal_token_;
  std::chrono::milliseconds timeout_;
};

}  // namespace llmgw::metering

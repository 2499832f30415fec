#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "llmgw/billing/v1/billing.grpc.pb.h"
#include "services/dashboard/clients/billing_client.h"
#include "services/dashboard/clients/grpc_call.h"

namespace llmgw::dashboard {

// BillingClient over gRPC: every call carries the internal token and a deadline.
class GrpcBillingClient final : public BillingClient {
 public:
  GrpcBillingClient(std::shared_ptr<grpc::Channel> channel, std::string internal_token,
                    std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // BillingClient
  absl::StatusOr<Balance> GetBalance(const std::string& org_id) override;
  absl::StatusOr<ChargeResult> Charge(const std::string& org_id, const std::string& idempotency_key,
                                      money::Nano amount_nano,
                                      const std::string& description) override;
  absl::StatusOr<std::vector<Transaction>> ListTransactions(const std::string& org_id,
                                                            int32_t limit) override;
  absl::StatusOr<std::vector<BudgetSpend>> ListBudgets(const std::string& org_id) override;

 private:
  std::unique_ptr<llmgw::billing::v1::BillingService::Stub> stub_;
  internal::CallOptions opts_;
};

}  // namespace llmgw::dashboard

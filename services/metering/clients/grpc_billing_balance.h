#pragma once
// The balance the balance alert rule watches: billing's GetBalance over gRPC, with the internal
// token and a deadline (billing at LLMGW_BILLING_ADDR, as the gateway and dashboard reach it).

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "llmgw/billing/v1/billing.grpc.pb.h"

namespace llmgw::metering {

class GrpcBillingBalance {
 public:
  GrpcBillingBalance(std::shared_ptr<grpc::Channel> channel, std::string internal_token,
                     std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // The organization's balance in nano-USD (what the dashboard shows as its balance).
  absl::StatusOr<int64_t> Balance(const std::string& organization_id);

 private:
  std::unique_ptr<llmgw::billing::v1::BillingService::Stub> stub_;
  std::string internal_token_;
  std::chrono::milliseconds timeout_;
};

}  // namespace llmgw::metering

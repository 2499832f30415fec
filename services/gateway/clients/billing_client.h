#pragma once
// BillingHolds over the billing gRPC service (callback API: no thread blocks on a call).

#include <chrono>
#include <memory>
#include <string>

#include "llmgw/billing/v1/billing.grpc.pb.h"
#include "services/gateway/clients/hold_ledger.h"

namespace llmgw::gateway {

class GrpcBillingClient final : public BillingHolds {
 public:
  struct Deadlines {
    // A hold sits before the upstream call: short, the client waits on it.
    std::chrono::milliseconds hold = std::chrono::seconds(2);
    std::chrono::milliseconds settle = std::chrono::seconds(5);
    std::chrono::milliseconds void_hold = std::chrono::seconds(5);
  };
  GrpcBillingClient(std::shared_ptr<grpc::Channel> channel, std::string internal_token,
                    Deadlines deadlines);
  GrpcBillingClient(std::shared_ptr<grpc::Channel> channel, std::string internal_token)
      : GrpcBillingClient(std::move(channel), std::move(internal_token), Deadlines{}) {}

  // BillingHolds
  void Hold(HoldOrder order, Done<absl::StatusOr<HoldReceipt>> done) override;
  void Settle(std::string request_id, money::Nano provider_cost, std::string description,
              Done<absl::StatusOr<SettleReceipt>> done) override;
  void Void(std::string request_id, Done<absl::Status> done) override;

 private:
  std::unique_ptr<billing::v1::BillingService::Stub> stub_;
  std::string internal_token_;
  Deadlines deadlines_;
};

}  // namespace llmgw::gateway

#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "llmgw/metering/v1/alerts.grpc.pb.h"
#include "services/dashboard/clients/alerts_client.h"
#include "services/dashboard/clients/grpc_call.h"

namespace llmgw::dashboard {

// AlertsClient over gRPC (metering's AlertService): the internal token and a deadline on every
// call.
class GrpcAlertsClient final : public AlertsClient {
 public:
  GrpcAlertsClient(std::shared_ptr<grpc::Channel> channel, std::string internal_token,
                   std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // AlertsClient
  absl::StatusOr<CreatedAlert> CreateAlert(const std::string& org_id,
                                           const NewAlertInput& in) override;
  absl::StatusOr<std::vector<AlertRule>> ListAlerts(const std::string& org_id) override;
  absl::StatusOr<AlertRule> DeleteAlert(const std::string& org_id, const std::string& id) override;

 private:
  std::unique_ptr<llmgw::metering::v1::AlertService::Stub> stub_;
  internal::CallOptions opts_;
};

}  // namespace llmgw::dashboard

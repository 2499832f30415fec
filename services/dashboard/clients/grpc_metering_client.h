#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "llmgw/metering/v1/metering.grpc.pb.h"
#include "services/dashboard/clients/grpc_call.h"
#include "services/dashboard/clients/metering_client.h"

namespace llmgw::dashboard {

// MeteringClient over gRPC: every call carries the internal token and a deadline.
class GrpcMeteringClient final : public MeteringClient {
 public:
  GrpcMeteringClient(std::shared_ptr<grpc::Channel> channel, std::string internal_token,
                     std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // MeteringClient
  absl::StatusOr<Summary> GetSummary(const std::string& org_id, TimeRange range) override;
  absl::StatusOr<std::vector<ModelUsage>> GetUsageByModel(const std::string& org_id,
                                                          TimeRange range) override;
  absl::StatusOr<std::vector<ProviderUsage>> GetUsageByProvider(const std::string& org_id,
                                                                TimeRange range) override;
  absl::StatusOr<std::vector<TimeseriesPoint>> GetTimeseries(const std::string& org_id,
                                                             TimeRange range, Bucket bucket,
                                                             bool by_provider) override;
  absl::StatusOr<std::vector<UsageRow>> ListUsage(const std::string& org_id,
                                                  const UsageQuery& query) override;

 private:
  std::unique_ptr<llmgw::metering::v1::MeteringService::Stub> stub_;
  internal::CallOptions opts_;
};

}  // namespace llmgw::dashboard

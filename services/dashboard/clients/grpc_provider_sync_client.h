#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "llmgw/metering/v1/metering.grpc.pb.h"
#include "services/dashboard/clients/grpc_call.h"
#include "services/dashboard/clients/provider_sync_client.h"

namespace llmgw::dashboard {

// ProviderSyncClient over gRPC (metering's ProviderSyncService): the internal token and a
// deadline on every call. Creating a connection waits for the provider's check call, so its
// deadline is longer.
class GrpcProviderSyncClient final : public ProviderSyncClient {
 public:
  GrpcProviderSyncClient(std::shared_ptr<grpc::Channel> channel, std::string internal_token,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5),
                         std::chrono::milliseconds check_timeout = std::chrono::seconds(30));

  // ProviderSyncClient
  absl::StatusOr<ProviderConnection> CreateConnection(const std::string& org_id,
                                                      const std::string& provider,
                                                      const std::string& admin_key) override;
  absl::StatusOr<std::vector<ProviderConnection>> ListConnections(
      const std::string& org_id) override;
  absl::StatusOr<ProviderConnection> DeleteConnection(const std::string& org_id,
                                                      const std::string& id) override;
  absl::StatusOr<ProviderConnection> SyncConnection(const std::string& org_id,
                                                    const std::string& id) override;
  absl::StatusOr<CsvImportResult> ImportCsv(const std::string& org_id,
                                            const std::string& csv) override;
  absl::StatusOr<std::vector<ReconciliationRow>> GetReconciliation(const std::string& org_id,
                                                                   DayRange range) override;

 private:
  std::unique_ptr<llmgw::metering::v1::ProviderSyncService::Stub> stub_;
  internal::CallOptions opts_;
  internal::CallOptions check_opts_;
};

}  // namespace llmgw::dashboard

#pragma once
// What the dashboard needs from metering's ProviderSyncService: provider connections, sync now,
// CSV import and the reconciliation.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/dashboard/domain/provider_sync.h"

namespace llmgw::dashboard {

class ProviderSyncClient {
 public:
  virtual ~ProviderSyncClient() = default;

  // InvalidArgument with the provider's reason when its check refuses the key; AlreadyExists
  // when connected before; FailedPrecondition when metering cannot store keys.
  virtual absl::StatusOr<ProviderConnection> CreateConnection(const std::string& org_id,
                                                              const std::string& provider,
                                                              const std::string& admin_key) = 0;
  virtual absl::StatusOr<std::vector<ProviderConnection>> ListConnections(
      const std::string& org_id) = 0;
  // NotFound unless the organization has it.
  virtual absl::StatusOr<ProviderConnection> DeleteConnection(const std::string& org_id,
                                                              const std::string& id) = 0;
  virtual absl::StatusOr<ProviderConnection> SyncConnection(const std::string& org_id,
                                                            const std::string& id) = 0;
  virtual absl::StatusOr<CsvImportResult> ImportCsv(const std::string& org_id,
                                                    const std::string& csv) = 0;
  virtual absl::StatusOr<std::vector<ReconciliationRow>> GetReconciliation(
      const std::string& org_id, DayRange range) = 0;
};

}  // namespace llmgw::dashboard

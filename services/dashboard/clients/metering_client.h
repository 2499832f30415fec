#pragma once
// What the dashboard needs from the metering service (stats and recent usage rows).

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/dashboard/domain/types.h"

namespace llmgw::dashboard {

class MeteringClient {
 public:
  virtual ~MeteringClient() = default;

  virtual absl::StatusOr<Summary> GetSummary(const std::string& org_id, TimeRange range) = 0;
  virtual absl::StatusOr<std::vector<ModelUsage>> GetUsageByModel(const std::string& org_id,
                                                                  TimeRange range) = 0;
  virtual absl::StatusOr<std::vector<ProviderUsage>> GetUsageByProvider(const std::string& org_id,
                                                                        TimeRange range) = 0;
  virtual absl::StatusOr<std::vector<TimeseriesPoint>> GetTimeseries(const std::string& org_id,
                                                                     TimeRange range,
                                                                     Bucket bucket,
                                                                     bool by_provider) = 0;
  // One page of the rows matching `query`, newest first.
  virtual absl::StatusOr<std::vector<UsageRow>> ListUsage(const std::string& org_id,
                                                          const UsageQuery& query) = 0;
};

}  // namespace llmgw::dashboard

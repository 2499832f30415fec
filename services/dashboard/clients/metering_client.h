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
                                                                     Bucket bucket) = 0;
  // Newest first; before_unix_ms 0 means from now.
  virtual absl::StatusOr<std::vector<UsageRow>> ListUsage(const std::string& org_id, int32_t limit,
                                                          int64_t before_unix_ms) = 0;
};

}  // namespace llmgw::dashboard

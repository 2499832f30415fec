#pragma once
// What metering needs from its storage: idempotent ingest, grouped totals, and event pages.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/metering/domain/stats.h"
#include "services/metering/domain/usage.h"

namespace llmgw::metering {

struct IngestResult {
  int inserted = 0;
  int duplicates = 0;  // events whose id was already stored (or repeated within the batch)
  bool operator==(const IngestResult&) const = default;
};

class UsageStore {
 public:
  virtual ~UsageStore() = default;

  // Stores the events (already validated) whose id is new, and their rollups, atomically.
  virtual absl::StatusOr<IngestResult> Ingest(const std::vector<UsageEvent>& events) = 0;

  // Totals of one org's events in `range`, grouped by (bucket, mode, provider, model); groups
  // with no events are absent. Exactly equal to aggregating the raw events.
  virtual absl::StatusOr<std::vector<UsageGroup>> Aggregate(const std::string& organization_id,
                                                            TimeRange range, Bucket bucket) = 0;

  // One page of the org's events with requested_at < before, newest first (ties by event id
  // descending). Never ends inside a millisecond (see PageLength), so paging with
  // before = the last row's time has no gaps and no duplicates.
  virtual absl::StatusOr<std::vector<UsageEvent>> List(const ListQuery& query) = 0;
};

}  // namespace llmgw::metering

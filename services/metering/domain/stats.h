#pragma once
// Stats over one organization's events in a [from, to) range: which parts of the range the
// hourly rollups can answer exactly, time buckets in UTC, and folding grouped totals into the
// summary, per-model, per-provider and timeseries views. Pure C++.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/metering/domain/usage.h"

namespace llmgw::metering {

inline constexpr int64_t kHourMs = 3'600'000;
inline constexpr int64_t kDayMs = 24 * kHourMs;  // UTC days have no DST: always 24 h

// [from_unix_ms, to_unix_ms); empty when from >= to.
struct TimeRange {
  int64_t from_unix_ms = 0;
  int64_t to_unix_ms = 0;
  bool empty() const { return from_unix_ms >= to_unix_ms; }
  bool operator==(const TimeRange&) const = default;
};

// kNone: one bucket for the whole range (bucket_start 0).
enum class Bucket { kNone, kHour, kDay };

// Floor/ceil of `ms` to a multiple of `unit` (> 0), correct for negative times too.
int64_t FloorTo(int64_t ms, int64_t unit);
int64_t CeilTo(int64_t ms, int64_t unit);
// The start of the UTC bucket holding `ms`; 0 for kNone.
int64_t BucketStart(int64_t ms, Bucket bucket);

// InvalidArgument for a missing organization or from >= to.
absl::Status ValidateStatsQuery(const std::string& organization_id, TimeRange range);

// How to answer a range exactly: whole hours from the rollups, the partial hours at either edge
// from the raw events. Parts that are not needed are empty. The range is first clamped to the
// times an event can have, so the bounds are always representable in the database.
// The part of `range` an event can fall in: 0 < requested_at <= kMaxUnixMs.
TimeRange ClampToEventTimes(TimeRange range);

struct RangePlan {
  TimeRange raw_head;
  TimeRange rollup;
  TimeRange raw_tail;
};
RangePlan PlanRange(TimeRange range);

// Totals of the events sharing a bucket, mode, provider and model (what storage returns).
struct UsageGroup {
  int64_t bucket_start_unix_ms = 0;
  Mode mode = Mode::kUnspecified;
  std::string provider;
  std::string model;
  Totals totals;
  bool operator==(const UsageGroup&) const = default;
};

struct Summary {
  Totals total;
  Totals passthrough;
  Totals reseller;
};
struct ModelUsage {
  std::string provider;
  std::string model;
  Totals totals;
};
struct ProviderUsage {
  std::string provider;
  Totals totals;
};
struct TimeseriesPoint {
  int64_t bucket_start_unix_ms = 0;
  std::string provider;  // set by TimeseriesByProvider only
  Totals totals;
};

Summary Summarize(const std::vector<UsageGroup>& groups);
// By cost, then requests, descending; ties by provider, model ascending so the order is stable.
std::vector<ModelUsage> UsageByModel(const std::vector<UsageGroup>& groups);
// By cost, then requests, descending; ties by provider ascending.
std::vector<ProviderUsage> UsageByProvider(const std::vector<UsageGroup>& groups);
// Groups re-bucketed to `bucket`, ascending; buckets without requests are omitted.
std::vector<TimeseriesPoint> Timeseries(const std::vector<UsageGroup>& groups, Bucket bucket);
// The same, one point per bucket and provider (ascending by bucket, then provider).
std::vector<TimeseriesPoint> TimeseriesByProvider(const std::vector<UsageGroup>& groups,
                                                  Bucket bucket);

// ListUsage paging.
inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 500;
// Which rows ListUsage returns; an empty or zero field does not filter.
struct UsageFilter {
  Mode mode = Mode::kUnspecified;
  std::string provider;
  std::string model;
  std::string credential_id;
  int32_t status_min = 0;  // status_code in [status_min, status_max] when status_max > 0
  int32_t status_max = 0;
  int streaming = -1;  // -1 any, 0 not streamed, 1 streamed
};

struct ListQuery {
  std::string organization_id;
  int limit = kDefaultPageSize;
  int64_t before_unix_ms = kMaxUnixMs + 1;  // exclusive
  UsageFilter filter;
};
// limit 0 → 50, above 500 → 500; before 0 → no bound. InvalidArgument for a missing
// organization, a negative limit or a negative cursor.
absl::StatusOr<ListQuery> MakeListQuery(const std::string& organization_id, int32_t limit,
                                        int64_t before_unix_ms);

// The cursor is a millisecond, so a page must never end in the middle of one: rows sharing the
// last returned millisecond would be skipped by the next page. Given up to limit+1 rows newest
// first, returns how many to keep: all when there is no next page; otherwise the first `limit`
// minus the trailing rows of a millisecond that continues past the page. 0 means every fetched
// row shares one millisecond; the caller then returns that whole millisecond as one page.
size_t PageLength(const std::vector<UsageEvent>& rows_newest_first, int limit);

}  // namespace llmgw::metering

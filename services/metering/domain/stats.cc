#include "services/metering/domain/stats.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace llmgw::metering {

int64_t FloorTo(int64_t ms, int64_t unit) {
  int64_t q = ms / unit;
  if (ms % unit != 0 && ms < 0) --q;
  return q * unit;
}

int64_t CeilTo(int64_t ms, int64_t unit) {
  int64_t f = FloorTo(ms, unit);
  return f == ms ? f : f + unit;
}

int64_t BucketStart(int64_t ms, Bucket bucket) {
  switch (bucket) {
    case Bucket::kHour:
      return FloorTo(ms, kHourMs);
    case Bucket::kDay:
      return FloorTo(ms, kDayMs);
    case Bucket::kNone:
      break;
  }
  return 0;
}

absl::Status ValidateStatsQuery(const std::string& organization_id, TimeRange range) {
  if (organization_id.empty()) return absl::InvalidArgumentError("organization_id is required");
  if (range.from_unix_ms >= range.to_unix_ms) {
    return absl::InvalidArgumentError(
        "range.from_unix_ms must be before range.to_unix_ms (the range is [from, to))");
  }
  return absl::OkStatus();
}

TimeRange ClampToEventTimes(TimeRange range) {
  return {std::clamp<int64_t>(range.from_unix_ms, 0, kMaxUnixMs + 1),
          std::clamp<int64_t>(range.to_unix_ms, 0, kMaxUnixMs + 1)};
}

RangePlan PlanRange(TimeRange range) {
  TimeRange r = ClampToEventTimes(range);  // changes no answer: no event lies outside
  RangePlan plan;
  if (r.empty()) return plan;
  int64_t first_hour = CeilTo(r.from_unix_ms, kHourMs);
  int64_t last_hour = FloorTo(r.to_unix_ms, kHourMs);
  if (first_hour >= last_hour) {
    plan.raw_head = r;  // no whole hour inside
    return plan;
  }
  plan.raw_head = {r.from_unix_ms, first_hour};
  plan.rollup = {first_hour, last_hour};
  plan.raw_tail = {last_hour, r.to_unix_ms};
  if (plan.raw_head.empty()) plan.raw_head = {};
  if (plan.raw_tail.empty()) plan.raw_tail = {};
  return plan;
}

Summary Summarize(const std::vector<UsageGroup>& groups) {
  Summary s;
  for (const UsageGroup& g : groups) {
    s.total.Add(g.totals);
    if (g.mode == Mode::kPassthrough) s.passthrough.Add(g.totals);
    if (g.mode == Mode::kReseller) s.reseller.Add(g.totals);
  }
  return s;
}

namespace {

// Cost desc, requests desc.
bool Heavier(const Totals& a, const Totals& b) {
  if (a.cost_nano != b.cost_nano) return a.cost_nano > b.cost_nano;
  return a.requests > b.requests;
}
bool SameWeight(const Totals& a, const Totals& b) {
  return a.cost_nano == b.cost_nano && a.requests == b.requests;
}

}  // namespace

std::vector<ModelUsage> UsageByModel(const std::vector<UsageGroup>& groups) {
  std::map<std::pair<std::string, std::string>, Totals> by;
  for (const UsageGroup& g : groups) by[{g.provider, g.model}].Add(g.totals);
  std::vector<ModelUsage> out;
  for (auto& [key, totals] : by) {
    if (totals.requests > 0) out.push_back({key.first, key.second, totals});
  }
  std::stable_sort(out.begin(), out.end(), [](const ModelUsage& a, const ModelUsage& b) {
    if (!SameWeight(a.totals, b.totals)) return Heavier(a.totals, b.totals);
    return std::tie(a.provider, a.model) < std::tie(b.provider, b.model);
  });
  return out;
}

std::vector<ProviderUsage> UsageByProvider(const std::vector<UsageGroup>& groups) {
  std::map<std::string, Totals> by;
  for (const UsageGroup& g : groups) by[g.provider].Add(g.totals);
  std::vector<ProviderUsage> out;
  for (auto& [provider, totals] : by) {
    if (totals.requests > 0) out.push_back({provider, totals});
  }
  std::stable_sort(out.begin(), out.end(), [](const ProviderUsage& a, const ProviderUsage& b) {
    if (!SameWeight(a.totals, b.totals)) return Heavier(a.totals, b.totals);
    return a.provider < b.provider;
  });
  return out;
}

std::vector<TimeseriesPoint> Timeseries(const std::vector<UsageGroup>& groups, Bucket bucket) {
  std::map<int64_t, Totals> by;  // ordered: ascending buckets
  for (const UsageGroup& g : groups) {
    by[BucketStart(g.bucket_start_unix_ms, bucket)].Add(g.totals);
  }
  std::vector<TimeseriesPoint> out;
  for (auto& [start, totals] : by) {
    if (totals.requests > 0) out.push_back({start, "", totals});
  }
  return out;
}

std::vector<TimeseriesPoint> TimeseriesByProvider(const std::vector<UsageGroup>& groups,
                                                  Bucket bucket) {
  std::map<std::pair<int64_t, std::string>, Totals> by;  // ordered: bucket, then provider
  for (const UsageGroup& g : groups) {
    by[{BucketStart(g.bucket_start_unix_ms, bucket), g.provider}].Add(g.totals);
  }
  std::vector<TimeseriesPoint> out;
  for (auto& [key, totals] : by) {
    if (totals.requests > 0) out.push_back({key.first, key.second, totals});
  }
  return out;
}

absl::StatusOr<ListQuery> MakeListQuery(const std::string& organization_id, int32_t limit,
                                        int64_t before_unix_ms) {
  if (organization_id.empty()) return absl::InvalidArgumentError("organization_id is required");
  if (limit < 0) return absl::InvalidArgumentError("limit must not be negative");
  if (before_unix_ms < 0) return absl::InvalidArgumentError("before_unix_ms must not be negative");
  ListQuery q;
  q.organization_id = organization_id;
  q.limit = limit == 0 ? kDefaultPageSize : std::min(limit, kMaxPageSize);
  if (before_unix_ms != 0) q.before_unix_ms = std::min(before_unix_ms, kMaxUnixMs + 1);
  return q;
}

size_t PageLength(const std::vector<UsageEvent>& rows, int limit) {
  size_t n = static_cast<size_t>(limit);
  if (rows.size() <= n) return rows.size();
  int64_t boundary = rows[n].requested_at_unix_ms;
  size_t keep = n;
  while (keep > 0 && rows[keep - 1].requested_at_unix_ms == boundary) --keep;
  return keep;
}

}  // namespace llmgw::metering

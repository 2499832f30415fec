#pragma once
// RFC 3339 timestamps in UTC, the only time format of the dashboard's JSON and query strings
// (libs/common/rfc3339), and the stats endpoints' time range.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "libs/common/rfc3339.h"
#include "services/dashboard/domain/types.h"

namespace llmgw::dashboard {

using llmgw::FormatRfc3339;
using llmgw::ParseRfc3339;

inline constexpr int64_t kDefaultRangeMs = int64_t{30} * 24 * 3600 * 1000;

// The `?from=&to=` of the stats endpoints: missing `to` is now, missing `from` is `to` - 30
// days; InvalidArgument when either is malformed or from >= to.
absl::StatusOr<TimeRange> ParseTimeRange(const std::optional<std::string>& from,
                                         const std::optional<std::string>& to, int64_t now_ms);

}  // namespace llmgw::dashboard

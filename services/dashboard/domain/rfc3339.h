#pragma once
// RFC 3339 timestamps in UTC, the only time format of the dashboard's JSON and query strings.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "services/dashboard/domain/types.h"

namespace llmgw::dashboard {

// "2024-03-01T12:00:00Z", or "2024-03-01T12:00:00.250Z" when the milliseconds are not zero.
std::string FormatRfc3339(int64_t unix_ms);

// "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)" → unix ms (fraction truncated to ms).
// A space in place of the offset's '+' is accepted (an unescaped '+' in a query string decodes
// to a space). InvalidArgument naming `field` otherwise.
absl::StatusOr<int64_t> ParseRfc3339(std::string_view text, std::string_view field);

inline constexpr int64_t kDefaultRangeMs = int64_t{30} * 24 * 3600 * 1000;

// The `?from=&to=` of the stats endpoints: missing `to` is now, missing `from` is `to` - 30
// days; InvalidArgument when either is malformed or from >= to.
absl::StatusOr<TimeRange> ParseTimeRange(const std::optional<std::string>& from,
                                         const std::optional<std::string>& to, int64_t now_ms);

}  // namespace llmgw::dashboard

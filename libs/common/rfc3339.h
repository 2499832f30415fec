#pragma once
// RFC 3339 timestamps in UTC: the dashboard's JSON and query strings, the price catalog's dates,
// the operator's price commands.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace llmgw {

// "2024-03-01T12:00:00Z", or "2024-03-01T12:00:00.250Z" when the milliseconds are not zero.
std::string FormatRfc3339(int64_t unix_ms);

// "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)" → unix ms (fraction truncated to ms).
// A space in place of the offset's '+' is accepted (an unescaped '+' in a query string decodes
// to a space). InvalidArgument naming `field` otherwise.
absl::StatusOr<int64_t> ParseRfc3339(std::string_view text, std::string_view field);

}  // namespace llmgw

#pragma once
// Calendar dates of UTC days ("YYYY-MM-DD"): the provider usage reports, CSV imports and the
// reconciliation's ?from=&to=.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace llmgw {

// 00:00 UTC of the day holding `unix_ms` (negative times too).
int64_t UtcDayStart(int64_t unix_ms);

// The date of the UTC day holding `unix_ms`.
std::string FormatDate(int64_t unix_ms);

// "YYYY-MM-DD", a real calendar date in 1970..9999 → its 00:00 UTC in unix ms. InvalidArgument
// naming `field` otherwise.
absl::StatusOr<int64_t> ParseDate(std::string_view text, std::string_view field);

}  // namespace llmgw

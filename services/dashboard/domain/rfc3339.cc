#include "services/dashboard/domain/rfc3339.h"

namespace llmgw::dashboard {

absl::StatusOr<TimeRange> ParseTimeRange(const std::optional<std::string>& from,
                                         const std::optional<std::string>& to, int64_t now_ms) {
  TimeRange range;
  range.to_unix_ms = now_ms;
  if (to.has_value()) {
    auto t = ParseRfc3339(*to, "to");
    if (!t.ok()) return t.status();
    range.to_unix_ms = *t;
  }
  range.from_unix_ms = range.to_unix_ms - kDefaultRangeMs;
  if (from.has_value()) {
    auto f = ParseRfc3339(*from, "from");
    if (!f.ok()) return f.status();
    range.from_unix_ms = *f;
  }
  if (range.from_unix_ms >= range.to_unix_ms) {
    return absl::InvalidArgumentError("from must be earlier than to");
  }
  return range;
}

}  // namespace llmgw::dashboard

#include "libs/common/utc_date.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace llmgw {
namespace {
constexpr int64_t kDayMs = 86'400'000;
}  // namespace

int64_t UtcDayStart(int64_t unix_ms) {
  return (unix_ms / kDayMs - (unix_ms % kDayMs < 0 ? 1 : 0)) * kDayMs;
}

std::string FormatDate(int64_t unix_ms) {
  using namespace std::chrono;
  year_month_day ymd{sys_days{days{UtcDayStart(unix_ms) / kDayMs}}};
  return absl::StrFormat("%04d-%02u-%02u", static_cast<int>(ymd.year()),
                         static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

absl::StatusOr<int64_t> ParseDate(std::string_view text, std::string_view field) {
  auto bad = [&] {
    // Quoted back only as printable ASCII: messages end up in JSON and protobuf strings.
    std::string shown(text.substr(0, 40));
    for (char& c : shown) {
      if (c < 0x20 || c > 0x7E) c = '?';
    }
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(field), " must be a date YYYY-MM-DD, got \"", shown, "\""));
  };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return bad();
  int parts[3] = {0, 0, 0};
  const size_t spans[3][2] = {{0, 4}, {5, 7}, {8, 10}};
  for (int i = 0; i < 3; ++i) {
    for (size_t j = spans[i][0]; j < spans[i][1]; ++j) {
      if (text[j] < '0' || text[j] > '9') return bad();
      parts[i] = parts[i] * 10 + (text[j] - '0');
    }
  }
  using namespace std::chrono;
  year_month_day ymd{year{parts[0]}, month{static_cast<unsigned>(parts[1])},
                     day{static_cast<unsigned>(parts[2])}};
  if (parts[0] < 1970 || !ymd.ok()) return bad();
  return static_cast<int64_t>(sys_days{ymd}.time_since_epoch().count()) * kDayMs;
}

}  // namespace llmgw

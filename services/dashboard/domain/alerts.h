#pragma once
// Alerts (API.md `GET/POST/DELETE /api/alerts`) as the dashboard moves them between metering's
// AlertService and its REST API: plain structs, the request body and the JSON shapes. What a rule
// may hold (kinds, channels, threshold range, targets) is metering's to check, in one place; its
// InvalidArgument answers 400 with the reason. Pure C++.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "services/dashboard/domain/json_shapes.h"

namespace llmgw::dashboard {

struct AlertDelivery {
  std::string status;  // pending | retrying | delivered | failed
  int attempts = 0;
  std::string last_error;
  int64_t fired_at_unix_ms = 0;
  int64_t delivered_at_unix_ms = 0;  // 0 unless delivered
  int64_t next_attempt_at_unix_ms = 0;
};

struct AlertRule {
  std::string id;
  std::string kind;            // budget | balance | error_rate | drift
  int64_t threshold_nano = 0;  // threshold × 1e9: nano-USD for balance, else a percentage
  std::string channel;         // webhook | email
  std::string target;
  int64_t created_at_unix_ms = 0;
  std::optional<AlertDelivery> last_delivery;  // none: never fired
};

struct NewAlertInput {
  std::string kind;
  int64_t threshold_nano = 0;
  std::string channel;
  std::string target;
};
// `{kind, threshold, channel, target}`: strings, and threshold a JSON number with at most 9
// decimals (USD for balance, a percentage for the others).
absl::StatusOr<NewAlertInput> ParseAlertBody(std::string_view body);

// {id, kind, threshold, threshold_nano, channel, target, created_at, last_fired_at,
//  last_delivery: {status, attempts, last_error, delivered_at, next_attempt_at} | null}
Json AlertJson(const AlertRule& a);
Json AlertListJson(const std::vector<AlertRule>& list);

}  // namespace llmgw::dashboard

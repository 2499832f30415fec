#include "services/dashboard/domain/alerts.h"

#include <charconv>
#include <limits>

#include "absl/strings/str_cat.h"
#include "libs/common/money.h"
#include "nlohmann/json.hpp"
#include "services/dashboard/domain/rfc3339.h"

namespace llmgw::dashboard {
namespace {

constexpr int64_t kScale = 1'000'000'000;

absl::Status BadThreshold() {
  return absl::InvalidArgumentError(
      "threshold is required and must be a number greater than 0 with at most 9 decimals");
}

// A JSON number → threshold × 1e9, exactly: a float is read back from its shortest decimal form
// (what the user typed, e.g. 12.5), never multiplied in floating point.
absl::StatusOr<int64_t> ThresholdNano(const nlohmann::json& v) {
  if (v.is_number_unsigned() || v.is_number_integer()) {
    if (v.is_number_integer() && v.get<int64_t>() <= 0) return BadThreshold();
    uint64_t n = v.get<uint64_t>();
    if (n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max() / kScale)) {
      return BadThreshold();
    }
    return static_cast<int64_t>(n) * kScale;
  }
  if (!v.is_number_float()) return BadThreshold();
  double d = v.get<double>();
  if (!(d > 0)) return BadThreshold();
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
  if (ec != std::errc()) return BadThreshold();
  absl::StatusOr<money::Nano> nano = money::ParseUsd(std::string(buf, end));
  if (!nano.ok() || *nano <= 0) return BadThreshold();
  return *nano;
}

}  // namespace

absl::StatusOr<NewAlertInput> ParseAlertBody(std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("request body must be a JSON object");
  }
  NewAlertInput in;
  for (auto [field, out] : {std::pair<const char*, std::string*>{"kind", &in.kind},
                            {"channel", &in.channel},
                            {"target", &in.target}}) {
    auto it = j.find(field);
    if (it == j.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(field, " is required and must be a string"));
    }
    *out = it->get<std::string>();
  }
  auto t = j.find("threshold");
  if (t == j.end()) return BadThreshold();
  absl::StatusOr<int64_t> nano = ThresholdNano(*t);
  if (!nano.ok()) return nano.status();
  in.threshold_nano = *nano;
  return in;
}

Json AlertJson(const AlertRule& a) {
  Json j;
  j["id"] = a.id;
  j["kind"] = a.kind;
  j["threshold"] = static_cast<double>(a.threshold_nano) / kScale;  // for display
  j["threshold_nano"] = a.threshold_nano;
  j["channel"] = a.channel;
  j["target"] = a.target;
  j["created_at"] = FormatRfc3339(a.created_at_unix_ms);
  j["last_fired_at"] = nullptr;
  j["last_delivery"] = nullptr;
  if (a.last_delivery.has_value()) {
    const AlertDelivery& d = *a.last_delivery;
    j["last_fired_at"] = TimeOrNull(d.fired_at_unix_ms);
    Json ld;
    ld["status"] = d.status;
    ld["attempts"] = d.attempts;
    ld["last_error"] = d.last_error.empty() ? Json(nullptr) : Json(d.last_error);
    ld["delivered_at"] = TimeOrNull(d.delivered_at_unix_ms);
    ld["next_attempt_at"] = d.status == "pending" || d.status == "retrying"
                                ? TimeOrNull(d.next_attempt_at_unix_ms)
                                : Json(nullptr);
    j["last_delivery"] = std::move(ld);
  }
  return j;
}

Json AlertListJson(const std::vector<AlertRule>& list) {
  Json items = Json::array();
  for (const AlertRule& a : list) items.push_back(AlertJson(a));
  Json j;
  j["alerts"] = std::move(items);
  return j;
}

}  // namespace llmgw::dashboard

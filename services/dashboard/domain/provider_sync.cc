#include "services/dashboard/domain/provider_sync.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/common/utc_date.h"
#include "nlohmann/json.hpp"
#include "services/dashboard/domain/rfc3339.h"

namespace llmgw::dashboard {
namespace {
constexpr int64_t kDayMs = 86'400'000;
}  // namespace

absl::StatusOr<NewConnectionInput> ParseConnectionBody(std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("request body must be a JSON object");
  }
  NewConnectionInput in;
  for (auto [field, out] : {std::pair<const char*, std::string*>{"provider", &in.provider},
                            {"admin_key", &in.admin_key}}) {
    auto it = j.find(field);
    if (it == j.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(field, " is required and must be a string"));
    }
    *out = it->get<std::string>();
  }
  return in;
}

absl::StatusOr<DayRange> ParseDayRange(const std::optional<std::string>& from,
                                       const std::optional<std::string>& to, int64_t now_ms) {
  DayRange r;
  int64_t last = UtcDayStart(now_ms);
  if (to.has_value()) {
    absl::StatusOr<int64_t> t = ParseDate(*to, "to");
    if (!t.ok()) return t.status();
    last = *t;
  }
  r.to_day_ms = last + kDayMs;
  r.from_day_ms = last - (kDefaultReconciliationDays - 1) * kDayMs;
  if (from.has_value()) {
    absl::StatusOr<int64_t> f = ParseDate(*from, "from");
    if (!f.ok()) return f.status();
    r.from_day_ms = *f;
  }
  if (r.from_day_ms > last) return absl::InvalidArgumentError("from must not be after to");
  if ((r.to_day_ms - r.from_day_ms) / kDayMs > kMaxReconciliationDays) {
    return absl::InvalidArgumentError(
        absl::StrCat("a range holds at most ", kMaxReconciliationDays, " days"));
  }
  return r;
}

bool IsCsvContentType(std::string_view content_type) {
  std::string type =
      absl::AsciiStrToLower(std::string(content_type.substr(0, content_type.find(';'))));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  return type == "text/csv" || type == "text/plain" || type == "application/csv";
}

Json ProviderConnectionJson(const ProviderConnection& c) {
  Json j;
  j["id"] = c.id;
  j["provider"] = c.provider;
  j["key_prefix"] = c.key_prefix;
  j["status"] = c.status;
  j["last_sync_at"] =
      c.last_sync_at_unix_ms == 0 ? Json(nullptr) : Json(FormatRfc3339(c.last_sync_at_unix_ms));
  j["last_error"] = c.last_error.empty() ? Json(nullptr) : Json(c.last_error);
  j["created_at"] = FormatRfc3339(c.created_at_unix_ms);
  return j;
}

Json ProviderConnectionListJson(const std::vector<ProviderConnection>& list) {
  Json items = Json::array();
  for (const ProviderConnection& c : list) items.push_back(ProviderConnectionJson(c));
  Json j;
  j["connections"] = std::move(items);
  return j;
}

Json ReconciliationJson(const DayRange& range, const std::vector<ReconciliationRow>& rows) {
  Json items = Json::array();
  for (const ReconciliationRow& r : rows) {
    Json j;
    j["date"] = FormatDate(r.day_unix_ms);
    j["provider"] = r.provider;
    j["model"] = r.model;
    j["provider_input_tokens"] = r.provider_input_tokens;
    j["provider_cached_input_tokens"] = r.provider_cached_input_tokens;
    j["provider_output_tokens"] = r.provider_output_tokens;
    PutMoney(j, "provider_cost", r.provider_cost_nano);
    j["metered_requests"] = r.metered_requests;
    j["metered_input_tokens"] = r.metered_input_tokens;
    j["metered_cached_input_tokens"] = r.metered_cached_input_tokens;
    j["metered_output_tokens"] = r.metered_output_tokens;
    PutMoney(j, "metered_cost", r.metered_cost_nano);
    j["unmetered_input_tokens"] = r.unmetered_input_tokens;
    j["unmetered_output_tokens"] = r.unmetered_output_tokens;
    PutMoney(j, "unmetered_cost", r.unmetered_cost_nano);
    PutMoney(j, "drift_cost", r.drift_cost_nano);
    items.push_back(std::move(j));
  }
  Json j;
  j["from"] = FormatDate(range.from_day_ms);
  j["to"] = FormatDate(range.to_day_ms - kDayMs);
  j["rows"] = std::move(items);
  return j;
}

Json CsvErrorJson(const CsvImportResult& r) {
  Json err;
  err["message"] = r.error_message;
  err["type"] = "invalid_request_error";
  err["line"] = r.error_line;
  Json j;
  j["error"] = std::move(err);
  return j;
}

}  // namespace llmgw::dashboard

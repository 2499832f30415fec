#include "services/metering/domain/usage.h"

#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"

namespace llmgw::metering {

void Totals::Add(const UsageEvent& e) {
  requests += 1;
  input_tokens += e.input_tokens;
  cached_input_tokens += e.cached_input_tokens;
  cache_write_tokens += e.cache_write_tokens;
  output_tokens += e.output_tokens;
  reasoning_tokens += e.reasoning_tokens;
  cost_nano += e.cost_nano;
  provider_cost_nano += e.provider_cost_nano;
  margin_nano += e.margin_nano;
  if (e.status_code >= 400) errors += 1;
}

void Totals::Add(const Totals& t) {
  requests += t.requests;
  input_tokens += t.input_tokens;
  cached_input_tokens += t.cached_input_tokens;
  cache_write_tokens += t.cache_write_tokens;
  output_tokens += t.output_tokens;
  reasoning_tokens += t.reasoning_tokens;
  cost_nano += t.cost_nano;
  provider_cost_nano += t.provider_cost_nano;
  margin_nano += t.margin_nano;
  errors += t.errors;
}

namespace {

absl::Status Bad(size_t index, std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("events[", index, "].", std::string(field), " ", std::string(what)));
}

absl::Status CheckString(size_t i, std::string_view field, const std::string& v, bool required) {
  if (required && v.empty()) return Bad(i, field, "is required");
  if (v.size() > kMaxStringBytes) {
    return Bad(i, field, absl::StrCat("is longer than ", kMaxStringBytes, " bytes"));
  }
  if (v.find('\0') != std::string::npos) return Bad(i, field, "contains a NUL byte");
  return absl::OkStatus();
}

absl::Status CheckCount(size_t i, std::string_view field, int64_t v) {
  if (v < 0) return Bad(i, field, "must not be negative");
  if (v > kMaxCount) return Bad(i, field, "must be at most 10^15");
  return absl::OkStatus();
}

absl::Status ValidateEvent(size_t i, const UsageEvent& e) {
  const std::pair<std::string_view, const std::string*> strings[] = {
      {"event_id", &e.event_id},
      {"organization_id", &e.organization_id},
      {"credential_id", &e.credential_id},
      {"provider", &e.provider},
      {"model", &e.model},
      {"endpoint", &e.endpoint},
      {"request_id", &e.request_id}};
  for (const auto& [field, value] : strings) {
    bool required = field == "event_id" || field == "organization_id";
    if (absl::Status s = CheckString(i, field, *value, required); !s.ok()) return s;
  }
  int mode = static_cast<int>(e.mode);
  if (mode < 0 || mode > 2) return Bad(i, "mode", absl::StrCat("has unknown value ", mode));
  const std::pair<std::string_view, int64_t> counts[] = {
      {"input_tokens", e.input_tokens},
      {"cached_input_tokens", e.cached_input_tokens},
      {"cache_write_tokens", e.cache_write_tokens},
      {"output_tokens", e.output_tokens},
      {"reasoning_tokens", e.reasoning_tokens},
      {"cost_nano", e.cost_nano},
      {"provider_cost_nano", e.provider_cost_nano},
      {"margin_nano", e.margin_nano},
      {"latency_ms", e.latency_ms},
      {"ttft_ms", e.ttft_ms},
      {"price_id", e.price_id},
      {"cache_write_1h_tokens", e.cache_write_1h_tokens}};
  for (const auto& [field, value] : counts) {
    if (absl::Status s = CheckCount(i, field, value); !s.ok()) return s;
  }
  if (e.status_code < 0 || e.status_code > 999) {
    return Bad(i, "status_code", "must be between 0 and 999");
  }
  if (e.requested_at_unix_ms <= 0 || e.requested_at_unix_ms > kMaxUnixMs) {
    return Bad(i, "requested_at_unix_ms", "must be a positive unix time in milliseconds");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateEvents(const std::vector<UsageEvent>& events) {
  if (events.size() > static_cast<size_t>(kMaxBatchEvents)) {
    return absl::InvalidArgumentError(
        absl::StrCat("at most ", kMaxBatchEvents, " events per batch, got ", events.size()));
  }
  for (size_t i = 0; i < events.size(); ++i) {
    if (absl::Status s = ValidateEvent(i, events[i]); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace llmgw::metering

#pragma once
// Provider bills (API.md): provider connections, CSV import of provider usage and the
// reconciliation, as the dashboard moves them between metering (gRPC) and its REST API: plain
// structs, request validation and the JSON bodies. Pure C++.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/common/money.h"
#include "services/dashboard/domain/json_shapes.h"

namespace llmgw::dashboard {

// A provider admin key as lists show it: never the key, only its display prefix.
struct ProviderConnection {
  std::string id;
  std::string provider;  // openai | anthropic
  std::string key_prefix;
  std::string status;  // pending | ok | failed
  std::string last_error;
  int64_t last_sync_at_unix_ms = 0;  // 0: never synced
  int64_t created_at_unix_ms = 0;
};

struct ReconciliationRow {
  int64_t day_unix_ms = 0;
  std::string provider;
  std::string model;
  int64_t provider_input_tokens = 0;
  int64_t provider_cached_input_tokens = 0;
  int64_t provider_output_tokens = 0;
  money::Nano provider_cost_nano = 0;
  int64_t metered_input_tokens = 0;
  int64_t metered_cached_input_tokens = 0;
  int64_t metered_output_tokens = 0;
  money::Nano metered_cost_nano = 0;
  int64_t metered_requests = 0;
  int64_t unmetered_input_tokens = 0;
  int64_t unmetered_output_tokens = 0;
  money::Nano unmetered_cost_nano = 0;
  money::Nano drift_cost_nano = 0;
};

struct CsvImportResult {
  int32_t imported_rows = 0;
  int32_t error_line = 0;  // 0: imported
  std::string error_message;
};

struct NewConnectionInput {
  std::string provider;
  std::string admin_key;  // secret: never logged, never echoed in an error
};
// `{provider, admin_key}` as strings (what they may hold is metering's to check).
absl::StatusOr<NewConnectionInput> ParseConnectionBody(std::string_view body);

// Days [from, to) at 00:00 UTC.
struct DayRange {
  int64_t from_day_ms = 0;
  int64_t to_day_ms = 0;
};
inline constexpr int kDefaultReconciliationDays = 30;
inline constexpr int kMaxReconciliationDays = 366;
// `?from=&to=`: UTC dates YYYY-MM-DD, both included. Missing `to` is today, missing `from` is 29
// days before `to` (30 days). InvalidArgument when malformed, from after to, or more than 366
// days.
absl::StatusOr<DayRange> ParseDayRange(const std::optional<std::string>& from,
                                       const std::optional<std::string>& to, int64_t now_ms);

// The CSV import's body: text/csv (or text/plain, as a browser may label a .csv file).
bool IsCsvContentType(std::string_view content_type);

// {id,provider,key_prefix,status,last_sync_at,last_error,created_at}; last_sync_at and
// last_error null when there is none.
Json ProviderConnectionJson(const ProviderConnection& c);
Json ProviderConnectionListJson(const std::vector<ProviderConnection>& list);
// {from,to,rows:[{date,provider,model,provider_input_tokens,provider_output_tokens,
// provider_cost_nano,…,drift_cost_nano}]}, every amount also as _usd.
Json ReconciliationJson(const DayRange& range, const std::vector<ReconciliationRow>& rows);
// 400 body of a refused import: {error:{message,type,line}}.
Json CsvErrorJson(const CsvImportResult& r);

}  // namespace llmgw::dashboard

#pragma once
// Plain structs the dashboard moves between its clients (gRPC) and its HTTP API. No transport
// types here: the clients translate protos into these, the API renders them as JSON.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "libs/common/money.h"
#include "services/dashboard/domain/permissions.h"

namespace llmgw::dashboard {

struct Organization {
  std::string id;
  std::string name;
  std::string email;
  int64_t created_at_unix_ms = 0;
};

struct User {
  std::string id;
  std::string name;
  std::string email;
};

// Who a valid session is: its user, the organization it acts in and the user's role there.
struct Session {
  Organization org;
  User user;
  Role role = Role::kViewer;
};

struct LoginResult {
  Organization organization;
  std::string session_token;  // secret: never logged
  int64_t expires_at_unix_ms = 0;
  User user;
  Role role = Role::kViewer;
};

// One organization of the session's user.
struct OrgMembership {
  Organization org;
  Role role = Role::kViewer;
};

struct Member {
  User user;
  Role role = Role::kViewer;
  int64_t joined_at_unix_ms = 0;
};

// A role change as applied; `after` empty: removed.
struct MemberChange {
  Member before;
  std::optional<Role> after;
};

struct Invitation {
  std::string token;  // secret: shown once, in the invite link
  int64_t expires_at_unix_ms = 0;
};

// A monitor token or an API key, without its secret.
// Rate limits and budgets (issue 16) of a credential or the organization: unset = no limit.
struct Limits {
  std::optional<int64_t> rpm;
  std::optional<int64_t> tpm;
  std::optional<money::Nano> daily_budget_nano;
  std::optional<money::Nano> monthly_budget_nano;
  bool operator==(const Limits&) const = default;
};

// A change of Limits: a field with set_x takes x (nullopt removes it); others stay.
struct LimitsPatch {
  bool set_rpm = false, set_tpm = false, set_daily = false, set_monthly = false;
  Limits values;
};

// One budget counter of the current period (billing): scope "org" or "cred:<id>".
struct BudgetSpend {
  std::string scope;
  std::string period;  // day | month
  money::Nano spent_nano = 0;
  money::Nano reserved_nano = 0;
};

// What a scope used: the last minute's recorded requests and tokens, the period spends.
struct QuotaUsage {
  int64_t minute_requests = 0;
  int64_t minute_tokens = 0;
  money::Nano day_spent_nano = 0;
  money::Nano month_spent_nano = 0;
};

struct Credential {
  std::string id;
  std::string name;
  std::string prefix;
  bool is_active = false;
  int64_t last_used_at_unix_ms = 0;  // 0: never used
  int64_t created_at_unix_ms = 0;
  std::string created_by_user_id;  // "": unknown
  Limits limits;
};

// A freshly created credential plus its secret, shown once.
struct CreatedCredential {
  Credential credential;
  std::string secret;
};

// One entry of an organization's audit log.
struct AuditRecord {
  int64_t id = 0;
  std::string org_id;
  int64_t at_unix_ms = 0;
  std::string actor_user_id;
  std::string actor_email;
  std::string action;
  std::string target;
  std::string details_json;  // a JSON object without secrets
};

struct Balance {
  money::Nano balance_nano = 0;
  money::Nano held_nano = 0;
};

enum class TransactionType { kUnspecified, kCharge, kUsage, kRefund, kAdjustment };

struct Transaction {
  std::string id;
  TransactionType type = TransactionType::kUnspecified;
  money::Nano amount_nano = 0;  // signed
  money::Nano balance_after_nano = 0;
  std::string description;
  int64_t created_at_unix_ms = 0;
};

struct ChargeResult {
  money::Nano balance_nano = 0;
  Transaction transaction;
};

// [from, to) in unix milliseconds.
struct TimeRange {
  int64_t from_unix_ms = 0;
  int64_t to_unix_ms = 0;
};

enum class Bucket { kHour, kDay };

struct Totals {
  int64_t requests = 0;
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  money::Nano cost_nano = 0;
  money::Nano provider_cost_nano = 0;
  money::Nano margin_nano = 0;
  int64_t errors = 0;  // requests answered with status >= 400
};

struct Summary {
  Totals total;
  Totals passthrough;
  Totals reseller;
};

struct ModelUsage {
  std::string provider;
  std::string model;
  Totals totals;
};

struct ProviderUsage {
  std::string provider;
  Totals totals;
};

struct TimeseriesPoint {
  int64_t bucket_start_unix_ms = 0;
  Totals totals;
  std::string provider;  // when asked per provider
};

enum class Mode { kUnspecified, kPassthrough, kReseller };

struct UsageRow {
  std::string request_id;
  Mode mode = Mode::kUnspecified;
  std::string provider;
  std::string model;
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  money::Nano cost_nano = 0;
  money::Nano provider_cost_nano = 0;
  money::Nano margin_nano = 0;
  int64_t latency_ms = 0;
  int32_t status_code = 0;
  bool is_streaming = false;
  int64_t requested_at_unix_ms = 0;
  int64_t cached_input_tokens = 0;
  int64_t cache_write_tokens = 0;
  int64_t reasoning_tokens = 0;
  bool unpriced = false;  // no price for the model: the cost is unknown, not $0
  int64_t price_id = 0;   // billing's price row that priced it
  std::string credential_id;
  std::string endpoint;
  int64_t ttft_ms = 0;
  bool incomplete = false;
  int64_t cache_write_1h_tokens = 0;
};

// GET /api/usage: one page (keyset: rows with requested_at < before, newest first) of the rows
// matching the filters; an empty or zero filter field does not filter.
struct UsageQuery {
  int32_t limit = 50;
  int64_t before_unix_ms = 0;  // 0: from now
  Mode mode = Mode::kUnspecified;
  std::string provider;
  std::string model;
  std::string credential_id;
  int32_t status_min = 0;  // status_code in [status_min, status_max] when status_max > 0
  int32_t status_max = 0;
  int streaming = -1;  // -1 any, 0 not streamed, 1 streamed
};

}  // namespace llmgw::dashboard

#pragma once
// The providers' admin usage and cost reports, as llmgw-mock-provider serves them (WIRE.md,
// "Provider usage and cost reports"): exactly the usage the mock served per customer key, plus
// usage a test injects to stand for traffic that bypassed the gateway. The mock is one provider
// organization: every admin key it accepts sees every key's usage.
//
//   GET /openai/v1/organization/usage/completions  start_time, end_time (unix s), bucket_width=1d,
//       group_by=model|api_key_id|project_id|user_id|batch (repeated), limit (default 7, max 31),
//       page → {object:"page", data:[{object:"bucket", start_time, end_time, results:[
//       {input_tokens (cached included), input_cached_tokens, output_tokens, num_model_requests,
//        model, api_key_id, …}]}], has_more, next_page}
//   GET /openai/v1/organization/costs  start_time, end_time, bucket_width=1d,
//       group_by=line_item|project_id, limit (default 7, max 180), page → buckets of
//       {amount:{value (USD, a JSON number), currency:"usd"}, line_item:"<model>, input" |
//       "<model>, cached input" | "<model>, output"}
//   GET /anthropic/v1/organizations/usage_report/messages  starting_at, ending_at (RFC 3339),
//       bucket_width=1d, group_by[]=model|api_key_id|workspace_id|service_tier|context_window,
//       limit (default 7, max 31), page → {data:[{starting_at, ending_at, results:[
//       {uncached_input_tokens, cache_read_input_tokens, cache_creation:{ephemeral_5m_input_tokens,
//        ephemeral_1h_input_tokens}, output_tokens, model, api_key_id, …}]}], has_more, next_page}
//   GET /anthropic/v1/organizations/cost_report  starting_at, ending_at, group_by[]=description|
//       workspace_id, limit (default 7, max 31), page → buckets of {currency:"USD", amount (cents,
//       a decimal string), description, model, token_type, cost_type:"tokens"}
//
// Buckets are whole days from the start; a page holds `limit` of them (at most
// --report-page-buckets when set, a provider returning fewer than asked), next_page its cursor.
// Days without usage are empty buckets, as the APIs return them.
//
// Keys. A customer key's id is "key_" + the first 12 hex digits of its SHA-256. Admin keys:
// OpenAI "Authorization: Bearer sk-admin-…", Anthropic "x-api-key: sk-ant-admin…" with
// anthropic-version; any other key is refused 403, and a key containing "revoked" or revoked
// through POST /_mock/admin-revoke is refused 401, each in the provider's error shape.
//
// Costs come from the price table in admin_reports.cc (nano-USD per token, the catalog's prices
// for the models tests use; $1 / $4 per 1M input / output for any other model).
//
// Test controls:
//   POST /_mock/admin-usage   {provider, api_key | api_key_id, model, date ("YYYY-MM-DD", default
//                             today), input_tokens (all input), cached_input_tokens,
//                             cache_write_tokens (5m) , cache_write_1h_tokens, output_tokens,
//                             requests (default 1)} or an array of them: usage that bypassed the
//                             gateway
//   GET  /_mock/admin-usage   what the reports hold, as such objects (with api_key_id)
//   POST /_mock/admin-revoke  {admin_key}: later reports answer 401 to it
//   POST /_mock/admin-faults  {statuses:[429, 500, …]}: the next report requests answer these
//                             (429 with retry-after: 0), whatever the key
//   POST /_mock/reset also clears the usage, revocations and faults.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "tools/mock-provider/providers.h"

namespace llmgw::mock {

// "key_" + the first 12 hex digits of SHA-256(key).
std::string ApiKeyId(std::string_view key);

struct AdminOptions {
  int max_page_buckets = 0;  // 0: as many as `limit` asks
};

// Usage per (provider, day, model, key id), revocations and injected faults. Thread-safe.
class UsageLedger {
 public:
  struct Counts {
    int64_t input = 0;  // every input token
    int64_t cached = 0;
    int64_t write_5m = 0;
    int64_t write_1h = 0;
    int64_t output = 0;
    int64_t requests = 0;
    void Add(const Counts& o);
  };
  using Key = std::tuple<std::string, int64_t, std::string, std::string>;  // provider, day_s,
                                                                           // model, key id

  // A call the mock served for `customer_key` at `now_s` (only OpenAI and Anthropic report).
  void Record(const ServedUsage& served, std::string_view customer_key, int64_t now_s);
  void Add(const Key& key, const Counts& counts);
  std::map<Key, Counts> Snapshot() const;
  void Clear();

  void Revoke(std::string admin_key);
  bool Revoked(std::string_view admin_key) const;
  void AddFaults(const std::vector<int>& statuses);
  std::optional<int> TakeFault();

 private:
  mutable std::mutex mu_;
  std::map<Key, Counts> usage_;
  std::set<std::string> revoked_;
  std::vector<int> faults_;
};

// One of the four report endpoints, or nullopt when `request` is not one.
std::optional<MockResponse> HandleAdminReport(const MockRequest& request, UsageLedger& ledger,
                                              const AdminOptions& options, const Context& context,
                                              int64_t now_s);

// Records what `response` served against the key of `request` (nothing when it served nothing).
void RecordServed(const MockRequest& request, const MockResponse& response, UsageLedger& ledger,
                  int64_t now_s);

// /_mock/admin-usage, /_mock/admin-revoke, /_mock/admin-faults; nullopt for other paths.
std::optional<MockResponse> HandleAdminControl(const MockRequest& request, UsageLedger& ledger,
                                               int64_t now_s);

}  // namespace llmgw::mock

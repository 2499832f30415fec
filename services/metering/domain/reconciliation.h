#pragma once
// Provider-reported usage beside what llmgw metered, per UTC day, provider and model: the
// difference in tokens and cost, and the cost of usage the provider reports that llmgw never saw.
// Pure C++. The rules (README, "Provider sync"):
//
// - Sides. The provider side is what its usage/cost reports say (a connection's sync), or a CSV
//   import for a (provider, day) no connection has synced (a synced day ignores CSV rows, so the
//   two never add up). The metered side is the organization's pass-through events at their
//   estimated cost: its reseller events ran on the operator's provider keys, which the
//   organization's provider account never sees.
// - Rows. Only days the provider side covers for that provider appear (a connection's synced
//   days, a CSV import's days); within them every model either side saw. Models are matched on
//   their family (dated snapshot suffixes removed: providers report "gpt-4o-mini-2024-07-18" for a
//   call to "gpt-4o-mini"); a row shows the model's own name when both sides agree on it.
// - drift = provider cost − metered cost (signed).
// - unmetered: the metered side carries no provider API key (the gateway never keeps customer
//   provider keys), so usage is matched by day and model, token kind by token kind (uncached
//   input, cached input, cache writes, output). The tokens the provider reports beyond what llmgw
//   metered, max(0, provider − metered), are unmetered, and cost what the provider charged per
//   token of that kind on that day: round_half_up(kind cost × unmetered / provider tokens of the
//   kind). Cost the provider does not split by kind (CSV rows, tool fees) is shared the same way
//   over all tokens. A cost with no tokens at all is unmetered when llmgw metered nothing there.
//   So a row llmgw never saw is unmetered in full; traffic that bypassed the gateway beside
//   metered traffic is its exact cost when the provider prices every token of a kind alike; and a
//   price the catalog got wrong shows as drift with nothing unmetered.

#include <cstdint>
#include <string>
#include <vector>

#include "libs/common/money.h"
#include "services/metering/domain/provider_usage.h"
#include "services/metering/domain/stats.h"

namespace llmgw::metering {

// Provider-reported usage summed per (day, provider, model, source), as storage returns it.
struct ReportedRow {
  int64_t day_unix_ms = 0;
  std::string provider;
  std::string model;
  bool from_csv = false;
  TokenUsage tokens;
  KindCosts cost;
  bool operator==(const ReportedRow&) const = default;
};

// Days a connection has synced for its provider: [from, through], both days included.
struct SyncedDays {
  std::string provider;
  int64_t from_day_ms = 0;
  int64_t through_day_ms = 0;
};

struct ReconciliationRow {
  int64_t day_unix_ms = 0;
  std::string provider;
  std::string model;
  TokenUsage provider_tokens;
  money::Nano provider_cost_nano = 0;
  TokenUsage metered_tokens;  // requests: metered requests
  money::Nano metered_cost_nano = 0;
  int64_t unmetered_input_tokens = 0;  // every input kind
  int64_t unmetered_output_tokens = 0;
  money::Nano unmetered_cost_nano = 0;
  money::Nano drift_cost_nano = 0;
  bool operator==(const ReconciliationRow&) const = default;
};

// `metered` are the organization's UsageGroups bucketed by day (any mode). Rows sorted by day,
// provider, model; only days inside `window`.
std::vector<ReconciliationRow> Reconcile(const std::vector<ReportedRow>& reported,
                                         const std::vector<SyncedDays>& synced,
                                         const std::vector<UsageGroup>& metered, DayWindow window);

// The part of a provider `cost` for tokens it reports (`provider_tokens`) that llmgw did not
// meter: round_half_up(|cost| × max(0, provider − metered) / provider), with cost's sign. With no
// provider tokens: all of it when `metered_nothing`, else none.
money::Nano UnmeteredShare(money::Nano cost, int64_t provider_tokens, int64_t metered_tokens,
                           bool metered_nothing);

}  // namespace llmgw::metering

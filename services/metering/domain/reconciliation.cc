#include "services/metering/domain/reconciliation.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace llmgw::metering {
namespace {

using Key = std::tuple<int64_t, std::string, std::string>;  // day, provider, model family

struct Side {
  TokenUsage provider_tokens;
  KindCosts provider_cost;
  TokenUsage metered_tokens;
  money::Nano metered_cost = 0;
  std::set<std::string> names;  // the models' own names, both sides
};

}  // namespace

money::Nano UnmeteredShare(money::Nano cost, int64_t provider_tokens, int64_t metered_tokens,
                           bool metered_nothing) {
  if (cost == 0) return 0;
  if (provider_tokens <= 0) return metered_nothing ? cost : 0;
  int64_t unmetered = std::max<int64_t>(0, provider_tokens - std::max<int64_t>(0, metered_tokens));
  if (unmetered == 0) return 0;
  __int128 magnitude = cost < 0 ? -static_cast<__int128>(cost) : cost;
  money::Nano share = money::DivideRoundHalfUp(magnitude * unmetered, provider_tokens);
  return cost < 0 ? -share : share;
}

std::vector<ReconciliationRow> Reconcile(const std::vector<ReportedRow>& reported,
                                         const std::vector<SyncedDays>& synced,
                                         const std::vector<UsageGroup>& metered, DayWindow window) {
  // (provider, day) a connection has synced: its rows are the provider side, CSV rows are not.
  std::set<std::pair<std::string, int64_t>> api_days;
  for (const SyncedDays& s : synced) {
    int64_t from = std::max(DayOf(s.from_day_ms), window.from_day_ms);
    int64_t through = std::min(DayOf(s.through_day_ms), window.to_day_ms - kDayMs);
    for (int64_t d = from; d <= through; d += kDayMs) api_days.insert({s.provider, d});
  }
  std::set<std::pair<std::string, int64_t>> covered = api_days;
  std::map<Key, Side> rows;
  for (const ReportedRow& r : reported) {
    int64_t day = DayOf(r.day_unix_ms);
    if (!window.Contains(day)) continue;
    if (r.from_csv && api_days.count({r.provider, day}) > 0) continue;
    covered.insert({r.provider, day});
    Side& side = rows[{day, r.provider, ModelFamily(r.model)}];
    side.provider_tokens.Add(r.tokens);
    side.provider_cost.Add(r.cost);
    side.names.insert(r.model);
  }
  for (const UsageGroup& g : metered) {
    int64_t day = DayOf(g.bucket_start_unix_ms);
    if (!window.Contains(day) || covered.count({g.provider, day}) == 0) continue;
    // An organization's provider account carries only its pass-through traffic: reseller calls
    // run on the operator's keys, which that account never bills.
    if (g.mode != Mode::kPassthrough) continue;
    const Totals& t = g.totals;
    const money::Nano cost = t.cost_nano;
    if (t.input_tokens == 0 && t.output_tokens == 0 && cost == 0) continue;  // failed calls
    Side& side = rows[{day, g.provider, ModelFamily(g.model)}];
    side.metered_tokens.Add(TokenUsage{t.input_tokens, t.cached_input_tokens, t.cache_write_tokens,
                                       t.output_tokens, t.requests});
    side.metered_cost += cost;
    side.names.insert(g.model);
  }

  std::vector<ReconciliationRow> out;
  out.reserve(rows.size());
  for (auto& [key, side] : rows) {
    ReconciliationRow row;
    row.day_unix_ms = std::get<0>(key);
    row.provider = std::get<1>(key);
    row.model = side.names.size() == 1 ? *side.names.begin() : std::get<2>(key);
    row.provider_tokens = side.provider_tokens;
    row.provider_cost_nano = side.provider_cost.Total();
    row.metered_tokens = side.metered_tokens;
    row.metered_cost_nano = side.metered_cost;
    row.drift_cost_nano = row.provider_cost_nano - row.metered_cost_nano;

    const TokenUsage& p = side.provider_tokens;
    const TokenUsage& m = side.metered_tokens;
    const KindCosts& c = side.provider_cost;
    bool metered_nothing = m.input == 0 && m.output == 0;
    struct Kind {
      money::Nano cost;
      int64_t provider;
      int64_t metered;
    };
    const Kind kinds[] = {{c.uncached_input, p.uncached_input(), m.uncached_input()},
                          {c.cached_input, p.cached_input, m.cached_input},
                          {c.cache_write, p.cache_write, m.cache_write},
                          {c.output, p.output, m.output}};
    int64_t unmetered_total = 0;
    for (size_t k = 0; k < 4; ++k) {
      const Kind& kind = kinds[k];
      int64_t unmetered = std::max<int64_t>(0, kind.provider - std::max<int64_t>(0, kind.metered));
      unmetered_total += unmetered;
      (k < 3 ? row.unmetered_input_tokens : row.unmetered_output_tokens) += unmetered;
      row.unmetered_cost_nano +=
          UnmeteredShare(kind.cost, kind.provider, kind.metered, metered_nothing);
    }
    row.unmetered_cost_nano += UnmeteredShare(
        c.other, p.input + p.output, (p.input + p.output) - unmetered_total, metered_nothing);
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace llmgw::metering

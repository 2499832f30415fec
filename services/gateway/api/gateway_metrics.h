#pragma once
// The gateway's Prometheus series. Labels are bounded: provider, mode, code, token type, auth
// result, and model on the cost counter only (see CountCost).

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <atomic>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "libs/common/money.h"
#include "services/gateway/domain/provider.h"
#include "services/gateway/domain/usage_record.h"

namespace llmgw::gateway {

class GatewayMetrics {
 public:
  explicit GatewayMetrics(prometheus::Registry& registry);

  // Everything a request that reached a provider adds: its response code, duration, tokens and,
  // in pass-through, whether it was unpriced. The one place a usage record becomes metrics.
  void Record(const UsageRecord& r);
  // provider "" for requests that were not routed to one.
  void CountRequest(std::string_view provider, Mode mode, int code);
  void ObserveDuration(Provider p, Mode mode, double seconds);
  void ObserveTimeToFirstToken(Provider p, double seconds);
  void CountTokens(Provider p, const money::TokenCounts& t);
  void CountUpstreamError(Provider p);
  // A pass-through request whose model has no price (the model is not a label: unbounded).
  void CountUnpriced(Provider p);
  // Adds what the request cost (UsageRecord::cost: the estimated provider cost in pass-through,
  // the charged total in reseller) to llmgw_gateway_cost_nano_usd_total{provider,model,mode}.
  // The model label is bounded: a model without a price is "other" (its cost is 0 and unknown),
  // and after kMaxCostModels distinct model names every new one is "other" too, so a client
  // sending made-up model names cannot grow the series without bound.
  void CountCost(const UsageRecord& r);
  static constexpr size_t kMaxCostModels = 256;

  // How a credential check was answered: from a fresh cache entry (no call), by accounts, by a
  // stale entry while accounts was unreachable, or not at all (503).
  enum class AuthSource { kCacheHit, kCacheMiss, kStale, kUnavailable };
  void CountAuth(AuthSource source);

  prometheus::Gauge& active_streams() { return active_streams_; }

 private:
  static constexpr int kProviders = 4;
  static int Index(Provider p) { return static_cast<int>(p); }

  prometheus::Family<prometheus::Counter>& requests_;
  // requests_ children by [provider index, or kProviders for ""][mode][code - 100], made on first
  // use: Family::Add builds and hashes a label map under a lock, too much for every request.
  static constexpr int kMinCode = 100, kMaxCode = 599;
  std::array<std::array<std::array<std::atomic<prometheus::Counter*>, kMaxCode - kMinCode + 1>, 2>,
             kProviders + 1>
      request_counters_{};
  std::array<std::array<prometheus::Histogram*, 2>, kProviders> duration_{};
  std::array<prometheus::Histogram*, kProviders> ttft_{};
  // input, cached_input, cache_write, output, reasoning
  std::array<std::array<prometheus::Counter*, 5>, kProviders> tokens_{};
  std::array<prometheus::Counter*, kProviders> upstream_errors_{};
  std::array<prometheus::Counter*, kProviders> unpriced_{};
  prometheus::Gauge& active_streams_;
  prometheus::Family<prometheus::Counter>& cost_;
  std::mutex cost_mu_;
  // key: provider index, mode and model ("\0"-separated); value: the child counter.
  std::unordered_map<std::string, prometheus::Counter*> cost_counters_;
  std::unordered_set<std::string> cost_model_names_;  // the models given their own label
  std::array<prometheus::Counter*, 4> auth_{};
};

}  // namespace llmgw::gateway

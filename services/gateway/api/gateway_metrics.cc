#include "services/gateway/api/gateway_metrics.h"

#include <string>

#include "libs/metrics/metrics.h"

namespace llmgw::gateway {
namespace {

constexpr Provider kAll[] = {Provider::kOpenAI, Provider::kAnthropic, Provider::kGoogle,
                             Provider::kXai};

}  // namespace

GatewayMetrics::GatewayMetrics(prometheus::Registry& registry)
    : requests_(prometheus::BuildCounter()
                    .Name("llmgw_gateway_requests_total")
                    .Help("Gateway requests by provider, mode and HTTP status code")
                    .Register(registry)),
      active_streams_(prometheus::BuildGauge()
                          .Name("llmgw_gateway_active_streams")
                          .Help("Streaming responses being relayed now")
                          .Register(registry)
                          .Add({})),
      cost_(prometheus::BuildCounter()
                .Name("llmgw_gateway_cost_nano_usd_total")
                .Help("What requests cost in nano-USD (pass-through: estimated provider cost; "
                      "reseller: charged total), by provider, model and mode")
                .Register(registry)) {
  auto& duration = prometheus::BuildHistogram()
                       .Name("llmgw_gateway_request_duration_seconds")
                       .Help("Time from request to the end of the response")
                       .Register(registry);
  auto& ttft = prometheus::BuildHistogram()
                   .Name("llmgw_gateway_time_to_first_token_seconds")
                   .Help("Time from request to the first relayed stream byte")
                   .Register(registry);
  auto& tokens = prometheus::BuildCounter()
                     .Name("llmgw_gateway_tokens_total")
                     .Help("Tokens reported by providers, by type")
                     .Register(registry);
  auto& upstream_errors = prometheus::BuildCounter()
                              .Name("llmgw_gateway_upstream_errors_total")
                              .Help("Upstream connection failures and timeouts")
                              .Register(registry);
  auto& unpriced =
      prometheus::BuildCounter()
          .Name("llmgw_gateway_unpriced_requests_total")
          .Help("Pass-through requests whose model has no price: recorded, cost unknown")
          .Register(registry);
  auto& auth = prometheus::BuildCounter()
                   .Name("llmgw_gateway_auth_total")
                   .Help("Credential checks by how they were answered: hit (fresh cache entry), "
                         "miss (asked accounts), stale (accounts unreachable, expired entry "
                         "served), unavailable (no answer: 503)")
                   .Register(registry);
  const char* kAuthResults[] = {"hit", "miss", "stale", "unavailable"};
  for (int i = 0; i < 4; ++i) auth_[i] = &auth.Add({{"result", kAuthResults[i]}});
  const char* kTypes[] = {"input", "cached_input", "cache_write", "output", "reasoning"};
  for (Provider p : kAll) {
    const std::string name(ProviderName(p));
    const int i = Index(p);
    for (Mode m : {Mode::kPassthrough, Mode::kReseller}) {
      duration_[i][static_cast<int>(m)] = &duration.Add(
          {{"provider", name}, {"mode", std::string(ModeName(m))}}, metrics::LatencyBuckets());
    }
    ttft_[i] = &ttft.Add({{"provider", name}}, metrics::LatencyBuckets());
    for (int t = 0; t < 5; ++t)
      tokens_[i][t] = &tokens.Add({{"provider", name}, {"type", kTypes[t]}});
    upstream_errors_[i] = &upstream_errors.Add({{"provider", name}});
    unpriced_[i] = &unpriced.Add({{"provider", name}});
  }
}

void GatewayMetrics::Record(const UsageRecord& r) {
  CountRequest(ProviderName(r.provider), r.mode, r.status_code);
  ObserveDuration(r.provider, r.mode, r.latency_seconds);
  CountTokens(r.provider, r.tokens);
  if (r.unpriced && r.mode == Mode::kPassthrough) CountUnpriced(r.provider);
  CountCost(r);
}

void GatewayMetrics::CountCost(const UsageRecord& r) {
  const std::string_view mode = ModeName(r.mode);
  std::string key;
  key.reserve(r.model.size() + 16);
  key.push_back(static_cast<char>('0' + Index(r.provider)));
  key.append(mode);
  key.push_back('\0');
  key.append(r.unpriced ? std::string_view() : std::string_view(r.model));
  prometheus::Counter* counter = nullptr;
  {
    std::lock_guard<std::mutex> lock(cost_mu_);
    auto it = cost_counters_.find(key);
    if (it != cost_counters_.end()) {
      counter = it->second;
    } else {
      std::string model = r.unpriced || r.model.empty() ? "other" : r.model;
      if (model != "other" && !cost_model_names_.contains(model)) {
        if (cost_model_names_.size() < kMaxCostModels) {
          cost_model_names_.insert(model);
        } else {
          model = "other";
        }
      }
      counter = &cost_.Add({{"provider", std::string(ProviderName(r.provider))},
                            {"model", model},
                            {"mode", std::string(mode)}});
      // Past the cap, every new name is cached too (pointing at "other"): bound that map as well.
      if (cost_counters_.size() < 4 * kMaxCostModels) cost_counters_.emplace(std::move(key), counter);
    }
  }
  if (r.cost > 0) counter->Increment(static_cast<double>(r.cost));
}

void GatewayMetrics::CountAuth(AuthSource source) {
  auth_[static_cast<size_t>(source)]->Increment();
}

void GatewayMetrics::CountRequest(std::string_view provider, Mode mode, int code) {
  int slot = -1;
  if (provider.empty()) {
    slot = kProviders;
  } else if (auto p = ProviderFromName(provider)) {
    slot = Index(*p);
  }
  auto add = [&] {
    return &requests_.Add({{"provider", std::string(provider)},
                           {"mode", std::string(ModeName(mode))},
                           {"code", std::to_string(code)}});
  };
  if (slot < 0 || code < kMinCode || code > kMaxCode) {
    add()->Increment();
    return;
  }
  auto& cached = request_counters_[slot][static_cast<int>(mode)][code - kMinCode];
  prometheus::Counter* counter = cached.load(std::memory_order_acquire);
  if (counter == nullptr) {
    counter = add();  // Family::Add returns the same child for the same labels: races are benign
    cached.store(counter, std::memory_order_release);
  }
  counter->Increment();
}

void GatewayMetrics::ObserveDuration(Provider p, Mode mode, double seconds) {
  duration_[Index(p)][static_cast<int>(mode)]->Observe(seconds);
}

void GatewayMetrics::ObserveTimeToFirstToken(Provider p, double seconds) {
  ttft_[Index(p)]->Observe(seconds);
}

void GatewayMetrics::CountTokens(Provider p, const money::TokenCounts& t) {
  auto& c = tokens_[Index(p)];
  if (t.input > 0) c[0]->Increment(static_cast<double>(t.input));
  if (t.cached_input > 0) c[1]->Increment(static_cast<double>(t.cached_input));
  if (t.cache_write > 0) c[2]->Increment(static_cast<double>(t.cache_write));
  if (t.output > 0) c[3]->Increment(static_cast<double>(t.output));
  if (t.reasoning > 0) c[4]->Increment(static_cast<double>(t.reasoning));
}

void GatewayMetrics::CountUpstreamError(Provider p) { upstream_errors_[Index(p)]->Increment(); }

void GatewayMetrics::CountUnpriced(Provider p) { unpriced_[Index(p)]->Increment(); }

}  // namespace llmgw::gateway

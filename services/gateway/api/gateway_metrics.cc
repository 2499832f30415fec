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
                          .Add({})) {
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

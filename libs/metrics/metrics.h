#pragma once
// Prometheus: one registry per process, served on LLMGW_METRICS_ADDR at /metrics.
// Names start with llmgw_, use base units, counters end in _total; labels are bounded
// (provider, model, mode, code, method) — never org, key or request id.

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace llmgw::metrics {

class MetricsServer {
 public:
  // Listens on `address` ("host:port"; port 0 picks a free one) and serves `registry` plus the
  // standard process metrics (process_metrics.h), so every service exports those.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      const std::string& address, std::shared_ptr<prometheus::Registry> registry);
  int port() const;

 private:
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::shared_ptr<prometheus::Collectable> process_;
};

// Buckets for request durations in seconds, from 100 µs to 60 s.
prometheus::Histogram::BucketBoundaries LatencyBuckets();

// Counters and a histogram for gRPC server methods, labelled by method and code.
class GrpcServerMetrics {
 public:
  GrpcServerMetrics(prometheus::Registry& registry, const std::string& service);
  void Observe(const std::string& method, int code, double seconds);

 private:
  std::string service_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& duration_;
};

}  // namespace llmgw::metrics

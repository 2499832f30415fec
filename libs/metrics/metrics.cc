#include "libs/metrics/metrics.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "libs/metrics/process_metrics.h"

namespace llmgw::metrics {

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const std::string& address, std::shared_ptr<prometheus::Registry> registry) {
  auto server = std::unique_ptr<MetricsServer>(new MetricsServer());
  try {
    server->exposer_ = std::make_unique<prometheus::Exposer>(address);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve metrics on ", address, ": ", e.what()));
  }
  server->exposer_->RegisterCollectable(registry);
  server->process_ = std::make_shared<ProcessCollector>();
  server->exposer_->RegisterCollectable(server->process_);
  return server;
}

int MetricsServer::port() const {
  auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

prometheus::Histogram::BucketBoundaries LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
          0.1,    0.25,    0.5,    1,     2.5,    5,     10,   30,    60};
}

GrpcServerMetrics::GrpcServerMetrics(prometheus::Registry& registry, const std::string& service)
    : service_(service),
      handled_(prometheus::BuildCounter()
                   .Name("llmgw_grpc_server_handled_total")
                   .Help("gRPC calls completed, by method and status code")
                   .Register(registry)),
      duration_(prometheus::BuildHistogram()
                    .Name("llmgw_grpc_server_handling_seconds")
                    .Help("gRPC call duration, by method")
                    .Register(registry)) {}

void GrpcServerMetrics::Observe(const std::string& method, int code, double seconds) {
  handled_.Add({{"service", service_}, {"method", method}, {"code", std::to_string(code)}})
      .Increment();
  duration_.Add({{"service", service_}, {"method", method}}, LatencyBuckets()).Observe(seconds);
}

}  // namespace llmgw::metrics

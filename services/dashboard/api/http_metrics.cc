#include "services/dashboard/api/http_metrics.h"

#include "libs/metrics/metrics.h"

namespace llmgw::dashboard {

HttpMetrics::HttpMetrics(prometheus::Registry& registry)
    : requests_(prometheus::BuildCounter()
                    .Name("llmgw_dashboard_http_requests_total")
                    .Help("HTTP requests served by the dashboard, by route and status code")
                    .Register(registry)),
      duration_(prometheus::BuildHistogram()
                    .Name("llmgw_dashboard_http_request_duration_seconds")
                    .Help("Time to answer a dashboard HTTP request, by route")
                    .Register(registry)) {}

void HttpMetrics::Observe(const std::string& method, const std::string& route, int status,
                          double seconds) {
  requests_.Add({{"method", method}, {"route", route}, {"code", std::to_string(status)}})
      .Increment();
  duration_.Add({{"method", method}, {"route", route}}, metrics::LatencyBuckets()).Observe(seconds);
}

}  // namespace llmgw::dashboard

#pragma once
// Prometheus metrics of the dashboard's HTTP server. Labels are bounded: the route pattern (not
// the path), the method and the status code.

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <string>

namespace llmgw::dashboard {

class HttpMetrics {
 public:
  explicit HttpMetrics(prometheus::Registry& registry);
  void Observe(const std::string& method, const std::string& route, int status, double seconds);

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& duration_;
};

}  // namespace llmgw::dashboard

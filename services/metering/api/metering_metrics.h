#pragma once
// Metering's own Prometheus counters (no labels: org ids never become label values).

#include <prometheus/counter.h>
#include <prometheus/registry.h>

namespace llmgw::metering {

struct MeteringMetrics {
  explicit MeteringMetrics(prometheus::Registry& registry);
  prometheus::Counter& events_ingested;   // llmgw_metering_events_ingested_total
  prometheus::Counter& events_duplicate;  // llmgw_metering_events_duplicate_total
};

}  // namespace llmgw::metering

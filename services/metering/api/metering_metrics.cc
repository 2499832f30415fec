#include "services/metering/api/metering_metrics.h"

namespace llmgw::metering {

MeteringMetrics::MeteringMetrics(prometheus::Registry& registry)
    : events_ingested(prometheus::BuildCounter()
                          .Name("llmgw_metering_events_ingested_total")
                          .Help("Usage events stored (new event ids)")
                          .Register(registry)
                          .Add({})),
      events_duplicate(prometheus::BuildCounter()
                           .Name("llmgw_metering_events_duplicate_total")
                           .Help("Usage events skipped because their id was already stored")
                           .Register(registry)
                           .Add({})) {}

}  // namespace llmgw::metering

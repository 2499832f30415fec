#include "services/metering/api/provider_sync_metrics.h"

namespace llmgw::metering {

ProviderSyncMetrics::ProviderSyncMetrics(prometheus::Registry& registry)
    : syncs_(prometheus::BuildCounter()
                 .Name("llmgw_metering_provider_syncs_total")
                 .Help("Provider usage syncs by outcome")
                 .Register(registry)),
      requests_(prometheus::BuildCounter()
                    .Name("llmgw_metering_provider_report_requests_total")
                    .Help("Requests to providers' usage and cost reports, retries included")
                    .Register(registry)),
      duration_(prometheus::BuildHistogram()
                    .Name("llmgw_metering_provider_sync_duration_seconds")
                    .Help("Time a provider usage sync took, backoff included")
                    .Register(registry)) {}

void ProviderSyncMetrics::Record(const SyncOutcome& o) {
  const std::string provider = ReportProviderName(o.provider);
  syncs_.Add({{"provider", provider}, {"outcome", SyncStateName(o.state)}}).Increment();
  if (o.requests > 0) requests_.Add({{"provider", provider}}).Increment(o.requests);
  if (o.state == SyncState::kSynced || o.state == SyncState::kFailed) {
    duration_
        .Add({{"provider", provider}},
             prometheus::Histogram::BucketBoundaries{0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300})
        .Observe(o.seconds);
  }
}

}  // namespace llmgw::metering

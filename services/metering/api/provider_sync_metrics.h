#pragma once
// Provider sync's Prometheus series, labelled by provider and outcome only (never organization,
// connection or key).
//   llmgw_metering_provider_syncs_total{provider,outcome}   outcome: synced|failed|busy|…
//   llmgw_metering_provider_report_requests_total{provider}  report pages asked, retries included
//   llmgw_metering_provider_sync_duration_seconds{provider}  syncs that ran (synced or failed)

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "services/metering/domain/provider_syncer.h"

namespace llmgw::metering {

class ProviderSyncMetrics {
 public:
  explicit ProviderSyncMetrics(prometheus::Registry& registry);
  void Record(const SyncOutcome& outcome);

 private:
  prometheus::Family<prometheus::Counter>& syncs_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& duration_;
};

}  // namespace llmgw::metering

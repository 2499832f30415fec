#pragma once
// Billing's Prometheus counters. No org or request labels: only bounded outcomes.

#include <prometheus/counter.h>
#include <prometheus/registry.h>

namespace llmgw::billing {

class BillingMetrics {
 public:
  explicit BillingMetrics(prometheus::Registry& registry);

  prometheus::Counter& holds_granted;
  prometheus::Counter& holds_refused;
  prometheus::Counter& settles;           // first settles (repeats are not counted)
  prometheus::Counter& settles_replayed;  // idempotent repeats
  prometheus::Counter& voids;
  prometheus::Counter& holds_expired;     // voided by the sweeper
  prometheus::Counter& uncollected_nano;  // cost the balances could not cover
  prometheus::Counter& charged_nano;      // debited by settles
  prometheus::Counter& topups_nano;
  // Group commit: batches committed whole, batches that failed and ran their calls one by one,
  // and the calls they carried (calls / batches = the mean batch size).
  prometheus::Counter& batches_committed;
  prometheus::Counter& batches_fell_back;
  prometheus::Counter& batched_calls;
};

}  // namespace llmgw::billing

#include "services/billing/api/billing_metrics.h"

namespace llmgw::billing {
namespace {

prometheus::Family<prometheus::Counter>& Family(prometheus::Registry& r, const std::string& name,
                                                const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r);
}

}  // namespace

BillingMetrics::BillingMetrics(prometheus::Registry& r)
    : holds_granted(Family(r, "llmgw_billing_holds_total", "Hold requests by result")
                        .Add({{"result", "granted"}})),
      holds_refused(Family(r, "llmgw_billing_holds_total", "Hold requests by result")
                        .Add({{"result", "refused"}})),
      settles(Family(r, "llmgw_billing_settles_total", "Settles by result")
                  .Add({{"result", "settled"}})),
      settles_replayed(Family(r, "llmgw_billing_settles_total", "Settles by result")
                           .Add({{"result", "replayed"}})),
      voids(Family(r, "llmgw_billing_voids_total", "Successful Void calls").Add({})),
      holds_expired(
          Family(r, "llmgw_billing_holds_expired_total", "Holds voided by the sweeper").Add({})),
      uncollected_nano(Family(r, "llmgw_billing_uncollected_nano_total",
                              "Settled cost (nano-USD) the balance could not cover")
                           .Add({})),
      charged_nano(Family(r, "llmgw_billing_charged_nano_total",
                          "Usage debited from balances by settles (nano-USD)")
                       .Add({})),
      topups_nano(
          Family(r, "llmgw_billing_topups_nano_total", "Top-ups credited (nano-USD)").Add({})),
      batches_committed(Family(r, "llmgw_billing_batches_total",
                               "Group-commit batches of Hold/Settle/Void calls by result")
                            .Add({{"result", "committed"}})),
      batches_fell_back(Family(r, "llmgw_billing_batches_total",
                               "Group-commit batches of Hold/Settle/Void calls by result")
                            .Add({{"result", "one_by_one"}})),
      batched_calls(Family(r, "llmgw_billing_batched_calls_total",
                           "Hold/Settle/Void calls that went through group commit")
                        .Add({})) {}

}  // namespace llmgw::billing

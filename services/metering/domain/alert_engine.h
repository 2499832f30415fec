#pragma once
// The alert engine: evaluates every rule against what it watches and queues what fires into the
// outbox (once per rule and period), and delivers the outbox at least once with retries and
// backoff. AlertLoop runs both on a thread of its own: deliveries every second, evaluation every
// LLMGW_ALERT_INTERVAL_SECONDS. Every replica of metering runs one; the outbox's unique key and
// leases keep them from firing or delivering twice.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/common/clock.h"
#include "libs/common/secret_box.h"
#include "services/metering/domain/alerts.h"
#include "services/metering/domain/provider_usage.h"
#include "services/metering/domain/reconciliation.h"
#include "services/metering/storage/alert_store.h"

namespace llmgw::metering {

// What rules watch, beyond metering's own request counts (AlertStore).
class AlertSources {
 public:
  virtual ~AlertSources() = default;
  // The organization's balance in nano-USD (billing).
  virtual absl::StatusOr<int64_t> Balance(const std::string& organization_id) = 0;
  // The reconciliation of provider-reported and metered usage over `window`.
  virtual absl::StatusOr<std::vector<ReconciliationRow>> Reconciliation(
      const std::string& organization_id, DayWindow window) = 0;
  // The organization's budgets in their current periods; Unimplemented while billing keeps none.
  virtual absl::StatusOr<std::vector<BudgetUsage>> Budgets(const std::string& organization_id) = 0;
};

struct OutgoingAlert {
  int64_t delivery_id = 0;
  std::string rule_id;
  AlertChannel channel = AlertChannel::kWebhook;
  std::string target;
  std::string payload;
  std::string signing_secret;  // webhooks; a secret: never logged
};

class AlertSender {
 public:
  virtual ~AlertSender() = default;
  // OK when the receiver took it (webhook: a 2xx answer; e-mail: the SMTP server accepted it).
  // Otherwise a status whose message is safe to show the organization (no URL, no secret).
  virtual absl::Status Send(const OutgoingAlert& alert) = 0;
};

struct DeliveryOutcome {
  AlertChannel channel = AlertChannel::kWebhook;
  const char* result = "";  // delivered | retry | failed (given up)
};

class AlertEngine {
 public:
  struct Options {
    int64_t lease_ms = 120'000;  // longer than one delivery can take
    int batch = 20;              // deliveries per pass
  };
  // `ring` is null without LLMGW_SECRET_KEY: webhook deliveries then fail (and are retried).
  AlertEngine(AlertStore& store, AlertSources& sources, AlertSender& sender,
              const crypto::SecretKeyring* ring, const Clock& clock, Options options);

  // Evaluates every rule once; the number of alerts queued.
  int Evaluate();
  // Delivers the due deliveries (one leased batch).
  std::vector<DeliveryOutcome> DeliverDue();
  int batch() const { return options_.batch; }

 private:
  struct OrgView;  // what one organization's rules read, fetched once per pass
  std::vector<AlertFiring> Firings(const AlertRule& rule, OrgView& view);
  DeliveryOutcome Deliver(const LeasedDelivery& d);

  AlertStore& store_;
  AlertSources& sources_;
  AlertSender& sender_;
  const crypto::SecretKeyring* ring_;
  const Clock& clock_;
  Options options_;
};

// The AAD that binds a webhook rule's sealed secret to its row.
std::string AlertSecretAad(const std::string& rule_id);

class AlertLoop {
 public:
  struct Options {
    std::chrono::milliseconds evaluate_every{60'000};
    std::chrono::milliseconds deliver_every{1'000};
    std::function<void(const DeliveryOutcome&)> on_delivery;  // metrics
    std::function<void(int)> on_fired;                        // metrics: alerts queued
  };
  AlertLoop(AlertEngine& engine, Options options);
  ~AlertLoop();  // Stop()s

  void Start();
  void Stop();

 private:
  void Loop();

  AlertEngine& engine_;
  Options options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace llmgw::metering

#pragma once
// What alerts need from storage: the rules (a webhook's signing secret only ever sealed), the
// durable outbox of deliveries (one row per rule and period, leased by the worker delivering it),
// and the per-provider request counts the error-rate rule reads.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/common/secret_box.h"
#include "services/metering/domain/alerts.h"

namespace llmgw::metering {

struct NewAlertRule {
  std::string id;  // chosen by the caller: the sealed secret is bound to it
  std::string organization_id;
  AlertKind kind = AlertKind::kBalance;
  int64_t threshold_nano = 0;
  AlertChannel channel = AlertChannel::kWebhook;
  std::string target;
  std::optional<crypto::SealedSecret> sealed_secret;  // webhooks only
  int64_t now_unix_ms = 0;
};

// The newest delivery of a rule, as the dashboard shows it.
struct AlertDeliveryState {
  std::string status;  // pending | retrying | delivered | failed
  int attempts = 0;
  std::string last_error;  // never a secret: an HTTP status or libcurl's reason
  int64_t fired_at_unix_ms = 0;
  int64_t delivered_at_unix_ms = 0;  // 0 unless delivered
  int64_t next_attempt_at_unix_ms = 0;
  bool operator==(const AlertDeliveryState&) const = default;
};

struct AlertRuleView {
  AlertRule rule;
  std::optional<AlertDeliveryState> last_delivery;  // none: never fired
};

// One outbox row leased for delivery, with what delivering it needs.
struct LeasedDelivery {
  int64_t id = 0;
  std::string rule_id;
  AlertChannel channel = AlertChannel::kWebhook;
  std::string target;
  std::optional<crypto::SealedSecret> sealed_secret;
  std::string payload;
  int attempts = 0;  // before this one
  int64_t created_at_unix_ms = 0;
};

// A webhook rule's sealed signing secret, as the re-encrypt command sees it.
struct StoredAlertSecret {
  std::string rule_id;
  crypto::SealedSecret sealed_secret;
};

// What one attempt came to.
struct DeliveryAttempt {
  bool delivered = false;
  std::string error;                    // when not delivered
  int64_t next_attempt_at_unix_ms = 0;  // when not delivered and not given up
  bool give_up = false;
};

class AlertStore {
 public:
  virtual ~AlertStore() = default;

  // FailedPrecondition when the organization has kMaxAlertRulesPerOrganization rules already.
  virtual absl::StatusOr<AlertRule> CreateRule(const NewAlertRule& r) = 0;
  // Oldest first, each with its newest delivery.
  virtual absl::StatusOr<std::vector<AlertRuleView>> ListRules(
      const std::string& organization_id) = 0;
  // Removes the rule and its deliveries. NotFound unless the organization has it.
  virtual absl::StatusOr<AlertRule> DeleteRule(const std::string& organization_id,
                                               const std::string& id) = 0;
  // Every organization's rules, for evaluation.
  virtual absl::StatusOr<std::vector<AlertRule>> AllRules() = 0;

  // Queues the delivery of `payload` unless the rule already fired for `period_key`; true when
  // queued. A rule of `rule.episode` is marked firing in the same transaction.
  virtual absl::StatusOr<bool> Fire(const AlertRule& rule, const std::string& period_key,
                                    const std::string& payload, int64_t now_unix_ms) = 0;
  // The rule's condition cleared: the next firing is a new episode (only if it was firing in
  // `episode`, so replicas clearing it together count one).
  virtual absl::Status ClearFiring(const std::string& rule_id, int64_t episode) = 0;

  // Requests per provider of the organization in [from, to): all, and provider errors
  // (IsProviderError).
  virtual absl::StatusOr<std::vector<ProviderRequestCounts>> CountProviderRequests(
      const std::string& organization_id, int64_t from_unix_ms, int64_t to_unix_ms) = 0;

  // Leases up to `limit` due deliveries (oldest due first): their next attempt moves to
  // now + lease, so another worker takes one over only if this one died delivering it.
  virtual absl::StatusOr<std::vector<LeasedDelivery>> LeaseDue(int64_t now_unix_ms,
                                                               int64_t lease_ms, int limit) = 0;
  virtual absl::Status RecordAttempt(int64_t delivery_id, const DeliveryAttempt& attempt,
                                     int64_t now_unix_ms) = 0;

  // Key rotation (every organization's webhook rules).
  virtual absl::StatusOr<std::vector<StoredAlertSecret>> ListSealedSecrets() = 0;
  // Replaces the sealed secret only if it is still `expected` (FailedPrecondition otherwise).
  virtual absl::Status ReplaceSealedSecret(const std::string& rule_id,
                                           const crypto::SealedSecret& expected,
                                           const crypto::SealedSecret& replacement) = 0;
};

}  // namespace llmgw::metering

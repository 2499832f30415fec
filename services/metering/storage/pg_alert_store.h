#pragma once
// AlertStore on PostgreSQL (metering.alert_rules, metering.alert_outbox; migration 006). Firing
// is an INSERT … ON CONFLICT DO NOTHING on the outbox's (rule_id, period_key): replicas that
// evaluate the same rule at once queue one delivery. Leasing is one UPDATE over rows picked with
// FOR UPDATE SKIP LOCKED, so two workers never lease the same row.

#include "libs/pg/pool.h"
#include "services/metering/storage/alert_store.h"

namespace llmgw::metering {

class PgAlertStore final : public AlertStore {
 public:
  explicit PgAlertStore(pg::PgPool& pool) : pool_(pool) {}

  // AlertStore
  absl::StatusOr<AlertRule> CreateRule(const NewAlertRule& r) override;
  absl::StatusOr<std::vector<AlertRuleView>> ListRules(const std::string& organization_id) override;
  absl::StatusOr<AlertRule> DeleteRule(const std::string& organization_id,
                                       const std::string& id) override;
  absl::StatusOr<std::vector<AlertRule>> AllRules() override;
  absl::StatusOr<bool> Fire(const AlertRule& rule, const std::string& period_key,
                            const std::string& payload, int64_t now_unix_ms) override;
  absl::Status ClearFiring(const std::string& rule_id, int64_t episode) override;
  absl::StatusOr<std::vector<ProviderRequestCounts>> CountProviderRequests(
      const std::string& organization_id, int64_t from_unix_ms, int64_t to_unix_ms) override;
  absl::StatusOr<std::vector<LeasedDelivery>> LeaseDue(int64_t now_unix_ms, int64_t lease_ms,
                                                       int limit) override;
  absl::Status RecordAttempt(int64_t delivery_id, const DeliveryAttempt& attempt,
                             int64_t now_unix_ms) override;
  absl::StatusOr<std::vector<StoredAlertSecret>> ListSealedSecrets() override;
  absl::Status ReplaceSealedSecret(const std::string& rule_id, const crypto::SealedSecret& expected,
                                   const crypto::SealedSecret& replacement) override;

 private:
  pg::PgPool& pool_;
};

}  // namespace llmgw::metering

#pragma once
// llmgw.metering.v1.AlertService over gRPC (proto/llmgw/metering/v1/alerts.proto): an
// organization's alert rules. Transport only: validation is domain/alerts, state the AlertStore.
// A webhook's signing secret is made here, sealed under LLMGW_SECRET_KEY (bound to the rule's
// id) before it is stored, and returned once.
//
// Also here: the AlertSources the engine reads (billing's balance, metering's reconciliation),
// and the alerts' Prometheus series, labelled by kind, channel and result only:
//   llmgw_metering_alerts_fired_total                       alerts queued
//   llmgw_metering_alert_deliveries_total{channel,result}   result: delivered|retry|failed

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include <functional>

#include "libs/common/clock.h"
#include "libs/common/secret_box.h"
#include "libs/grpc/server.h"
#include "llmgw/metering/v1/alerts.grpc.pb.h"
#include "services/metering/domain/alert_engine.h"
#include "services/metering/storage/alert_store.h"
#include "services/metering/storage/provider_store.h"
#include "services/metering/storage/usage_store.h"

namespace llmgw::metering {

class AlertService final : public ::llmgw::metering::v1::AlertService::CallbackService {
 public:
  struct Deps {
    AlertStore& alerts;
    const crypto::SecretKeyring* keyring = nullptr;  // null: no webhook rules
    bool email_enabled = false;                      // LLMGW_SMTP_URL is set
    const Clock& clock;
  };
  AlertService(Deps deps, grpcutil::HandlerEnv env)
      : deps_(std::move(deps)), env_(std::move(env)) {}

  grpc::ServerUnaryReactor* CreateAlertRule(grpc::CallbackServerContext* ctx,
                                            const v1::CreateAlertRuleRequest* req,
                                            v1::CreateAlertRuleResponse* resp) override;
  grpc::ServerUnaryReactor* ListAlertRules(grpc::CallbackServerContext* ctx,
                                           const v1::ListAlertRulesRequest* req,
                                           v1::ListAlertRulesResponse* resp) override;
  grpc::ServerUnaryReactor* DeleteAlertRule(grpc::CallbackServerContext* ctx,
                                            const v1::DeleteAlertRuleRequest* req,
                                            v1::DeleteAlertRuleResponse* resp) override;

 private:
  absl::Status Create(const v1::CreateAlertRuleRequest& req, v1::CreateAlertRuleResponse* resp);

  Deps deps_;
  grpcutil::HandlerEnv env_;
};

// AlertSources from metering's stores, billing's balance and budget counters and accounts' budget
// limits (the functions; a null budgets function answers Unimplemented).
class StoredAlertSources final : public AlertSources {
 public:
  using BalanceFn = std::function<absl::StatusOr<int64_t>(const std::string&)>;
  using BudgetsFn = std::function<absl::StatusOr<std::vector<BudgetUsage>>(const std::string&)>;
  StoredAlertSources(ProviderStore& providers, UsageStore& usage, BalanceFn balance,
                     BudgetsFn budgets = nullptr)
      : providers_(providers),
        usage_(usage),
        balance_(std::move(balance)),
        budgets_(std::move(budgets)) {}

  // AlertSources
  absl::StatusOr<int64_t> Balance(const std::string& organization_id) override;
  absl::StatusOr<std::vector<ReconciliationRow>> Reconciliation(const std::string& organization_id,
                                                                DayWindow window) override;
  absl::StatusOr<std::vector<BudgetUsage>> Budgets(const std::string& organization_id) override;

 private:
  ProviderStore& providers_;
  UsageStore& usage_;
  BalanceFn balance_;
  BudgetsFn budgets_;
};

class AlertMetrics {
 public:
  explicit AlertMetrics(prometheus::Registry& registry);
  void Fired(int count);
  void Delivered(const DeliveryOutcome& outcome);

 private:
  prometheus::Counter& fired_;
  prometheus::Family<prometheus::Counter>& deliveries_;
};

}  // namespace llmgw::metering

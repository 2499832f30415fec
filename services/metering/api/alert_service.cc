#include "services/metering/api/alert_service.h"

#include <openssl/crypto.h>

#include "libs/common/crypto.h"
#include "libs/common/status_macros.h"
#include "services/metering/api/provider_sync_service.h"

namespace llmgw::metering {
namespace {

namespace pb = ::llmgw::metering::v1;

void ToProto(const AlertRule& r, const std::optional<AlertDeliveryState>& d, pb::AlertRule* p) {
  p->set_id(r.id);
  p->set_kind(std::string(AlertKindName(r.kind)));
  p->set_threshold_nano(r.threshold_nano);
  p->set_channel(std::string(AlertChannelName(r.channel)));
  p->set_target(r.target);
  p->set_created_at_unix_ms(r.created_at_unix_ms);
  if (!d.has_value()) return;
  pb::AlertDelivery* out = p->mutable_last_delivery();
  out->set_status(d->status);
  out->set_attempts(d->attempts);
  out->set_last_error(d->last_error);
  out->set_fired_at_unix_ms(d->fired_at_unix_ms);
  out->set_delivered_at_unix_ms(d->delivered_at_unix_ms);
  out->set_next_attempt_at_unix_ms(d->next_attempt_at_unix_ms);
}

absl::Status NeedOrg(const std::string& org) {
  if (org.empty()) return absl::InvalidArgumentError("organization_id is required");
  return absl::OkStatus();
}

}  // namespace

absl::Status AlertService::Create(const pb::CreateAlertRuleRequest& req,
                                  pb::CreateAlertRuleResponse* resp) {
  LLMGW_RETURN_IF_ERROR(NeedOrg(req.organization_id()));
  LLMGW_ASSIGN_OR_RETURN(AlertKind kind, ParseAlertKind(req.kind()));
  LLMGW_ASSIGN_OR_RETURN(AlertChannel channel, ParseAlertChannel(req.channel()));
  LLMGW_RETURN_IF_ERROR(ValidateAlertRule(kind, req.threshold_nano(), channel, req.target()));
  if (channel == AlertChannel::kWebhook && deps_.keyring == nullptr) {
    return absl::FailedPreconditionError(
        "webhook alerts are not enabled: the operator must set LLMGW_SECRET_KEY on the metering "
        "service (it seals the signing secret)");
  }
  if (channel == AlertChannel::kEmail && !deps_.email_enabled) {
    return absl::FailedPreconditionError(
        "e-mail alerts are not enabled: the operator must set LLMGW_SMTP_URL on the metering "
        "service");
  }
  NewAlertRule n;
  n.id = crypto::RandomUuid();
  n.organization_id = req.organization_id();
  n.kind = kind;
  n.threshold_nano = req.threshold_nano();
  n.channel = channel;
  n.target = req.target();
  n.now_unix_ms = deps_.clock.NowUnixMs();
  std::string secret;
  if (channel == AlertChannel::kWebhook) {
    // The URL is a credential too: sealed with the signing secret, shown only as scheme and host.
    secret = NewSigningSecret();
    std::string sealable = SealableWebhook(secret, req.target());
    n.sealed_secret = deps_.keyring->current().Seal(sealable, AlertSecretAad(n.id));
    OPENSSL_cleanse(sealable.data(), sealable.size());
    n.target = WebhookDisplay(req.target());
  }
  absl::StatusOr<AlertRule> created = deps_.alerts.CreateRule(n);
  if (!created.ok()) {
    OPENSSL_cleanse(secret.data(), secret.size());
    return created.status();
  }
  ToProto(*created, std::nullopt, resp->mutable_rule());
  resp->set_signing_secret(secret);
  OPENSSL_cleanse(secret.data(), secret.size());
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* AlertService::CreateAlertRule(grpc::CallbackServerContext* ctx,
                                                        const pb::CreateAlertRuleRequest* req,
                                                        pb::CreateAlertRuleResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "CreateAlertRule",
                              [=, this]() -> absl::Status { return Create(*req, resp); });
}

grpc::ServerUnaryReactor* AlertService::ListAlertRules(grpc::CallbackServerContext* ctx,
                                                       const pb::ListAlertRulesRequest* req,
                                                       pb::ListAlertRulesResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "ListAlertRules", [=, this]() -> absl::Status {
    LLMGW_RETURN_IF_ERROR(NeedOrg(req->organization_id()));
    LLMGW_ASSIGN_OR_RETURN(auto rules, deps_.alerts.ListRules(req->organization_id()));
    for (const AlertRuleView& v : rules) ToProto(v.rule, v.last_delivery, resp->add_rules());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AlertService::DeleteAlertRule(grpc::CallbackServerContext* ctx,
                                                        const pb::DeleteAlertRuleRequest* req,
                                                        pb::DeleteAlertRuleResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "DeleteAlertRule", [=, this]() -> absl::Status {
    LLMGW_RETURN_IF_ERROR(NeedOrg(req->organization_id()));
    LLMGW_ASSIGN_OR_RETURN(AlertRule removed,
                           deps_.alerts.DeleteRule(req->organization_id(), req->id()));
    ToProto(removed, std::nullopt, resp->mutable_rule());
    return absl::OkStatus();
  });
}

absl::StatusOr<int64_t> StoredAlertSources::Balance(const std::string& organization_id) {
  return balance_(organization_id);
}

absl::StatusOr<std::vector<ReconciliationRow>> StoredAlertSources::Reconciliation(
    const std::string& organization_id, DayWindow window) {
  return StoredReconciliation(providers_, usage_, organization_id, window);
}

absl::StatusOr<std::vector<BudgetUsage>> StoredAlertSources::Budgets(
    const std::string& organization_id) {
  if (!budgets_) return absl::UnimplementedError("no budget source");
  return budgets_(organization_id);
}

AlertMetrics::AlertMetrics(prometheus::Registry& registry)
    : fired_(prometheus::BuildCounter()
                 .Name("llmgw_metering_alerts_fired_total")
                 .Help("Alerts queued for delivery (once per rule and period)")
                 .Register(registry)
                 .Add({})),
      deliveries_(prometheus::BuildCounter()
                      .Name("llmgw_metering_alert_deliveries_total")
                      .Help("Alert delivery attempts by channel and result")
                      .Register(registry)) {}

void AlertMetrics::Fired(int count) { fired_.Increment(count); }

void AlertMetrics::Delivered(const DeliveryOutcome& o) {
  deliveries_.Add({{"channel", std::string(AlertChannelName(o.channel))}, {"result", o.result}})
      .Increment();
}

}  // namespace llmgw::metering

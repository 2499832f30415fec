#include "services/dashboard/clients/grpc_alerts_client.h"

namespace llmgw::dashboard {
namespace {

namespace pb = ::llmgw::metering::v1;
using Stub = pb::AlertService::Stub;

AlertRule FromProto(const pb::AlertRule& p) {
  AlertRule a;
  a.id = p.id();
  a.kind = p.kind();
  a.threshold_nano = p.threshold_nano();
  a.channel = p.channel();
  a.target = p.target();
  a.created_at_unix_ms = p.created_at_unix_ms();
  if (p.has_last_delivery()) {
    const pb::AlertDelivery& d = p.last_delivery();
    a.last_delivery = AlertDelivery{d.status(),
                                    d.attempts(),
                                    d.last_error(),
                                    d.fired_at_unix_ms(),
                                    d.delivered_at_unix_ms(),
                                    d.next_attempt_at_unix_ms()};
  }
  return a;
}

}  // namespace

GrpcAlertsClient::GrpcAlertsClient(std::shared_ptr<grpc::Channel> channel,
                                   std::string internal_token, std::chrono::milliseconds timeout)
    : stub_(pb::AlertService::NewStub(channel)),
      opts_{std::move(internal_token), timeout, "metering"} {}

absl::StatusOr<CreatedAlert> GrpcAlertsClient::CreateAlert(const std::string& org_id,
                                                           const NewAlertInput& in) {
  pb::CreateAlertRuleRequest req;
  req.set_organization_id(org_id);
  req.set_kind(in.kind);
  req.set_threshold_nano(in.threshold_nano);
  req.set_channel(in.channel);
  req.set_target(in.target);
  pb::CreateAlertRuleResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::CreateAlertRule, opts_, req, &resp);
  if (!s.ok()) return s;
  return CreatedAlert{FromProto(resp.rule()), resp.signing_secret()};
}

absl::StatusOr<std::vector<AlertRule>> GrpcAlertsClient::ListAlerts(const std::string& org_id) {
  pb::ListAlertRulesRequest req;
  req.set_organization_id(org_id);
  pb::ListAlertRulesResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::ListAlertRules, opts_, req, &resp);
  if (!s.ok()) return s;
  std::vector<AlertRule> out;
  for (const pb::AlertRule& r : resp.rules()) out.push_back(FromProto(r));
  return out;
}

absl::StatusOr<AlertRule> GrpcAlertsClient::DeleteAlert(const std::string& org_id,
                                                        const std::string& id) {
  pb::DeleteAlertRuleRequest req;
  req.set_organization_id(org_id);
  req.set_id(id);
  pb::DeleteAlertRuleResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::DeleteAlertRule, opts_, req, &resp);
  if (!s.ok()) return s;
  return FromProto(resp.rule());
}

}  // namespace llmgw::dashboard

#include "services/dashboard/api/alerts_api.h"

#include "services/dashboard/domain/alerts.h"
#include "services/dashboard/domain/requests.h"

namespace llmgw::dashboard {
namespace {

using Reply = AlertsApi::Reply;

Reply Error(absl::Status s, std::string what = "alert") {
  return OrgReply::Error(std::move(s), std::move(what));
}
Reply Ok(int status, Json body) { return Reply{absl::OkStatus(), "", status, std::move(body)}; }

}  // namespace

const std::vector<AlertsApi::Route>& AlertsApi::Routes() {
  static const std::vector<Route> kRoutes = {
      {"GET", "/api/alerts", &AlertsApi::List},
      {"POST", "/api/alerts", &AlertsApi::Create},
      {"DELETE", "/api/alerts", &AlertsApi::Delete},
  };
  return kRoutes;
}

Reply AlertsApi::List(const Request&, const Organization& org) {
  auto list = client_.ListAlerts(org.id);
  if (!list.ok()) return Error(list.status(), "alerts");
  return Ok(200, AlertListJson(*list));
}

// 201 with the rule, and for a webhook its signing secret (shown this once).
Reply AlertsApi::Create(const Request& req, const Organization& org) {
  absl::StatusOr<NewAlertInput> in = ParseAlertBody(req.body);
  if (!in.ok()) return Error(in.status(), "request");
  auto created = client_.CreateAlert(org.id, *in);
  if (!created.ok()) return Error(created.status(), "request");
  Json body = AlertJson(created->rule);
  if (!created->signing_secret.empty()) body["signing_secret"] = created->signing_secret;
  return Ok(201, std::move(body));
}

// 200 with the removed rule; its deliveries go with it.
Reply AlertsApi::Delete(const Request& req, const Organization& org) {
  std::string id = req.has_param("id") ? req.get_param_value("id") : "";
  if (id.empty()) return Error(absl::InvalidArgumentError("id is required"));
  if (!IsUuid(id)) return Error(absl::NotFoundError("alert not found"));
  auto removed = client_.DeleteAlert(org.id, id);
  if (!removed.ok()) return Error(removed.status());
  return Ok(200, AlertJson(*removed));
}

}  // namespace llmgw::dashboard

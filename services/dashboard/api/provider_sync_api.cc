#include "services/dashboard/api/provider_sync_api.h"

#include <optional>

#include "services/dashboard/domain/provider_sync.h"
#include "services/dashboard/domain/requests.h"

namespace llmgw::dashboard {
namespace {

using Reply = ProviderSyncApi::Reply;

Reply Error(absl::Status s, std::string what = "provider connection") {
  return OrgReply::Error(std::move(s), std::move(what));
}
Reply Ok(int status, Json body) { return Reply{absl::OkStatus(), "", status, std::move(body)}; }

std::optional<std::string> Param(const Request& req, const char* name) {
  if (!req.has_param(name)) return std::nullopt;
  return req.get_param_value(name);
}

// `?id=` of a connection: required; anything but a UUID names no connection.
absl::StatusOr<std::string> ConnectionId(const Request& req) {
  std::optional<std::string> id = Param(req, "id");
  if (!id.has_value() || id->empty()) return absl::InvalidArgumentError("id is required");
  if (!IsUuid(*id)) return absl::NotFoundError("provider connection not found");
  return *id;
}

}  // namespace

const std::vector<ProviderSyncApi::Route>& ProviderSyncApi::Routes() {
  static const std::vector<Route> kRoutes = {
      {"GET", "/api/provider-connections", &ProviderSyncApi::List},
      {"POST", "/api/provider-connections", &ProviderSyncApi::Create},
      {"DELETE", "/api/provider-connections", &ProviderSyncApi::Delete},
      {"POST", "/api/provider-connections/sync", &ProviderSyncApi::Sync},
      {"POST", "/api/provider-usage/import", &ProviderSyncApi::Import},
      {"GET", "/api/reconciliation", &ProviderSyncApi::Reconciliation},
  };
  return kRoutes;
}

Reply ProviderSyncApi::List(const Request&, const Organization& org) {
  auto list = client_.ListConnections(org.id);
  if (!list.ok()) return Error(list.status(), "provider connections");
  return Ok(200, ProviderConnectionListJson(*list));
}

// 201 after the provider accepted the key in one check call; 400 with its reason otherwise.
Reply ProviderSyncApi::Create(const Request& req, const Organization& org) {
  absl::StatusOr<NewConnectionInput> in = ParseConnectionBody(req.body);
  if (!in.ok()) return Error(in.status(), "request");
  auto created = client_.CreateConnection(org.id, in->provider, in->admin_key);
  if (!created.ok()) return Error(created.status());
  return Ok(201, ProviderConnectionJson(*created));
}

// 200 with the removed connection; its synced usage is removed with it.
Reply ProviderSyncApi::Delete(const Request& req, const Organization& org) {
  absl::StatusOr<std::string> id = ConnectionId(req);
  if (!id.ok()) return Error(id.status());
  auto removed = client_.DeleteConnection(org.id, *id);
  if (!removed.ok()) return Error(removed.status());
  return Ok(200, ProviderConnectionJson(*removed));
}

// 202: the sync runs now, in the background; the connection's last_sync_at tells when it is done.
Reply ProviderSyncApi::Sync(const Request& req, const Organization& org) {
  absl::StatusOr<std::string> id = ConnectionId(req);
  if (!id.ok()) return Error(id.status());
  auto queued = client_.SyncConnection(org.id, *id);
  if (!queued.ok()) return Error(queued.status());
  return Ok(202, ProviderConnectionJson(*queued));
}

Reply ProviderSyncApi::Import(const Request& req, const Organization& org) {
  if (!IsCsvContentType(req.get_header_value("Content-Type"))) {
    Json body = ErrorJson("the body must be text/csv", "invalid_request_error");
    return Ok(415, std::move(body));
  }
  auto result = client_.ImportCsv(org.id, req.body);
  if (!result.ok()) return Error(result.status(), "request");
  if (result->error_line != 0) return Ok(400, CsvErrorJson(*result));
  Json body;
  body["imported_rows"] = result->imported_rows;
  return Ok(200, std::move(body));
}

Reply ProviderSyncApi::Reconciliation(const Request& req, const Organization& org) {
  absl::StatusOr<DayRange> range =
      ParseDayRange(Param(req, "from"), Param(req, "to"), clock_.NowUnixMs());
  if (!range.ok()) return Error(range.status(), "request");
  auto rows = client_.GetReconciliation(org.id, *range);
  if (!rows.ok()) return Error(rows.status(), "reconciliation");
  return Ok(200, ReconciliationJson(*range, *rows));
}

}  // namespace llmgw::dashboard

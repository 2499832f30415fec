#include "services/dashboard/clients/grpc_provider_sync_client.h"

namespace llmgw::dashboard {
namespace {

namespace pb = ::llmgw::metering::v1;
using Stub = pb::ProviderSyncService::Stub;

ProviderConnection FromProto(const pb::ProviderConnection& p) {
  ProviderConnection c;
  c.id = p.id();
  c.provider = p.provider();
  c.key_prefix = p.key_prefix();
  switch (p.status()) {
    case pb::CONNECTION_STATUS_OK:
      c.status = "ok";
      break;
    case pb::CONNECTION_STATUS_FAILED:
      c.status = "failed";
      break;
    default:
      c.status = "pending";
      break;
  }
  c.last_error = p.last_error();
  c.last_sync_at_unix_ms = p.last_sync_at_unix_ms();
  c.created_at_unix_ms = p.created_at_unix_ms();
  return c;
}

}  // namespace

GrpcProviderSyncClient::GrpcProviderSyncClient(std::shared_ptr<grpc::Channel> channel,
                                               std::string internal_token,
                                               std::chrono::milliseconds timeout,
                                               std::chrono::milliseconds check_timeout)
    : stub_(pb::ProviderSyncService::NewStub(channel)),
      opts_{internal_token, timeout, "metering"},
      check_opts_{std::move(internal_token), std::max(timeout, check_timeout), "metering"} {}

absl::StatusOr<ProviderConnection> GrpcProviderSyncClient::CreateConnection(
    const std::string& org_id, const std::string& provider, const std::string& admin_key) {
  pb::CreateProviderConnectionRequest req;
  req.set_organization_id(org_id);
  req.set_provider(provider);
  req.set_admin_key(admin_key);
  pb::CreateProviderConnectionResponse resp;
  absl::Status s =
      internal::Call(stub_.get(), &Stub::CreateProviderConnection, check_opts_, req, &resp);
  if (!s.ok()) return s;
  return FromProto(resp.connection());
}

absl::StatusOr<std::vector<ProviderConnection>> GrpcProviderSyncClient::ListConnections(
    const std::string& org_id) {
  pb::ListProviderConnectionsRequest req;
  req.set_organization_id(org_id);
  pb::ListProviderConnectionsResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::ListProviderConnections, opts_, req, &resp);
  if (!s.ok()) return s;
  std::vector<ProviderConnection> out;
  for (const pb::ProviderConnection& c : resp.connections()) out.push_back(FromProto(c));
  return out;
}

absl::StatusOr<ProviderConnection> GrpcProviderSyncClient::DeleteConnection(
    const std::string& org_id, const std::string& id) {
  pb::DeleteProviderConnectionRequest req;
  req.set_organization_id(org_id);
  req.set_id(id);
  pb::DeleteProviderConnectionResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::DeleteProviderConnection, opts_, req, &resp);
  if (!s.ok()) return s;
  return FromProto(resp.connection());
}

absl::StatusOr<ProviderConnection> GrpcProviderSyncClient::SyncConnection(const std::string& org_id,
                                                                          const std::string& id) {
  pb::SyncProviderConnectionRequest req;
  req.set_organization_id(org_id);
  req.set_id(id);
  pb::SyncProviderConnectionResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::SyncProviderConnection, opts_, req, &resp);
  if (!s.ok()) return s;
  return FromProto(resp.connection());
}

absl::StatusOr<CsvImportResult> GrpcProviderSyncClient::ImportCsv(const std::string& org_id,
                                                                  const std::string& csv) {
  pb::ImportProviderUsageRequest req;
  req.set_organization_id(org_id);
  req.set_csv(csv);
  pb::ImportProviderUsageResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::ImportProviderUsage, opts_, req, &resp);
  if (!s.ok()) return s;
  return CsvImportResult{resp.imported_rows(), resp.rejected().line(), resp.rejected().message()};
}

absl::StatusOr<std::vector<ReconciliationRow>> GrpcProviderSyncClient::GetReconciliation(
    const std::string& org_id, DayRange range) {
  pb::GetReconciliationRequest req;
  req.set_organization_id(org_id);
  req.set_from_day_unix_ms(range.from_day_ms);
  req.set_to_day_unix_ms(range.to_day_ms);
  pb::GetReconciliationResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::GetReconciliation, opts_, req, &resp);
  if (!s.ok()) return s;
  std::vector<ReconciliationRow> out;
  out.reserve(resp.rows_size());
  for (const pb::ReconciliationRow& p : resp.rows()) {
    ReconciliationRow r;
    r.day_unix_ms = p.day_unix_ms();
    r.provider = p.provider();
    r.model = p.model();
    r.provider_input_tokens = p.provider_input_tokens();
    r.provider_cached_input_tokens = p.provider_cached_input_tokens();
    r.provider_output_tokens = p.provider_output_tokens();
    r.provider_cost_nano = p.provider_cost_nano();
    r.metered_input_tokens = p.metered_input_tokens();
    r.metered_cached_input_tokens = p.metered_cached_input_tokens();
    r.metered_output_tokens = p.metered_output_tokens();
    r.metered_cost_nano = p.metered_cost_nano();
    r.metered_requests = p.metered_requests();
    r.unmetered_input_tokens = p.unmetered_input_tokens();
    r.unmetered_output_tokens = p.unmetered_output_tokens();
    r.unmetered_cost_nano = p.unmetered_cost_nano();
    r.drift_cost_nano = p.drift_cost_nano();
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace llmgw::dashboard

#include "services/metering/api/provider_sync_service.h"

#include "absl/strings/str_cat.h"
#include "libs/common/crypto.h"
#include "libs/common/status_macros.h"
#include "services/metering/domain/provider_csv.h"
#include "services/metering/domain/reconciliation.h"

namespace llmgw::metering {
namespace {

namespace pb = ::llmgw::metering::v1;

void ToProto(const ProviderConnection& c, pb::ProviderConnection* p) {
  p->set_id(c.id);
  p->set_provider(ReportProviderName(c.provider));
  p->set_key_prefix(c.key_prefix);
  switch (c.status) {
    case ConnectionStatus::kPending:
      p->set_status(pb::CONNECTION_STATUS_PENDING);
      break;
    case ConnectionStatus::kOk:
      p->set_status(pb::CONNECTION_STATUS_OK);
      break;
    case ConnectionStatus::kFailed:
      p->set_status(pb::CONNECTION_STATUS_FAILED);
      break;
  }
  p->set_last_error(c.last_error);
  p->set_last_sync_at_unix_ms(c.last_sync_at_unix_ms);
  p->set_created_at_unix_ms(c.created_at_unix_ms);
}

absl::Status NeedOrg(const std::string& org) {
  if (org.empty()) return absl::InvalidArgumentError("organization_id is required");
  return absl::OkStatus();
}

// Messages of a store's NOT_FOUND / ALREADY_EXISTS name no SQLSTATE the caller could not use.
absl::Status Connection404(const absl::Status& s) {
  if (s.code() == absl::StatusCode::kNotFound) {
    return absl::NotFoundError("provider connection not found");
  }
  return s;
}

}  // namespace

absl::StatusOr<std::vector<ReconciliationRow>> StoredReconciliation(ProviderStore& providers,
                                                                    UsageStore& usage,
                                                                    const std::string& org,
                                                                    DayWindow window) {
  LLMGW_ASSIGN_OR_RETURN(auto reported, providers.ReportedUsage(org, window));
  LLMGW_ASSIGN_OR_RETURN(auto synced, providers.Synced(org));
  LLMGW_ASSIGN_OR_RETURN(
      auto metered, usage.Aggregate(org, {window.from_day_ms, window.to_day_ms}, Bucket::kDay));
  return Reconcile(reported, synced, metered, window);
}

absl::StatusOr<ProviderConnection> ProviderSyncService::Create(const std::string& org,
                                                               const std::string& provider_name,
                                                               const std::string& admin_key) {
  LLMGW_RETURN_IF_ERROR(NeedOrg(org));
  LLMGW_ASSIGN_OR_RETURN(ReportProvider provider, ParseReportProvider(provider_name));
  LLMGW_RETURN_IF_ERROR(ValidateAdminKey(admin_key));
  if (deps_.keyring == nullptr) {
    return absl::FailedPreconditionError(
        "provider connections are not enabled: the operator must set LLMGW_SECRET_KEY on the "
        "metering service");
  }
  const std::string sha = crypto::Sha256Hex(admin_key);
  const absl::Status duplicate =
      absl::AlreadyExistsError("this admin key is already connected to this organization");
  LLMGW_ASSIGN_OR_RETURN(bool known, deps_.providers.HasKey(org, sha));
  if (known) return duplicate;
  LLMGW_RETURN_IF_ERROR(deps_.syncer.CheckKey(provider, admin_key));
  NewConnection n;
  n.id = crypto::RandomUuid();
  n.organization_id = org;
  n.provider = provider;
  n.key_prefix = AdminKeyPrefix(admin_key);
  n.key_sha256 = sha;
  n.sealed_key = deps_.keyring->current().Seal(admin_key, ConnectionKeyAad(n.id));
  n.now_unix_ms = deps_.clock.NowUnixMs();
  absl::StatusOr<ProviderConnection> created = deps_.providers.CreateConnection(n);
  if (created.status().code() == absl::StatusCode::kAlreadyExists) return duplicate;
  if (created.ok() && deps_.scheduler != nullptr) deps_.scheduler->Wake();  // the backfill
  return created;
}

grpc::ServerUnaryReactor* ProviderSyncService::CreateProviderConnection(
    grpc::CallbackServerContext* ctx, const pb::CreateProviderConnectionRequest* req,
    pb::CreateProviderConnectionResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "CreateProviderConnection", [=, this]() -> absl::Status {
    LLMGW_ASSIGN_OR_RETURN(ProviderConnection c,
                           Create(req->organization_id(), req->provider(), req->admin_key()));
    ToProto(c, resp->mutable_connection());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ProviderSyncService::ListProviderConnections(
    grpc::CallbackServerContext* ctx, const pb::ListProviderConnectionsRequest* req,
    pb::ListProviderConnectionsResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "ListProviderConnections", [=, this]() -> absl::Status {
    LLMGW_RETURN_IF_ERROR(NeedOrg(req->organization_id()));
    LLMGW_ASSIGN_OR_RETURN(auto list, deps_.providers.ListConnections(req->organization_id()));
    for (const ProviderConnection& c : list) ToProto(c, resp->add_connections());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ProviderSyncService::DeleteProviderConnection(
    grpc::CallbackServerContext* ctx, const pb::DeleteProviderConnectionRequest* req,
    pb::DeleteProviderConnectionResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "DeleteProviderConnection", [=, this]() -> absl::Status {
    LLMGW_RETURN_IF_ERROR(NeedOrg(req->organization_id()));
    absl::StatusOr<ProviderConnection> c =
        deps_.providers.DeleteConnection(req->organization_id(), req->id());
    if (!c.ok()) return Connection404(c.status());
    ToProto(*c, resp->mutable_connection());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ProviderSyncService::SyncProviderConnection(
    grpc::CallbackServerContext* ctx, const pb::SyncProviderConnectionRequest* req,
    pb::SyncProviderConnectionResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "SyncProviderConnection", [=, this]() -> absl::Status {
    LLMGW_RETURN_IF_ERROR(NeedOrg(req->organization_id()));
    absl::StatusOr<ProviderConnection> c =
        deps_.providers.GetConnection(req->organization_id(), req->id());
    if (!c.ok()) return Connection404(c.status());
    if (!deps_.syncer.configured()) {
      return absl::FailedPreconditionError(
          "provider connections cannot sync: the operator must set LLMGW_SECRET_KEY on the "
          "metering service");
    }
    if (deps_.scheduler != nullptr) deps_.scheduler->RequestSync(c->id);
    ToProto(*c, resp->mutable_connection());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ProviderSyncService::ImportProviderUsage(
    grpc::CallbackServerContext* ctx, const pb::ImportProviderUsageRequest* req,
    pb::ImportProviderUsageResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "ImportProviderUsage", [=, this]() -> absl::Status {
    LLMGW_RETURN_IF_ERROR(NeedOrg(req->organization_id()));
    CsvParseResult parsed = ParseProviderUsageCsv(req->csv());
    if (!parsed.ok()) {
      resp->mutable_rejected()->set_line(parsed.error_line);
      resp->mutable_rejected()->set_message(parsed.error);
      return absl::OkStatus();
    }
    LLMGW_RETURN_IF_ERROR(deps_.providers.ImportCsv(req->organization_id(), parsed.rows));
    resp->set_imported_rows(static_cast<int32_t>(parsed.rows.size()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ProviderSyncService::GetReconciliation(
    grpc::CallbackServerContext* ctx, const pb::GetReconciliationRequest* req,
    pb::GetReconciliationResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "GetReconciliation", [=, this]() -> absl::Status {
    const std::string& org = req->organization_id();
    LLMGW_RETURN_IF_ERROR(NeedOrg(org));
    DayWindow window{req->from_day_unix_ms(), req->to_day_unix_ms()};
    if (DayOf(window.from_day_ms) != window.from_day_ms ||
        DayOf(window.to_day_ms) != window.to_day_ms || window.from_day_ms < 0 ||
        window.to_day_ms > DayOf(kMaxUnixMs)) {
      return absl::InvalidArgumentError("the range must be whole UTC days");
    }
    if (window.days() < 1 || window.days() > kMaxReconciliationDays) {
      return absl::InvalidArgumentError(
          absl::StrCat("the range must be 1 to ", kMaxReconciliationDays, " days"));
    }
    LLMGW_ASSIGN_OR_RETURN(auto rows,
                           StoredReconciliation(deps_.providers, deps_.usage, org, window));
    for (const ReconciliationRow& r : rows) {
      pb::ReconciliationRow* out = resp->add_rows();
      out->set_day_unix_ms(r.day_unix_ms);
      out->set_provider(r.provider);
      out->set_model(r.model);
      out->set_provider_input_tokens(r.provider_tokens.input);
      out->set_provider_cached_input_tokens(r.provider_tokens.cached_input);
      out->set_provider_output_tokens(r.provider_tokens.output);
      out->set_provider_cost_nano(r.provider_cost_nano);
      out->set_metered_input_tokens(r.metered_tokens.input);
      out->set_metered_cached_input_tokens(r.metered_tokens.cached_input);
      out->set_metered_output_tokens(r.metered_tokens.output);
      out->set_metered_cost_nano(r.metered_cost_nano);
      out->set_metered_requests(r.metered_tokens.requests);
      out->set_unmetered_input_tokens(r.unmetered_input_tokens);
      out->set_unmetered_output_tokens(r.unmetered_output_tokens);
      out->set_unmetered_cost_nano(r.unmetered_cost_nano);
      out->set_drift_cost_nano(r.drift_cost_nano);
    }
    return absl::OkStatus();
  });
}

}  // namespace llmgw::metering

#include "services/dashboard/api/audit_api.h"

#include <charconv>

#include "libs/common/log.h"
#include "services/dashboard/domain/audit.h"
#include "services/dashboard/domain/requests.h"

namespace llmgw::dashboard {

void AuditApi::RecordIfAudited(const Endpoint& endpoint, const Request& req,
                               const Response& res, const Session& session) {
  if (endpoint.audit_action == nullptr || res.status < 200 || res.status >= 300) return;
  std::string id = req.has_param("id") ? req.get_param_value("id") : "";
  std::string request_body = endpoint.accepts_csv ? "" : req.body;  // a CSV file is not kept
  AuditRecord record = BuildAuditRecord(endpoint.audit_action, session, id, request_body, res.body);
  if (absl::Status s = accounts_.RecordAudit(record); !s.ok()) {
    log::Error(
        "audit entry not recorded",
        {{"action", record.action}, {"org", record.org_id}, {"error", std::string(s.message())}});
  }
}

std::pair<int, Json> AuditApi::List(const Request& req, const Session& session) {
  std::optional<std::string> limit_param;
  if (req.has_param("limit")) limit_param = req.get_param_value("limit");
  absl::StatusOr<int32_t> limit = ParseLimit(limit_param);
  if (!limit.ok())
    return {400, ErrorJson(std::string(limit.status().message()), "invalid_request_error")};
  int64_t before = 0;
  if (req.has_param("before")) {
    std::string b = req.get_param_value("before");
    auto [end, ec] = std::from_chars(b.data(), b.data() + b.size(), before);
    if (ec != std::errc() || end != b.data() + b.size() || before < 1) {
      return {400,
              ErrorJson("before must be an entry id from next_before", "invalid_request_error")};
    }
  }
  auto records = accounts_.ListAudit(session.org.id, *limit, before);
  if (!records.ok()) {
    return {records.status().code() == absl::StatusCode::kUnavailable ? 503 : 500,
            ErrorJson("the audit log is unavailable; retry shortly", "service_unavailable")};
  }
  return {200, AuditListJson(*records, static_cast<size_t>(*limit))};
}

}  // namespace llmgw::dashboard

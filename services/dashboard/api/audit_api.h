#pragma once
// The audit log on the management API: records every successful audited call (one place, called
// by DashboardApi's session route after the handler ran) and serves GET /api/audit.

#include "services/dashboard/api/http_exchange.h"

#include <utility>

#include "services/dashboard/clients/accounts_client.h"
#include "services/dashboard/domain/json_shapes.h"
#include "services/dashboard/domain/permissions.h"
#include "services/dashboard/domain/types.h"

namespace llmgw::dashboard {

class AuditApi {
 public:
  explicit AuditApi(AccountsClient& accounts) : accounts_(accounts) {}

  // Writes the entry when `endpoint` is audited and `res` is a success. A failure to record is
  // logged; the call it describes has already happened.
  void RecordIfAudited(const Endpoint& endpoint, const Request& req,
                       const Response& res, const Session& session);

  // GET /api/audit?limit=&before=: status and body.
  std::pair<int, Json> List(const Request& req, const Session& session);

 private:
  AccountsClient& accounts_;
};

}  // namespace llmgw::dashboard

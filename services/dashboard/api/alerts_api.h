#pragma once
// The alerts endpoints of the management API (API.md `GET/POST/DELETE /api/alerts`). Each
// handler turns a request of the session's organization into a Reply; DashboardApi routes them
// behind the session and permission checks and writes the reply.

#include "services/dashboard/api/http_exchange.h"
#include "services/dashboard/api/org_api.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "services/dashboard/clients/alerts_client.h"
#include "services/dashboard/domain/json_shapes.h"
#include "services/dashboard/domain/types.h"

namespace llmgw::dashboard {

class AlertsApi {
 public:
  using Reply = OrgReply;
  using Route = OrgRoute<AlertsApi>;
  static const std::vector<Route>& Routes();

  explicit AlertsApi(AlertsClient& client) : client_(client) {}

  Reply List(const Request& req, const Organization& org);
  Reply Create(const Request& req, const Organization& org);
  Reply Delete(const Request& req, const Organization& org);

 private:
  AlertsClient& client_;
};

}  // namespace llmgw::dashboard

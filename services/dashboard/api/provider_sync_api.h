#pragma once
// The provider bills endpoints of the management API (API.md): provider connections, sync now,
// CSV import and the reconciliation. Each handler turns a request of the session's organization
// into a Reply; DashboardApi routes them behind the session check and writes the reply.

#include "services/dashboard/api/http_exchange.h"
#include "services/dashboard/api/org_api.h"

#include <string>

#include "absl/status/status.h"
#include "libs/common/clock.h"
#include "services/dashboard/clients/provider_sync_client.h"
#include "services/dashboard/domain/json_shapes.h"
#include "services/dashboard/domain/types.h"

namespace llmgw::dashboard {

class ProviderSyncApi {
 public:
  using Reply = OrgReply;
  using Route = OrgRoute<ProviderSyncApi>;
  static const std::vector<Route>& Routes();

  ProviderSyncApi(ProviderSyncClient& client, const Clock& clock)
      : client_(client), clock_(clock) {}

  Reply List(const Request& req, const Organization& org);
  Reply Create(const Request& req, const Organization& org);
  Reply Delete(const Request& req, const Organization& org);
  Reply Sync(const Request& req, const Organization& org);
  Reply Import(const Request& req, const Organization& org);
  Reply Reconciliation(const Request& req, const Organization& org);

 private:
  ProviderSyncClient& client_;
  const Clock& clock_;
};

}  // namespace llmgw::dashboard

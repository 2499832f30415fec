#pragma once
// The controls endpoints of the management API (issue 16, API.md): PATCH /api/tokens?id= and
// PATCH /api/keys?id= set a credential's rate limits and budgets, GET/PUT /api/org/limits the
// organization's; each answer carries `limits` and the current `usage`. DashboardApi routes them
// behind the session and permission checks and writes the reply; token and key lists get the
// same two objects through WithUsage.

#include "services/dashboard/api/http_exchange.h"
#include "services/dashboard/api/org_api.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "libs/common/clock.h"
#include "services/dashboard/clients/accounts_client.h"
#include "services/dashboard/clients/billing_client.h"
#include "services/dashboard/clients/metering_client.h"
#include "services/dashboard/domain/json_shapes.h"
#include "services/dashboard/domain/types.h"

namespace llmgw::dashboard {

class LimitsApi {
 public:
  using Reply = OrgReply;
  using Route = OrgRoute<LimitsApi>;
  static const std::vector<Route>& Routes();

  LimitsApi(AccountsClient& accounts, BillingClient& billing, MeteringClient& metering,
            const Clock& clock)
      : accounts_(accounts), billing_(billing), metering_(metering), clock_(clock) {}

  Reply PatchToken(const Request& req, const Organization& org);
  Reply PatchKey(const Request& req, const Organization& org);
  Reply GetOrgLimits(const Request& req, const Organization& org);
  Reply PutOrgLimits(const Request& req, const Organization& org);

  // `list` ({<field>:[credential…]}) with each credential's `usage` added. Usage that cannot be
  // read (billing or metering down) is left out rather than failing the list.
  Json WithUsage(const Organization& org, Json list, const std::string& field);

 private:
  Reply PatchCredential(const Request& req, const Organization& org, bool api_key);
  // The usage of a credential ("cred:<id>") or of the organization ("org").
  QuotaUsage UsageOf(const Organization& org, const std::string& credential_id,
                     const std::vector<BudgetSpend>& budgets);

  AccountsClient& accounts_;
  BillingClient& billing_;
  MeteringClient& metering_;
  const Clock& clock_;
};

}  // namespace llmgw::dashboard

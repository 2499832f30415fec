#pragma once
// The members endpoints of the management API (API.md): list, invite, change a role, remove,
// accept an invitation, switch organization. Each handler turns a request into a Reply;
// DashboardApi routes them (behind the session and permission check where `needs_session`) and
// writes the reply, setting the session cookie when it carries a login.

#include "services/dashboard/api/http_exchange.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "services/dashboard/clients/accounts_client.h"
#include "services/dashboard/domain/json_shapes.h"
#include "services/dashboard/domain/types.h"

namespace llmgw::dashboard {

class TeamApi {
 public:
  // Either `error` (rendered like every API error, `what` naming the thing not found), a
  // `login` (200 with the session cookie), or `status` with `body`.
  struct Reply {
    absl::Status error;
    std::string what;
    int status = 200;
    Json body;
    std::optional<LoginResult> login;
  };
  using Handler = Reply (TeamApi::*)(const Request&, const Session&);
  struct Route {
    const char* method;
    const char* pattern;
    Handler handler;
    bool needs_session = true;
  };
  static const std::vector<Route>& Routes();

  // `public_dashboard_url`: the base of invite links ("" → the request's Host, https when
  // `https`).
  TeamApi(AccountsClient& accounts, std::string public_dashboard_url, bool https)
      : accounts_(accounts),
        public_dashboard_url_(std::move(public_dashboard_url)),
        https_(https) {}

  Reply ListMembers(const Request& req, const Session& session);
  Reply Invite(const Request& req, const Session& session);
  Reply ChangeRole(const Request& req, const Session& session);
  Reply Remove(const Request& req, const Session& session);
  Reply SwitchOrg(const Request& req, const Session& session);
  Reply AcceptInvite(const Request& req, const Session& no_session);

 private:
  std::string DashboardBase(const Request& req) const;

  AccountsClient& accounts_;
  std::string public_dashboard_url_;
  bool https_;
};

}  // namespace llmgw::dashboard

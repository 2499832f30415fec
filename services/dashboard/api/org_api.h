#pragma once
// The shape shared by the management API's feature handlers that act on the session's
// organization (provider bills, limits, alerts): each handler turns a request into an OrgReply,
// and DashboardApi routes an OrgRoutes table behind the session and permission checks and writes
// the reply like every other route.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "services/dashboard/api/http_exchange.h"
#include "services/dashboard/domain/json_shapes.h"
#include "services/dashboard/domain/types.h"

namespace llmgw::dashboard {

// Either `error` (rendered like every API error, `what` naming the thing not found) or `status`
// with `body`.
struct OrgReply {
  absl::Status error;
  std::string what;
  int status = 200;
  Json body;

  static OrgReply Error(absl::Status s, std::string what) {
    return OrgReply{std::move(s), std::move(what), 0, nullptr};
  }
  static OrgReply Ok(int status, Json body) {
    return OrgReply{absl::OkStatus(), "", status, std::move(body)};
  }
};

// One route of a handler class `Api`.
template <typename Api>
struct OrgRoute {
  const char* method;
  const char* pattern;
  OrgReply (Api::*handler)(const Request&, const Organization&);
};

}  // namespace llmgw::dashboard

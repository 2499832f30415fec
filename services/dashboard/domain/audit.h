#pragma once
// The audit log's entries as the dashboard builds them (README "Audit log"): every successful
// state-changing management call with an `audit_action` in domain/permissions.cc becomes one
// entry: the acting user, the action, the target (the `?id=` it acted on, else the id or e-mail
// in the answer) and details {request, before, after} with every secret removed.

#include <string>
#include <string_view>
#include <vector>

#include "services/dashboard/domain/json_shapes.h"
#include "services/dashboard/domain/types.h"

namespace llmgw::dashboard {

// Member names whose values are secrets (shown once, or sent by the user), removed at any depth.
bool IsSecretField(std::string_view name);
// `j` without any secret member (objects and arrays, recursively).
Json WithoutSecrets(Json j);

// The entry of a successful call. `id_param` is the `?id=` ("" when absent); `request_body` the
// JSON request (anything else is left out); `response_body` the JSON answer.
AuditRecord BuildAuditRecord(std::string_view action, const Session& session,
                             std::string_view id_param, std::string_view request_body,
                             std::string_view response_body);

// GET /api/audit: {items:[{id,at,actor_email,action,target,details}], next_before}.
Json AuditListJson(const std::vector<AuditRecord>& records, size_t limit);

}  // namespace llmgw::dashboard

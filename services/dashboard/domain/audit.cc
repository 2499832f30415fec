#include "services/dashboard/domain/audit.h"

#include "services/dashboard/domain/rfc3339.h"

namespace llmgw::dashboard {
namespace {

Json ParseJsonOrNull(std::string_view text) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) return nullptr;
  return j;
}

}  // namespace

bool IsSecretField(std::string_view name) {
  static constexpr std::string_view kSecrets[] = {"token",    "key",           "admin_key",
                                                  "password", "session_token", "signing_secret",
                                                  "secret",   "invite_url",    "target"};
  for (std::string_view s : kSecrets) {
    if (name == s) return true;
  }
  return false;
}

Json WithoutSecrets(Json j) {
  if (j.is_object()) {
    Json out = Json::object();
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (!IsSecretField(it.key())) out[it.key()] = WithoutSecrets(it.value());
    }
    return out;
  }
  if (j.is_array()) {
    Json out = Json::array();
    for (Json& v : j) out.push_back(WithoutSecrets(std::move(v)));
    return out;
  }
  return j;
}

AuditRecord BuildAuditRecord(std::string_view action, const Session& session,
                             std::string_view id_param, std::string_view request_body,
                             std::string_view response_body) {
  Json request = WithoutSecrets(ParseJsonOrNull(request_body));
  Json after = WithoutSecrets(ParseJsonOrNull(response_body));
  Json before = nullptr;
  // A role change answers the role it replaced.
  if (after.is_object() && after.contains("previous_role")) {
    before = Json{{"role", after["previous_role"]}};
    after.erase("previous_role");
  }
  std::string target(id_param);
  for (const char* field : {"id", "email"}) {
    if (!target.empty()) break;
    if (after.is_object() && after.contains(field) && after[field].is_string()) {
      target = after[field].get<std::string>();
    }
  }
  Json details = Json::object();
  if (!request.is_null()) details["request"] = std::move(request);
  if (!before.is_null()) details["before"] = std::move(before);
  if (!after.is_null()) details["after"] = std::move(after);
  AuditRecord r;
  r.org_id = session.org.id;
  r.actor_user_id = session.user.id;
  r.actor_email = session.user.email;
  r.action = std::string(action);
  r.target = std::move(target);
  r.details_json = details.dump();
  return r;
}

Json AuditListJson(const std::vector<AuditRecord>& records, size_t limit) {
  Json items = Json::array();
  for (const AuditRecord& r : records) {
    Json details = ParseJsonOrNull(r.details_json);
    items.push_back(Json{{"id", std::to_string(r.id)},
                         {"at", FormatRfc3339(r.at_unix_ms)},
                         {"actor_email", r.actor_email},
                         {"action", r.action},
                         {"target", r.target},
                         {"details", details.is_null() ? Json::object() : details}});
  }
  Json j;
  j["items"] = std::move(items);
  j["next_before"] = records.size() == limit && !records.empty()
                         ? Json(std::to_string(records.back().id))
                         : Json(nullptr);
  return j;
}

}  // namespace llmgw::dashboard

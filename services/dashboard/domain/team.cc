#include "services/dashboard/domain/team.h"

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace llmgw::dashboard {
namespace {

using json = nlohmann::json;

absl::StatusOr<json> ParseObject(std::string_view body) {
  json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("request body must be a JSON object");
  }
  return j;
}

// A string member; `required`: absent or empty is an error.
absl::StatusOr<std::string> StringField(const json& j, const char* name, bool required) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) {
    if (required) return absl::InvalidArgumentError(absl::StrCat(name, " is required"));
    return std::string();
  }
  if (!it->is_string()) return absl::InvalidArgumentError(absl::StrCat(name, " must be a string"));
  std::string value = it->get<std::string>();
  if (required && value.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(name, " is required"));
  }
  return value;
}

absl::StatusOr<Role> RoleField(const json& j) {
  absl::StatusOr<std::string> name = StringField(j, "role", true);
  if (!name.ok()) return name.status();
  std::optional<Role> role = ParseRole(*name);
  if (!role) return absl::InvalidArgumentError("role must be owner, admin, member or viewer");
  return *role;
}

}  // namespace

absl::StatusOr<InviteInput> ParseInviteBody(std::string_view body) {
  absl::StatusOr<json> j = ParseObject(body);
  if (!j.ok()) return j.status();
  absl::StatusOr<std::string> email = StringField(*j, "email", true);
  if (!email.ok()) return email.status();
  absl::StatusOr<Role> role = RoleField(*j);
  if (!role.ok()) return role.status();
  return InviteInput{*std::move(email), *role};
}

absl::StatusOr<Role> ParseRoleBody(std::string_view body) {
  absl::StatusOr<json> j = ParseObject(body);
  if (!j.ok()) return j.status();
  return RoleField(*j);
}

absl::StatusOr<AcceptInviteInput> ParseAcceptInviteBody(std::string_view body) {
  absl::StatusOr<json> j = ParseObject(body);
  if (!j.ok()) return j.status();
  AcceptInviteInput in;
  for (auto [name, out, required] :
       {std::tuple<const char*, std::string*, bool>{"token", &in.token, true},
        {"name", &in.name, false},
        {"password", &in.password, true}}) {
    absl::StatusOr<std::string> v = StringField(*j, name, required);
    if (!v.ok()) return v.status();
    *out = *std::move(v);
  }
  return in;
}

absl::StatusOr<std::string> ParseSwitchOrgBody(std::string_view body) {
  absl::StatusOr<json> j = ParseObject(body);
  if (!j.ok()) return j.status();
  return StringField(*j, "org_id", true);
}

std::string InviteUrl(std::string_view base, std::string_view token) {
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  return std::string(base) + "/#/accept-invite?token=" + std::string(token);
}

}  // namespace llmgw::dashboard

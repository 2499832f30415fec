#pragma once
// Request bodies of the members endpoints (API.md): invite `{email, role}`, role change
// `{role}`, accept-invite `{token, name, password}`, switch organization `{org_id}`, and the
// invite link. Errors are InvalidArgument with a message safe to show.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "services/dashboard/domain/permissions.h"

namespace llmgw::dashboard {

struct InviteInput {
  std::string email;
  Role role = Role::kViewer;
};
absl::StatusOr<InviteInput> ParseInviteBody(std::string_view body);

// `{role}`: one of owner, admin, member, viewer.
absl::StatusOr<Role> ParseRoleBody(std::string_view body);

struct AcceptInviteInput {
  std::string token;
  std::string name;  // may be empty for a user who already has an account
  std::string password;
};
absl::StatusOr<AcceptInviteInput> ParseAcceptInviteBody(std::string_view body);

// `{org_id}`.
absl::StatusOr<std::string> ParseSwitchOrgBody(std::string_view body);

// `{base}/#/accept-invite?token=…`: `base` without a trailing slash.
std::string InviteUrl(std::string_view base, std::string_view token);

}  // namespace llmgw::dashboard

#pragma once
// Roles and permissions of the management API, decided in one place (API.md, README "Members and
// roles"): every route of the dashboard is in ManagementEndpoints() with the permission it needs,
// DashboardApi refuses to register a route missing from it, and the session's role either has
// that permission or the request is answered 403 before any handler runs. GET /api/config hands
// the role's permission names to the web UI, which hides what the role may not do.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmgw::dashboard {

enum class Role { kOwner, kAdmin, kMember, kViewer };

std::string_view RoleName(Role role);
std::optional<Role> ParseRole(std::string_view name);

enum class Permission {
  kSignedIn,            // any member: logout, config, switching organization
  kRead,                // usage, balance, credentials, limits, connections, alerts, members
  kUseOwnCredentials,   // create tokens and keys, revoke one's own; the playground
  kManageCredentials,   // revoke anyone's tokens and keys
  kManageSettings,      // limits, budgets, alerts, provider connections, usage import
  kManageMembers,       // invite, change roles of and remove non-owners
  kReadAudit,           // GET /api/audit
  kManageOwners,        // invite, promote, demote and remove owners
  kTopUp,               // POST /api/balance/charge (where LLMGW_SELF_TOPUP is on)
  kDeleteOrganization,  // reserved: no endpoint yet
};

std::string_view PermissionName(Permission p);
bool RoleHas(Role role, Permission p);
// The names of every permission `role` has, in declaration order (for the UI).
std::vector<std::string> PermissionNames(Role role);

struct Endpoint {
  const char* method;
  const char* pattern;  // the route pattern as registered
  Permission permission;
  // The audit log's name for a successful call (nullptr: not audited, e.g. reads, logout).
  const char* audit_action = nullptr;
  bool accepts_csv = false;  // the only body that need not be JSON
};

// Every authenticated management route. Register, login and accept-invite are not in it: they
// run without a session.
const std::vector<Endpoint>& ManagementEndpoints();
// nullptr when (method, pattern) is not a management route.
const Endpoint* FindEndpoint(std::string_view method, std::string_view pattern);

}  // namespace llmgw::dashboard

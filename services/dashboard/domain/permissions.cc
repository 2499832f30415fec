#include "services/dashboard/domain/permissions.h"

namespace llmgw::dashboard {
namespace {

constexpr Permission kAllPermissions[] = {
    Permission::kSignedIn,           Permission::kRead,           Permission::kUseOwnCredentials,
    Permission::kManageCredentials,  Permission::kManageSettings, Permission::kManageMembers,
    Permission::kReadAudit,          Permission::kManageOwners,   Permission::kTopUp,
    Permission::kDeleteOrganization,
};

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kOwner:
      return "owner";
    case Role::kAdmin:
      return "admin";
    case Role::kMember:
      return "member";
    case Role::kViewer:
      return "viewer";
  }
  return "viewer";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (Role r : {Role::kOwner, Role::kAdmin, Role::kMember, Role::kViewer}) {
    if (RoleName(r) == name) return r;
  }
  return std::nullopt;
}

std::string_view PermissionName(Permission p) {
  switch (p) {
    case Permission::kSignedIn:
      return "signed_in";
    case Permission::kRead:
      return "read";
    case Permission::kUseOwnCredentials:
      return "use_own_credentials";
    case Permission::kManageCredentials:
      return "manage_credentials";
    case Permission::kManageSettings:
      return "manage_settings";
    case Permission::kManageMembers:
      return "manage_members";
    case Permission::kReadAudit:
      return "read_audit";
    case Permission::kManageOwners:
      return "manage_owners";
    case Permission::kTopUp:
      return "top_up";
    case Permission::kDeleteOrganization:
      return "delete_organization";
  }
  return "";
}

// The role ladder: each role has what the one below it has, plus its own.
bool RoleHas(Role role, Permission p) {
  switch (p) {
    case Permission::kSignedIn:
    case Permission::kRead:
      return true;
    case Permission::kUseOwnCredentials:
      return role != Role::kViewer;
    case Permission::kManageCredentials:
    case Permission::kManageSettings:
    case Permission::kManageMembers:
    case Permission::kReadAudit:
      return role == Role::kOwner || role == Role::kAdmin;
    case Permission::kManageOwners:
    case Permission::kTopUp:
    case Permission::kDeleteOrganization:
      return role == Role::kOwner;
  }
  return false;
}

std::vector<std::string> PermissionNames(Role role) {
  std::vector<std::string> out;
  for (Permission p : kAllPermissions) {
    if (RoleHas(role, p)) out.emplace_back(PermissionName(p));
  }
  return out;
}

const std::vector<Endpoint>& ManagementEndpoints() {
  using P = Permission;
  static const std::vector<Endpoint> kEndpoints = {
      {"POST", "/api/auth/logout", P::kSignedIn},
      {"POST", "/api/auth/switch-org", P::kSignedIn},
      {"GET", "/api/config", P::kSignedIn},

      {"GET", "/api/tokens", P::kRead},
      {"POST", "/api/tokens", P::kUseOwnCredentials, "monitor_token.create"},
      {"DELETE", "/api/tokens", P::kUseOwnCredentials,
       "monitor_token.revoke"},  // others' tokens: kManageCredentials
      {"GET", "/api/keys", P::kRead},
      {"POST", "/api/keys", P::kUseOwnCredentials, "api_key.create"},
      {"DELETE", "/api/keys", P::kUseOwnCredentials,
       "api_key.revoke"},  // others' keys: kManageCredentials
      // Controls (issue 16): rate limits and budgets are the admins'.
      {"PATCH", "/api/tokens", P::kManageSettings, "monitor_token.limits_change"},
      {"PATCH", "/api/keys", P::kManageSettings, "api_key.limits_change"},
      {"GET", "/api/org/limits", P::kRead},
      {"PUT", "/api/org/limits", P::kManageSettings, "org.limits_change"},

      {"GET", "/api/balance", P::kRead},
      {"POST", "/api/balance/charge", P::kTopUp, "balance.top_up"},
      {"GET", "/api/balance/transactions", P::kRead},

      {"GET", "/api/stats/summary", P::kRead},
      {"GET", "/api/stats/by-model", P::kRead},
      {"GET", "/api/stats/by-provider", P::kRead},
      {"GET", "/api/stats/timeseries", P::kRead},
      {"GET", "/api/usage", P::kRead},

      {"GET", "/api/provider-connections", P::kRead},
      {"POST", "/api/provider-connections", P::kManageSettings, "provider_connection.create"},
      {"DELETE", "/api/provider-connections", P::kManageSettings, "provider_connection.delete"},
      {"POST", "/api/provider-connections/sync", P::kManageSettings, "provider_connection.sync"},
      {"POST", "/api/provider-usage/import", P::kManageSettings, "provider_usage.import",
       /*accepts_csv=*/true},
      {"GET", "/api/reconciliation", P::kRead},

      {"GET", "/api/alerts", P::kRead},
      {"POST", "/api/alerts", P::kManageSettings, "alert.create"},
      {"DELETE", "/api/alerts", P::kManageSettings, "alert.delete"},

      {"GET", "/api/members", P::kRead},
      {"POST", "/api/members/invite", P::kManageMembers, "member.invite"},  // owner: kManageOwners
      {"PATCH", "/api/members", P::kManageMembers, "member.role_change"},   // owners: kManageOwners
      {"DELETE", "/api/members", P::kManageMembers, "member.remove"},  // an owner: kManageOwners
      {"GET", "/api/audit", P::kReadAudit},
  };
  return kEndpoints;
}

const Endpoint* FindEndpoint(std::string_view method, std::string_view pattern) {
  for (const Endpoint& e : ManagementEndpoints()) {
    if (e.method == method && e.pattern == pattern) return &e;
  }
  return nullptr;
}

}  // namespace llmgw::dashboard

#include "services/accounts/domain/membership_rules.h"

namespace llmgw::accounts {

absl::Status CheckMembershipChange(std::optional<Role> actor, const Member& target,
                                   std::optional<Role> new_role, int owner_count) {
  if (!actor.has_value() || !IsAdminOrOwner(*actor)) {
    return absl::PermissionDeniedError("only admins and owners manage members");
  }
  const bool touches_owner = target.role == Role::kOwner || new_role == Role::kOwner;
  if (touches_owner && *actor != Role::kOwner) {
    return absl::PermissionDeniedError("only owners manage owners");
  }
  const bool loses_owner = target.role == Role::kOwner && new_role != Role::kOwner;
  if (loses_owner && owner_count <= 1) return absl::FailedPreconditionError(kLastOwnerMessage);
  return absl::OkStatus();
}

absl::Status CheckInvitation(std::optional<Role> actor, Role invited) {
  if (!actor.has_value() || !IsAdminOrOwner(*actor)) {
    return absl::PermissionDeniedError("only admins and owners invite members");
  }
  if (invited == Role::kOwner && *actor != Role::kOwner) {
    return absl::PermissionDeniedError("only owners invite owners");
  }
  return absl::OkStatus();
}

}  // namespace llmgw::accounts

#pragma once
// Who may change whose membership (README "Members and roles"). Admins and owners manage
// members; only owners touch owners (invite one, promote to or demote from owner, remove one);
// the last owner can neither leave nor be demoted. Errors: PermissionDenied (the actor's role
// does not allow it), FailedPrecondition (the last owner).

#include <optional>

#include "absl/status/status.h"
#include "services/accounts/domain/types.h"

namespace llmgw::accounts {

inline constexpr char kLastOwnerMessage[] =
    "the last owner cannot leave or be demoted; make another member owner first";

// `new_role` empty: removal (leaving, when the actor is the target). `actor` empty: the actor
// is not a member of the organization.
absl::Status CheckMembershipChange(std::optional<Role> actor, const Member& target,
                                   std::optional<Role> new_role, int owner_count);

// Inviting `invited` into an organization where the actor has role `actor`.
absl::Status CheckInvitation(std::optional<Role> actor, Role invited);

}  // namespace llmgw::accounts

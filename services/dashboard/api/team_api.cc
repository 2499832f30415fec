#include "services/dashboard/api/team_api.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/dashboard/api/dashboard_api.h"
#include "services/dashboard/domain/requests.h"
#include "services/dashboard/domain/rfc3339.h"
#include "services/dashboard/domain/team.h"

namespace llmgw::dashboard {
namespace {

using Reply = TeamApi::Reply;

Reply Error(absl::Status s, std::string what = "member") {
  return Reply{std::move(s), std::move(what), 0, nullptr, std::nullopt};
}
Reply Ok(int status, Json body) {
  return Reply{absl::OkStatus(), "", status, std::move(body), std::nullopt};
}

// `?id=` of a member (a user id): required; anything but a UUID names no member.
absl::StatusOr<std::string> MemberId(const Request& req) {
  if (!req.has_param("id") || req.get_param_value("id").empty()) {
    return absl::InvalidArgumentError("id is required");
  }
  std::string id = req.get_param_value("id");
  if (!IsUuid(id)) return absl::NotFoundError("member not found");
  return id;
}

// The member after a change, with the role it had before.
Json ChangedMemberJson(const MemberChange& change) {
  Member after = change.before;
  Json j = MemberJson(after);
  if (change.after.has_value()) j["role"] = std::string(RoleName(*change.after));
  j["previous_role"] = std::string(RoleName(change.before.role));
  j["removed"] = !change.after.has_value();
  return j;
}

}  // namespace

const std::vector<TeamApi::Route>& TeamApi::Routes() {
  static const std::vector<Route> kRoutes = {
      {"GET", "/api/members", &TeamApi::ListMembers},
      {"POST", "/api/members/invite", &TeamApi::Invite},
      {"PATCH", "/api/members", &TeamApi::ChangeRole},
      {"DELETE", "/api/members", &TeamApi::Remove},
      {"POST", "/api/auth/switch-org", &TeamApi::SwitchOrg},
      {"POST", "/api/auth/accept-invite", &TeamApi::AcceptInvite, /*needs_session=*/false},
  };
  return kRoutes;
}

std::string TeamApi::DashboardBase(const Request& req) const {
  if (!public_dashboard_url_.empty()) return public_dashboard_url_;
  std::string host = req.get_header_value("Host");
  for (char c : host) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':' &&
        c != '[' && c != ']') {
      host = "localhost:3000";
      break;
    }
  }
  if (host.empty()) host = "localhost:3000";
  return absl::StrCat(https_ ? "https://" : "http://", host);
}

Reply TeamApi::ListMembers(const Request&, const Session& session) {
  auto members = accounts_.ListMembers(session.org.id);
  if (!members.ok()) return Error(members.status(), "members");
  return Ok(200, MembersJson(*members));
}

// 201 {invite_url, email, role, expires_at}: the link carries the token, shown this once.
Reply TeamApi::Invite(const Request& req, const Session& session) {
  absl::StatusOr<InviteInput> in = ParseInviteBody(req.body);
  if (!in.ok()) return Error(in.status(), "request");
  auto invitation = accounts_.InviteMember(session.org.id, session.user.id, in->email, in->role);
  if (!invitation.ok()) return Error(invitation.status(), "organization");
  Json body;
  body["invite_url"] = InviteUrl(DashboardBase(req), invitation->token);
  body["email"] = in->email;
  body["role"] = std::string(RoleName(in->role));
  body["expires_at"] = FormatRfc3339(invitation->expires_at_unix_ms);
  return Ok(201, std::move(body));
}

Reply TeamApi::ChangeRole(const Request& req, const Session& session) {
  absl::StatusOr<std::string> id = MemberId(req);
  if (!id.ok()) return Error(id.status());
  absl::StatusOr<Role> role = ParseRoleBody(req.body);
  if (!role.ok()) return Error(role.status(), "request");
  auto change = accounts_.ChangeMember(session.org.id, session.user.id, *id, *role);
  if (!change.ok()) return Error(change.status());
  return Ok(200, ChangedMemberJson(*change));
}

// Removing oneself is leaving; the last owner can do neither (400).
Reply TeamApi::Remove(const Request& req, const Session& session) {
  absl::StatusOr<std::string> id = MemberId(req);
  if (!id.ok()) return Error(id.status());
  auto change = accounts_.ChangeMember(session.org.id, session.user.id, *id, std::nullopt);
  if (!change.ok()) return Error(change.status());
  return Ok(200, ChangedMemberJson(*change));
}

// 200 {org, user, role}: the same session now acts in the other organization.
Reply TeamApi::SwitchOrg(const Request& req, const Session&) {
  absl::StatusOr<std::string> org_id = ParseSwitchOrgBody(req.body);
  if (!org_id.ok()) return Error(org_id.status(), "request");
  if (!IsUuid(*org_id)) return Error(absl::NotFoundError("organization not found"), "organization");
  std::string token = SessionFromCookieHeader(req.get_header_value("Cookie"));
  auto switched = accounts_.SwitchOrganization(token, *org_id);
  if (!switched.ok()) return Error(switched.status(), "organization");
  Json body{{"org", OrganizationJson(switched->org)},
            {"user", UserJson(switched->user)},
            {"role", std::string(RoleName(switched->role))}};
  return Ok(200, std::move(body));
}

Reply TeamApi::AcceptInvite(const Request& req, const Session&) {
  absl::StatusOr<AcceptInviteInput> in = ParseAcceptInviteBody(req.body);
  if (!in.ok()) return Error(in.status(), "request");
  auto login = accounts_.AcceptInvitation(in->token, in->name, in->password);
  if (!login.ok()) {
    if (login.status().code() == absl::StatusCode::kUnauthenticated) {
      return Error(absl::PermissionDeniedError(login.status().message()), "invitation");
    }
    return Error(login.status(), "invitation");
  }
  AuditRecord joined;
  joined.org_id = login->organization.id;
  joined.actor_user_id = login->user.id;
  joined.actor_email = login->user.email;
  joined.action = "member.join";
  joined.target = login->user.email;
  joined.details_json = Json{{"after", {{"role", std::string(RoleName(login->role))}}}}.dump();
  accounts_.RecordAudit(joined).IgnoreError();  // best effort: the user has joined either way
  Reply reply = Ok(200, nullptr);
  reply.login = *std::move(login);
  return reply;
}

}  // namespace llmgw::dashboard

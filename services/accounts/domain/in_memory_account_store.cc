#include "services/accounts/domain/in_memory_account_store.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "libs/common/crypto.h"

namespace llmgw::accounts {

#define LLMGW_FAKE_FAIL_IF_SET() \
  if (!fail_.ok()) return fail_

const UserRecord* InMemoryAccountStore::FindUserLocked(const std::string& email) const {
  for (const auto& [id, rec] : users_) {
    if (absl::AsciiStrToLower(rec.user.email) == absl::AsciiStrToLower(email)) return &rec;
  }
  return nullptr;
}

std::vector<const InMemoryAccountStore::StoredMembership*> InMemoryAccountStore::MembershipsLocked(
    const std::string& id, bool by_org) const {
  std::vector<const StoredMembership*> out;
  for (const auto& m : memberships_) {
    if ((by_org ? m.organization_id : m.user_id) == id) out.push_back(&m);
  }
  std::sort(out.begin(), out.end(), [](const StoredMembership* a, const StoredMembership* b) {
    if (a->joined_at_ms != b->joined_at_ms) return a->joined_at_ms < b->joined_at_ms;
    return a->seq < b->seq;
  });
  return out;
}

absl::StatusOr<RegisteredOwner> InMemoryAccountStore::CreateOrganizationWithOwner(
    const std::string& name, const std::string& email, const std::string& password_hash,
    int64_t created_at_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  if (FindUserLocked(email) != nullptr) return absl::AlreadyExistsError("unique violation (23505)");
  RegisteredOwner out{{crypto::RandomUuid(), name, email, created_at_ms},
                      {crypto::RandomUuid(), name, email, created_at_ms}};
  orgs_[out.organization.id] = out.organization;
  users_[out.user.id] = UserRecord{out.user, password_hash};
  memberships_.push_back({out.organization.id, out.user.id, Role::kOwner, created_at_ms, ++seq_});
  return out;
}

absl::StatusOr<User> InMemoryAccountStore::CreateUser(const std::string& name,
                                                      const std::string& email,
                                                      const std::string& password_hash,
                                                      int64_t created_at_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  if (FindUserLocked(email) != nullptr) return absl::AlreadyExistsError("unique violation (23505)");
  User user{crypto::RandomUuid(), name, email, created_at_ms};
  users_[user.id] = UserRecord{user, password_hash};
  return user;
}

absl::StatusOr<std::optional<UserRecord>> InMemoryAccountStore::FindUserByEmail(
    const std::string& email) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  const UserRecord* rec = FindUserLocked(email);
  if (rec == nullptr) return std::nullopt;
  return *rec;
}

absl::StatusOr<std::optional<Organization>> InMemoryAccountStore::GetOrganization(
    const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  auto it = orgs_.find(absl::AsciiStrToLower(id));
  if (it == orgs_.end()) return std::nullopt;
  return it->second;
}

absl::Status InMemoryAccountStore::UpdatePasswordHash(const std::string& user_id,
                                                      const std::string& password_hash) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  auto it = users_.find(user_id);
  if (it != users_.end()) it->second.password_hash = password_hash;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Membership>> InMemoryAccountStore::ListMemberships(
    const std::string& user_id) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  std::vector<Membership> out;
  for (const StoredMembership* m : MembershipsLocked(user_id, /*by_org=*/false)) {
    out.push_back(Membership{orgs_.at(m->organization_id), m->role, m->joined_at_ms});
  }
  return out;
}

absl::StatusOr<std::vector<Member>> InMemoryAccountStore::ListMembers(
    const std::string& organization_id) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  std::vector<Member> out;
  for (const StoredMembership* m : MembershipsLocked(organization_id, /*by_org=*/true)) {
    out.push_back(Member{users_.at(m->user_id).user, m->role, m->joined_at_ms});
  }
  return out;
}

absl::StatusOr<std::optional<MemberChange>> InMemoryAccountStore::ChangeMembership(
    const std::string& organization_id, const std::string& actor_user_id,
    const std::string& target_user_id, std::optional<Role> new_role, const MembershipRule& rule) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  std::optional<Role> actor;
  int owners = 0;
  StoredMembership* target = nullptr;
  for (auto& m : memberships_) {
    if (m.organization_id != organization_id) continue;
    if (m.user_id == actor_user_id) actor = m.role;
    if (m.role == Role::kOwner) ++owners;
    if (m.user_id == target_user_id) target = &m;
  }
  if (target == nullptr) return std::nullopt;
  MemberChange change{Member{users_.at(target->user_id).user, target->role, target->joined_at_ms},
                      new_role};
  if (absl::Status s = rule(actor, change.before, owners); !s.ok()) return s;
  if (new_role.has_value()) {
    target->role = *new_role;
  } else {
    memberships_.erase(memberships_.begin() + (target - memberships_.data()));
  }
  return change;
}

absl::StatusOr<Invitation> InMemoryAccountStore::CreateInvitation(const NewInvitation& n) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  Invitation inv{crypto::RandomUuid(), n.organization_id, n.email,         n.role,
                 n.invited_by_user_id, n.created_at_ms,   n.expires_at_ms, 0};
  invitations_.push_back({inv, n.token_hash});
  return inv;
}

absl::StatusOr<std::optional<Invitation>> InMemoryAccountStore::FindInvitation(
    const std::string& token_hash) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  for (const auto& i : invitations_) {
    if (i.token_hash == token_hash) return i.invitation;
  }
  return std::nullopt;
}

absl::StatusOr<bool> InMemoryAccountStore::AcceptInvitation(const Invitation& invitation,
                                                            const std::string& user_id,
                                                            int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  for (auto& i : invitations_) {
    if (i.invitation.id != invitation.id) continue;
    if (i.invitation.accepted_at_ms != 0) return false;
    i.invitation.accepted_at_ms = now_ms;
    for (const auto& m : memberships_) {
      if (m.organization_id == invitation.organization_id && m.user_id == user_id) return true;
    }
    memberships_.push_back({invitation.organization_id, user_id, invitation.role, now_ms, ++seq_});
    return true;
  }
  return false;
}

absl::StatusOr<AuditEntry> InMemoryAccountStore::RecordAudit(const AuditEntry& entry) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  AuditEntry stored = entry;
  stored.id = static_cast<int64_t>(audit_.size()) + 1;
  audit_.push_back(stored);
  return stored;
}

absl::StatusOr<std::vector<AuditEntry>> InMemoryAccountStore::ListAudit(
    const std::string& organization_id, int limit, int64_t before_id) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  std::vector<AuditEntry> out;
  for (auto it = audit_.rbegin(); it != audit_.rend() && static_cast<int>(out.size()) < limit;
       ++it) {
    if (it->organization_id == organization_id && (before_id == 0 || it->id < before_id)) {
      out.push_back(*it);
    }
  }
  return out;
}

absl::StatusOr<bool> InMemoryAccountStore::RememberLoginAddress(const std::string& user_id,
                                                                const std::string& address,
                                                                int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  return login_addresses_.try_emplace(user_id + "|" + address, now_ms).second;
}

absl::StatusOr<LoginFailures> InMemoryAccountStore::GetLoginFailures(const std::string& email_key) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  auto it = failures_.find(email_key);
  if (it == failures_.end()) return LoginFailures{};
  return it->second;
}

absl::StatusOr<LoginFailures> InMemoryAccountStore::RecordLoginFailure(const std::string& email_key,
                                                                       int64_t now_ms,
                                                                       int64_t window_cutoff_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  auto [it, inserted] = failures_.try_emplace(email_key, LoginFailures{1, now_ms});
  if (!inserted) {
    if (it->second.window_start_ms <= window_cutoff_ms) {
      it->second = LoginFailures{1, now_ms};
    } else {
      ++it->second.count;
    }
  }
  return it->second;
}

absl::Status InMemoryAccountStore::ClearLoginFailures(const std::string& email_key) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  failures_.erase(email_key);
  return absl::OkStatus();
}

absl::Status InMemoryAccountStore::CreateSession(const std::string& user_id,
                                                 const std::string& organization_id,
                                                 const std::string& token_hash,
                                                 int64_t created_at_ms, int64_t expires_at_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  if (!sessions_.try_emplace(token_hash, Session{user_id, organization_id, expires_at_ms, false})
           .second) {
    return absl::AlreadyExistsError("unique violation (23505)");
  }
  return absl::OkStatus();
}

absl::Status InMemoryAccountStore::SetSessionOrganization(const std::string& token_hash,
                                                          const std::string& organization_id) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  auto it = sessions_.find(token_hash);
  if (it != sessions_.end()) it->second.organization_id = organization_id;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<SessionRecord>> InMemoryAccountStore::FindSession(
    const std::string& token_hash) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  auto it = sessions_.find(token_hash);
  if (it == sessions_.end()) return std::nullopt;
  auto org = orgs_.find(it->second.organization_id);
  auto user = users_.find(it->second.user_id);
  if (org == orgs_.end() || user == users_.end()) return std::nullopt;
  SessionRecord out{org->second, user->second.user, std::nullopt, it->second.expires_at_ms,
                    it->second.revoked};
  for (const auto& m : memberships_) {
    if (m.organization_id == org->first && m.user_id == user->first) out.role = m.role;
  }
  return out;
}

absl::Status InMemoryAccountStore::RevokeSession(const std::string& token_hash, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  auto it = sessions_.find(token_hash);
  if (it != sessions_.end()) it->second.revoked = true;
  return absl::OkStatus();
}

absl::StatusOr<Credential> InMemoryAccountStore::CreateCredential(const NewCredential& c) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  if (orgs_.count(c.organization_id) == 0) {
    return absl::FailedPreconditionError("foreign key violation (23503)");
  }
  for (const auto& s : credentials_) {
    if (s.secret_hash == c.secret_hash) return absl::AlreadyExistsError("unique violation (23505)");
  }
  StoredCredential s;
  s.credential =
      Credential{crypto::RandomUuid(), c.organization_id,   c.kind, c.name, c.prefix, true, 0,
                 c.created_at_ms,      c.created_by_user_id};
  s.secret_hash = c.secret_hash;
  s.seq = ++seq_;
  credentials_.push_back(s);
  return s.credential;
}

absl::StatusOr<std::vector<Credential>> InMemoryAccountStore::ListCredentials(
    const std::string& organization_id, CredentialKind kind) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  std::vector<const StoredCredential*> found;
  for (const auto& s : credentials_) {
    if (s.credential.organization_id == organization_id && s.credential.kind == kind) {
      found.push_back(&s);
    }
  }
  std::sort(found.begin(), found.end(), [](const StoredCredential* a, const StoredCredential* b) {
    if (a->credential.created_at_ms != b->credential.created_at_ms) {
      return a->credential.created_at_ms > b->credential.created_at_ms;
    }
    return a->seq > b->seq;
  });
  std::vector<Credential> out;
  for (const auto* s : found) out.push_back(s->credential);
  return out;
}

absl::StatusOr<std::optional<Credential>> InMemoryAccountStore::RevokeCredential(
    const std::string& organization_id, CredentialKind kind, const std::string& id, int64_t now_ms,
    const std::string& only_created_by) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  for (auto& s : credentials_) {
    if (s.credential.id == absl::AsciiStrToLower(id) &&
        s.credential.organization_id == absl::AsciiStrToLower(organization_id) &&
        s.credential.kind == kind) {
      if (!only_created_by.empty() && s.credential.created_by_user_id != only_created_by) {
        return absl::PermissionDeniedError("created by another user");
      }
      s.credential.active = false;
      return s.credential;
    }
  }
  return std::nullopt;
}

absl::StatusOr<std::optional<CredentialMatch>> InMemoryAccountStore::FindCredentialByHash(
    CredentialKind kind, const std::string& secret_hash) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  ++find_credential_calls_;
  for (const auto& s : credentials_) {
    if (s.secret_hash == secret_hash && s.credential.kind == kind) {
      CredentialMatch m{s.credential.id, s.credential.organization_id, s.credential.active};
      m.limits = s.credential.limits;
      if (auto it = org_limits_.find(m.organization_id); it != org_limits_.end()) {
        m.organization_limits = it->second;
      }
      return m;
    }
  }
  return std::nullopt;
}

absl::StatusOr<std::optional<Credential>> InMemoryAccountStore::PatchCredentialLimits(
    const std::string& organization_id, CredentialKind kind, const std::string& id,
    const LimitsPatch& patch, const std::string& only_created_by) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  for (auto& s : credentials_) {
    if (s.credential.id == absl::AsciiStrToLower(id) &&
        s.credential.organization_id == absl::AsciiStrToLower(organization_id) &&
        s.credential.kind == kind) {
      if (!only_created_by.empty() && s.credential.created_by_user_id != only_created_by) {
        return absl::PermissionDeniedError("created by another user");
      }
      s.credential.limits = ApplyLimitsPatch(s.credential.limits, patch);
      return s.credential;
    }
  }
  return std::nullopt;
}

absl::StatusOr<Limits> InMemoryAccountStore::GetOrganizationLimits(
    const std::string& organization_id) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  auto it = org_limits_.find(absl::AsciiStrToLower(organization_id));
  return it == org_limits_.end() ? Limits{} : it->second;
}

absl::StatusOr<std::optional<Limits>> InMemoryAccountStore::PatchOrganizationLimits(
    const std::string& organization_id, const LimitsPatch& patch) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  const std::string id = absl::AsciiStrToLower(organization_id);
  if (orgs_.count(id) == 0) return std::nullopt;
  Limits& l = org_limits_[id];
  l = ApplyLimitsPatch(l, patch);
  return l;
}

absl::Status InMemoryAccountStore::RecordCredentialUses(const std::vector<CredentialUse>& uses) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  ++record_uses_calls_;
  for (const auto& u : uses) {
    for (auto& s : credentials_) {
      if (s.credential.id == u.credential_id) {
        s.credential.last_used_at_ms = std::max(s.credential.last_used_at_ms, u.used_at_ms);
      }
    }
  }
  return absl::OkStatus();
}

int InMemoryAccountStore::find_credential_calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return find_credential_calls_;
}

int InMemoryAccountStore::record_uses_calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return record_uses_calls_;
}

std::vector<std::string> InMemoryAccountStore::AllStoredStrings() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, org] : orgs_) out.insert(out.end(), {id, org.name, org.email});
  for (const auto& [id, rec] : users_) {
    out.insert(out.end(), {id, rec.user.name, rec.user.email, rec.password_hash});
  }
  for (const auto& i : invitations_) out.insert(out.end(), {i.invitation.email, i.token_hash});
  for (const auto& [key, f] : failures_) out.push_back(key);
  for (const auto& a : audit_) out.insert(out.end(), {a.actor_email, a.target, a.details_json});
  for (const auto& [hash, s] : sessions_) {
    out.insert(out.end(), {hash, s.organization_id, s.user_id});
  }
  for (const auto& s : credentials_) {
    out.insert(out.end(), {s.credential.id, s.credential.name, s.credential.prefix, s.secret_hash});
  }
  return out;
}

void InMemoryAccountStore::FailWith(absl::Status s) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_ = std::move(s);
}

#undef LLMGW_FAKE_FAIL_IF_SET

}  // namespace llmgw::accounts

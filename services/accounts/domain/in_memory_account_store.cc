#include "services/accounts/domain/in_memory_account_store.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "libs/common/crypto.h"

namespace llmgw::accounts {

#define LLMGW_FAKE_FAIL_IF_SET() \
  if (!fail_.ok()) return fail_

absl::StatusOr<Organization> InMemoryAccountStore::CreateOrganization(
    const std::string& name, const std::string& email, const std::string& password_hash,
    int64_t created_at_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  for (const auto& [id, rec] : orgs_) {
    if (absl::AsciiStrToLower(rec.organization.email) == absl::AsciiStrToLower(email)) {
      return absl::AlreadyExistsError("unique violation (23505)");
    }
  }
  OrganizationRecord rec{{crypto::RandomUuid(), name, email, created_at_ms}, password_hash};
  orgs_[rec.organization.id] = rec;
  return rec.organization;
}

absl::StatusOr<std::optional<OrganizationRecord>> InMemoryAccountStore::FindOrganizationByEmail(
    const std::string& email) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  for (const auto& [id, rec] : orgs_) {
    if (absl::AsciiStrToLower(rec.organization.email) == absl::AsciiStrToLower(email)) return rec;
  }
  return std::nullopt;
}

absl::StatusOr<std::optional<Organization>> InMemoryAccountStore::GetOrganization(
    const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  auto it = orgs_.find(absl::AsciiStrToLower(id));
  if (it == orgs_.end()) return std::nullopt;
  return it->second.organization;
}

absl::Status InMemoryAccountStore::UpdatePasswordHash(const std::string& organization_id,
                                                      const std::string& password_hash) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  auto it = orgs_.find(organization_id);
  if (it != orgs_.end()) it->second.password_hash = password_hash;
  return absl::OkStatus();
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

absl::Status InMemoryAccountStore::CreateSession(const std::string& organization_id,
                                                 const std::string& token_hash,
                                                 int64_t created_at_ms, int64_t expires_at_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  if (!sessions_.try_emplace(token_hash, Session{organization_id, expires_at_ms, false}).second) {
    return absl::AlreadyExistsError("unique violation (23505)");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<SessionRecord>> InMemoryAccountStore::FindSession(
    const std::string& token_hash) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  auto it = sessions_.find(token_hash);
  if (it == sessions_.end()) return std::nullopt;
  auto org = orgs_.find(it->second.organization_id);
  if (org == orgs_.end()) return std::nullopt;
  return SessionRecord{org->second.organization, it->second.expires_at_ms, it->second.revoked};
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
  s.credential = Credential{
      crypto::RandomUuid(), c.organization_id, c.kind, c.name, c.prefix, true, 0, c.created_at_ms};
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
    const std::string& organization_id, CredentialKind kind, const std::string& id,
    int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  LLMGW_FAKE_FAIL_IF_SET();
  for (auto& s : credentials_) {
    if (s.credential.id == absl::AsciiStrToLower(id) &&
        s.credential.organization_id == absl::AsciiStrToLower(organization_id) &&
        s.credential.kind == kind) {
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
      return CredentialMatch{s.credential.id, s.credential.organization_id, s.credential.active};
    }
  }
  return std::nullopt;
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
  for (const auto& [id, rec] : orgs_) {
    out.insert(out.end(), {id, rec.organization.name, rec.organization.email, rec.password_hash});
  }
  for (const auto& [key, f] : failures_) out.push_back(key);
  for (const auto& [hash, s] : sessions_) out.insert(out.end(), {hash, s.organization_id});
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

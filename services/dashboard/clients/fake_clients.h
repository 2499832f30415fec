#pragma once
// In-memory fakes of the three client interfaces, for the API tests. Thread-safe: the HTTP
// server calls them from its worker threads.

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "libs/common/clock.h"
#include "services/dashboard/clients/accounts_client.h"
#include "services/dashboard/clients/billing_client.h"
#include "services/dashboard/clients/metering_client.h"

namespace llmgw::dashboard {

class FakeAccountsClient final : public AccountsClient {
 public:
  explicit FakeAccountsClient(const Clock& clock) : clock_(clock) {}

  // Every call fails with this status when it is not OK (a dependency down).
  absl::Status fail_with = absl::OkStatus();
  bool healthy = true;
  bool throttle_login = false;
  int64_t session_ttl_ms = 86'400'000;
  std::string last_login_address;  // the client address of the latest Login

  // AccountsClient
  absl::StatusOr<Organization> Register(const std::string& name, const std::string& email,
                                        const std::string& password) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!fail_with.ok()) return fail_with;
    if (email.find('@') == std::string::npos) {
      return absl::InvalidArgumentError("email is not a valid address");
    }
    if (password.size() < 8) {
      return absl::InvalidArgumentError("password must be at least 8 characters");
    }
    for (const auto& [id, u] : users_) {
      if (u.user.email == email) return absl::AlreadyExistsError("email taken");
    }
    Organization org{NextId(), name, email, clock_.NowUnixMs()};
    User user{NextId(), name, email};
    orgs_[org.id] = org;
    users_[user.id] = {user, password};
    roles_[{org.id, user.id}] = Role::kOwner;
    return org;
  }

  absl::StatusOr<LoginResult> Login(const std::string& email, const std::string& password,
                                    const std::string& client_address) override {
    std::lock_guard<std::mutex> lock(mu_);
    last_login_address = client_address;
    if (!fail_with.ok()) return fail_with;
    if (throttle_login) return absl::ResourceExhaustedError("too many attempts");
    for (const auto& [id, u] : users_) {
      if (u.user.email != email || u.password != password) continue;
      for (const auto& [key, role] : roles_) {
        if (key.second == id) return StartSessionLocked(u.user, key.first, role);
      }
      return absl::PermissionDeniedError("not a member of any organization");
    }
    return absl::UnauthenticatedError("invalid email or password");
  }

  absl::StatusOr<Session> ValidateSession(const std::string& session_token) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!fail_with.ok()) return fail_with;
    auto it = sessions_.find(session_token);
    if (it == sessions_.end() || it->second.expires_at <= clock_.NowUnixMs()) {
      return absl::UnauthenticatedError("invalid session");
    }
    auto role = roles_.find({it->second.org_id, it->second.user_id});
    if (role == roles_.end()) return absl::UnauthenticatedError("invalid session");
    return Session{orgs_.at(it->second.org_id), users_.at(it->second.user_id).user, role->second};
  }

  absl::Status Logout(const std::string& session_token) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!fail_with.ok()) return fail_with;
    sessions_.erase(session_token);
    return absl::OkStatus();
  }

  absl::StatusOr<Session> SwitchOrganization(const std::string& session_token,
                                             const std::string& org_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sessions_.find(session_token);
    if (it == sessions_.end()) return absl::UnauthenticatedError("invalid session");
    auto role = roles_.find({org_id, it->second.user_id});
    if (role == roles_.end()) return absl::NotFoundError("organization not found");
    it->second.org_id = org_id;
    return Session{orgs_.at(org_id), users_.at(it->second.user_id).user, role->second};
  }

  absl::StatusOr<std::vector<OrgMembership>> ListMemberships(const std::string& user_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<OrgMembership> out;
    for (const auto& [key, role] : roles_) {
      if (key.second == user_id) out.push_back({orgs_.at(key.first), role});
    }
    return out;
  }

  absl::StatusOr<std::vector<Member>> ListMembers(const std::string& org_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Member> out;
    for (const auto& [key, role] : roles_) {
      if (key.first == org_id) out.push_back({users_.at(key.second).user, role, 0});
    }
    return out;
  }

  absl::StatusOr<Invitation> InviteMember(const std::string& org_id, const std::string&,
                                          const std::string& email, Role role) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::string token = absl::StrCat("inv_fake", ++counter_);
    invites_[token] = {org_id, email, role};
    return Invitation{token, clock_.NowUnixMs() + 7 * 86'400'000LL};
  }

  absl::StatusOr<LoginResult> AcceptInvitation(const std::string& token, const std::string& name,
                                               const std::string& password) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = invites_.find(token);
    if (it == invites_.end()) return absl::FailedPreconditionError("invalid invitation");
    Invite inv = it->second;
    invites_.erase(it);
    User user{NextId(), name, inv.email};
    users_[user.id] = {user, password};
    roles_[{inv.org_id, user.id}] = inv.role;
    return StartSessionLocked(user, inv.org_id, inv.role);
  }

  absl::StatusOr<MemberChange> ChangeMember(const std::string& org_id, const std::string&,
                                            const std::string& target_user_id,
                                            std::optional<Role> role) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = roles_.find({org_id, target_user_id});
    if (it == roles_.end()) return absl::NotFoundError("member not found");
    MemberChange change{Member{users_.at(target_user_id).user, it->second, 0}, role};
    if (role.has_value()) {
      it->second = *role;
    } else {
      roles_.erase(it);
    }
    return change;
  }

  absl::Status RecordAudit(const AuditRecord& record) override {
    std::lock_guard<std::mutex> lock(mu_);
    AuditRecord r = record;
    r.id = static_cast<int64_t>(audit_.size()) + 1;
    r.at_unix_ms = clock_.NowUnixMs();
    audit_.push_back(r);
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<AuditRecord>> ListAudit(const std::string& org_id, int32_t limit,
                                                     int64_t before_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<AuditRecord> out;
    for (auto it = audit_.rbegin(); it != audit_.rend() && out.size() < size_t(limit); ++it) {
      if (it->org_id == org_id && (before_id == 0 || it->id < before_id)) out.push_back(*it);
    }
    return out;
  }
  std::vector<AuditRecord> audit() {
    std::lock_guard<std::mutex> lock(mu_);
    return audit_;
  }

  absl::StatusOr<CreatedCredential> CreateMonitorToken(const std::string& org_id,
                                                       const std::string& name,
                                                       const std::string& created_by) override {
    return Create(org_id, name, "mon_sk_", created_by, tokens_);
  }
  absl::StatusOr<std::vector<Credential>> ListMonitorTokens(const std::string& org_id) override {
    return List(org_id, tokens_);
  }
  absl::StatusOr<Credential> RevokeMonitorToken(const std::string& org_id, const std::string& id,
                                                const std::string& only_created_by) override {
    return Revoke(org_id, id, only_created_by, tokens_);
  }
  absl::StatusOr<CreatedCredential> CreateApiKey(const std::string& org_id, const std::string& name,
                                                 const std::string& created_by) override {
    return Create(org_id, name, "llm_sk_", created_by, keys_);
  }
  absl::StatusOr<std::vector<Credential>> ListApiKeys(const std::string& org_id) override {
    return List(org_id, keys_);
  }
  absl::StatusOr<Credential> RevokeApiKey(const std::string& org_id, const std::string& id,
                                          const std::string& only_created_by) override {
    return Revoke(org_id, id, only_created_by, keys_);
  }
  absl::Status CheckHealth() override {
    return healthy ? absl::OkStatus() : absl::UnavailableError("down");
  }

  // Sets the role of the session's user in the session's organization.
  void SetSessionRole(const std::string& session_token, Role role) {
    std::lock_guard<std::mutex> lock(mu_);
    const StoredSession& s = sessions_.at(session_token);
    roles_[{s.org_id, s.user_id}] = role;
  }

  // Marks a credential as used, for the last_used_at rendering.
  void Touch(const std::string& id, int64_t unix_ms) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto* store : {&tokens_, &keys_}) {
      for (auto& owned : *store) {
        if (owned.cred.id == id) owned.cred.last_used_at_unix_ms = unix_ms;
      }
    }
  }

 private:
  struct StoredUser {
    User user;
    std::string password;
  };
  struct StoredSession {
    std::string org_id;
    std::string user_id;
    int64_t expires_at;
  };
  struct Invite {
    std::string org_id;
    std::string email;
    Role role;
  };

  LoginResult StartSessionLocked(const User& user, const std::string& org_id, Role role) {
    std::string token = absl::StrCat("sess_", ++counter_);
    int64_t expires = clock_.NowUnixMs() + session_ttl_ms;
    sessions_[token] = {org_id, user.id, expires};
    return LoginResult{orgs_.at(org_id), token, expires, user, role};
  }
  struct Owned {
    std::string org_id;
    Credential cred;
  };

  std::string NextId() {
    char buf[40];
    std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012d", ++counter_);
    return buf;
  }

  absl::StatusOr<CreatedCredential> Create(const std::string& org_id, const std::string& name,
                                           const std::string& prefix, const std::string& created_by,
                                           std::vector<Owned>& store) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!fail_with.ok()) return fail_with;
    std::string id = NextId();
    std::string secret = absl::StrCat(prefix, "secret", counter_, "abcdefghijklmnop");
    Credential c{id,        name, secret.substr(0, prefix.size() + 4), true, 0, clock_.NowUnixMs(),
                 created_by};
    store.insert(store.begin(), Owned{org_id, c});  // newest first
    return CreatedCredential{c, secret};
  }

  absl::StatusOr<Credential> SetCredentialLimits(const std::string& org_id, bool api_key,
                                                 const std::string& id, const LimitsPatch& patch,
                                                 const std::string& only_created_by) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!fail_with.ok()) return fail_with;
    for (Owned& o : api_key ? keys_ : tokens_) {
      if (o.org_id == org_id && o.cred.id == id) {
        if (!only_created_by.empty() && o.cred.created_by_user_id != only_created_by) {
          return absl::PermissionDeniedError("your role changes only the credentials you created");
        }
        o.cred.limits = Patched(o.cred.limits, patch);
        return o.cred;
      }
    }
    return absl::NotFoundError("no such credential in this organization");
  }
  absl::StatusOr<Limits> GetOrganizationLimits(const std::string& org_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!fail_with.ok()) return fail_with;
    return org_limits_[org_id];
  }
  absl::StatusOr<Limits> SetOrganizationLimits(const std::string& org_id,
                                               const LimitsPatch& patch) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!fail_with.ok()) return fail_with;
    return org_limits_[org_id] = Patched(org_limits_[org_id], patch);
  }

 private:
  static Limits Patched(Limits l, const LimitsPatch& p) {
    if (p.set_rpm) l.rpm = p.values.rpm;
    if (p.set_tpm) l.tpm = p.values.tpm;
    if (p.set_daily) l.daily_budget_nano = p.values.daily_budget_nano;
    if (p.set_monthly) l.monthly_budget_nano = p.values.monthly_budget_nano;
    return l;
  }

  absl::StatusOr<std::vector<Credential>> List(const std::string& org_id,
                                               const std::vector<Owned>& store) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!fail_with.ok()) return fail_with;
    std::vector<Credential> out;
    for (const Owned& o : store) {
      if (o.org_id == org_id) out.push_back(o.cred);
    }
    return out;
  }

  absl::StatusOr<Credential> Revoke(const std::string& org_id, const std::string& id,
                                    const std::string& only_created_by, std::vector<Owned>& store) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!fail_with.ok()) return fail_with;
    for (Owned& o : store) {
      if (o.org_id == org_id && o.cred.id == id) {
        if (!only_created_by.empty() && o.cred.created_by_user_id != only_created_by) {
          return absl::PermissionDeniedError("your role revokes only the credentials you created");
        }
        o.cred.is_active = false;
        return o.cred;
      }
    }
    return absl::NotFoundError("no such credential in this organization");
  }

  const Clock& clock_;
  std::mutex mu_;
  int counter_ = 0;
  std::map<std::string, Organization> orgs_;
  std::map<std::string, StoredUser> users_;
  std::map<std::pair<std::string, std::string>, Role> roles_;  // (org id, user id)
  std::map<std::string, StoredSession> sessions_;
  std::map<std::string, Invite> invites_;
  std::vector<AuditRecord> audit_;
  std::vector<Owned> tokens_;
  std::vector<Owned> keys_;
  std::map<std::string, Limits> org_limits_;
};

class FakeBillingClient final : public BillingClient {
 public:
  explicit FakeBillingClient(const Clock& clock) : clock_(clock) {}

  absl::Status fail_with = absl::OkStatus();

  void SetBalance(const std::string& org_id, Balance b) {
    std::lock_guard<std::mutex> lock(mu_);
    balances_[org_id] = b;
  }
  void AddTransaction(const std::string& org_id, Transaction t) {
    std::lock_guard<std::mutex> lock(mu_);
    txs_[org_id].insert(txs_[org_id].begin(), t);
  }
  std::vector<std::string> charge_keys() {
    std::lock_guard<std::mutex> lock(mu_);
    return charge_keys_;
  }
  int32_t last_limit() {
    std::lock_guard<std::mutex> lock(mu_);
    return last_limit_;
  }

  // BillingClient
  absl::StatusOr<Balance> GetBalance(const std::string& org_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!fail_with.ok()) return fail_with;
    return balances_[org_id];
  }
  absl::StatusOr<ChargeResult> Charge(const std::string& org_id, const std::string& idempotency_key,
                                      money::Nano amount_nano,
                                      const std::string& description) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!fail_with.ok()) return fail_with;
    charge_keys_.push_back(idempotency_key);
    auto done = by_key_.find(idempotency_key);
    if (done != by_key_.end()) return done->second;
    Balance& b = balances_[org_id];
    b.balance_nano += amount_nano;
    Transaction t{absl::StrCat("tx-", ++counter_),
                  TransactionType::kCharge,
                  amount_nano,
                  b.balance_nano,
                  description,
                  clock_.NowUnixMs()};
    txs_[org_id].insert(txs_[org_id].begin(), t);
    ChargeResult r{b.balance_nano, t};
    by_key_[idempotency_key] = r;
    return r;
  }
  absl::StatusOr<std::vector<Transaction>> ListTransactions(const std::string& org_id,
                                                            int32_t limit) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!fail_with.ok()) return fail_with;
    last_limit_ = limit;
    std::vector<Transaction> out = txs_[org_id];
    if (out.size() > static_cast<size_t>(limit)) out.resize(limit);
    return out;
  }
  absl::StatusOr<std::vector<BudgetSpend>> ListBudgets(const std::string& org_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!fail_with.ok()) return fail_with;
    return budgets_[org_id];
  }
  void SetBudgets(const std::string& org_id, std::vector<BudgetSpend> budgets) {
    std::lock_guard<std::mutex> lock(mu_);
    budgets_[org_id] = std::move(budgets);
  }

 private:
  const Clock& clock_;
  std::mutex mu_;
  int counter_ = 0;
  int32_t last_limit_ = 0;
  std::map<std::string, std::vector<BudgetSpend>> budgets_;
  std::map<std::string, Balance> balances_;
  std::map<std::string, std::vector<Transaction>> txs_;
  std::map<std::string, ChargeResult> by_key_;
  std::vector<std::string> charge_keys_;
};

// Returns canned answers and records what it was asked.
class FakeMeteringClient final : public MeteringClient {
 public:
  absl::Status fail_with = absl::OkStatus();
  Summary summary;
  std::vector<ModelUsage> models;
  std::vector<ProviderUsage> providers;
  std::vector<TimeseriesPoint> points;
  std::vector<UsageRow> rows;

  struct Asked {
    std::string org_id;
    TimeRange range;
    Bucket bucket = Bucket::kDay;
    int32_t limit = 0;
    int64_t before_unix_ms = -1;
  };
  Asked asked() {
    std::lock_guard<std::mutex> lock(mu_);
    return asked_;
  }
  // Every ListUsage query, in order.
  std::vector<UsageQuery> usage_queries() {
    std::lock_guard<std::mutex> lock(mu_);
    return usage_queries_;
  }

  // MeteringClient
  absl::StatusOr<Summary> GetSummary(const std::string& org_id, TimeRange range) override {
    std::lock_guard<std::mutex> lock(mu_);
    asked_ = {org_id, range};
    if (!fail_with.ok()) return fail_with;
    return summary;
  }
  absl::StatusOr<std::vector<ModelUsage>> GetUsageByModel(const std::string& org_id,
                                                          TimeRange range) override {
    std::lock_guard<std::mutex> lock(mu_);
    asked_ = {org_id, range};
    if (!fail_with.ok()) return fail_with;
    return models;
  }
  absl::StatusOr<std::vector<ProviderUsage>> GetUsageByProvider(const std::string& org_id,
                                                                TimeRange range) override {
    std::lock_guard<std::mutex> lock(mu_);
    asked_ = {org_id, range};
    if (!fail_with.ok()) return fail_with;
    return providers;
  }
  absl::StatusOr<std::vector<TimeseriesPoint>> GetTimeseries(const std::string& org_id,
                                                             TimeRange range, Bucket bucket,
                                                             bool by_provider) override {
    std::lock_guard<std::mutex> lock(mu_);
    asked_ = {org_id, range, bucket};
    timeseries_by_provider_ = by_provider;
    if (!fail_with.ok()) return fail_with;
    return points;
  }
  absl::StatusOr<std::vector<UsageRow>> ListUsage(const std::string& org_id,
                                                  const UsageQuery& query) override {
    std::lock_guard<std::mutex> lock(mu_);
    usage_queries_.push_back(query);
    if (!fail_with.ok()) return fail_with;
    // Keyset paging over `rows` (newest first), like metering: rows before the cursor that
    // match the provider and model filters.
    std::vector<UsageRow> page;
    for (const UsageRow& r : rows) {
      if (query.before_unix_ms != 0 && r.requested_at_unix_ms >= query.before_unix_ms) continue;
      if (!query.provider.empty() && r.provider != query.provider) continue;
      if (!query.model.empty() && r.model != query.model) continue;
      if (static_cast<int32_t>(page.size()) == query.limit) break;
      page.push_back(r);
    }
    return page;
  }

 private:
  std::mutex mu_;
  Asked asked_;
  std::vector<UsageQuery> usage_queries_;
  bool timeseries_by_provider_ = false;
};

}  // namespace llmgw::dashboard

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
    for (const auto& [id, o] : orgs_) {
      if (o.org.email == email) return absl::AlreadyExistsError("email taken");
    }
    Organization org{NextId(), name, email, clock_.NowUnixMs()};
    orgs_[org.id] = {org, password};
    return org;
  }

  absl::StatusOr<LoginResult> Login(const std::string& email,
                                    const std::string& password) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!fail_with.ok()) return fail_with;
    if (throttle_login) return absl::ResourceExhaustedError("too many attempts");
    for (const auto& [id, o] : orgs_) {
      if (o.org.email == email && o.password == password) {
        std::string token = absl::StrCat("sess_", ++counter_);
        int64_t expires = clock_.NowUnixMs() + session_ttl_ms;
        sessions_[token] = {id, expires};
        return LoginResult{o.org, token, expires};
      }
    }
    return absl::UnauthenticatedError("invalid email or password");
  }

  absl::StatusOr<Organization> ValidateSession(const std::string& session_token) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!fail_with.ok()) return fail_with;
    auto it = sessions_.find(session_token);
    if (it == sessions_.end() || it->second.expires_at <= clock_.NowUnixMs()) {
      return absl::UnauthenticatedError("invalid session");
    }
    return orgs_.at(it->second.org_id).org;
  }

  absl::Status Logout(const std::string& session_token) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!fail_with.ok()) return fail_with;
    sessions_.erase(session_token);
    return absl::OkStatus();
  }

  absl::StatusOr<CreatedCredential> CreateMonitorToken(const std::string& org_id,
                                                       const std::string& name) override {
    return Create(org_id, name, "mon_sk_", tokens_);
  }
  absl::StatusOr<std::vector<Credential>> ListMonitorTokens(const std::string& org_id) override {
    return List(org_id, tokens_);
  }
  absl::StatusOr<Credential> RevokeMonitorToken(const std::string& org_id,
                                                const std::string& id) override {
    return Revoke(org_id, id, tokens_);
  }
  absl::StatusOr<CreatedCredential> CreateApiKey(const std::string& org_id,
                                                 const std::string& name) override {
    return Create(org_id, name, "llm_sk_", keys_);
  }
  absl::StatusOr<std::vector<Credential>> ListApiKeys(const std::string& org_id) override {
    return List(org_id, keys_);
  }
  absl::StatusOr<Credential> RevokeApiKey(const std::string& org_id,
                                          const std::string& id) override {
    return Revoke(org_id, id, keys_);
  }
  absl::Status CheckHealth() override {
    return healthy ? absl::OkStatus() : absl::UnavailableError("down");
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
  struct StoredOrg {
    Organization org;
    std::string password;
  };
  struct Session {
    std::string org_id;
    int64_t expires_at;
  };
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
                                           const std::string& prefix, std::vector<Owned>& store) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!fail_with.ok()) return fail_with;
    std::string id = NextId();
    std::string secret = absl::StrCat(prefix, "secret", counter_, "abcdefghijklmnop");
    Credential c{id, name, secret.substr(0, prefix.size() + 4), true, 0, clock_.NowUnixMs()};
    store.insert(store.begin(), Owned{org_id, c});  // newest first
    return CreatedCredential{c, secret};
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
                                    std::vector<Owned>& store) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!fail_with.ok()) return fail_with;
    for (Owned& o : store) {
      if (o.org_id == org_id && o.cred.id == id) {
        o.cred.is_active = false;
        return o.cred;
      }
    }
    return absl::NotFoundError("no such credential in this organization");
  }

  const Clock& clock_;
  std::mutex mu_;
  int counter_ = 0;
  std::map<std::string, StoredOrg> orgs_;
  std::map<std::string, Session> sessions_;
  std::vector<Owned> tokens_;
  std::vector<Owned> keys_;
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

 private:
  const Clock& clock_;
  std::mutex mu_;
  int counter_ = 0;
  int32_t last_limit_ = 0;
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

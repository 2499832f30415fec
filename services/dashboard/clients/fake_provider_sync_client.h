#pragma once
// ProviderSyncClient in memory, for the API tests: connections per organization, admin keys
// "accepted" unless they contain "refused", CSV files "imported" unless they contain "BAD".
// Thread-safe.

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/dashboard/clients/provider_sync_client.h"

namespace llmgw::dashboard {

class FakeProviderSyncClient final : public ProviderSyncClient {
 public:
  absl::Status fail_with = absl::OkStatus();
  std::vector<ReconciliationRow> rows;  // what GetReconciliation answers
  DayRange last_range;
  std::vector<std::string> synced;     // ids asked to sync now
  std::vector<std::string> seen_keys;  // admin keys received (to check nothing is lost)
  std::string last_csv;

  // ProviderSyncClient
  absl::StatusOr<ProviderConnection> CreateConnection(const std::string& org_id,
                                                      const std::string& provider,
                                                      const std::string& admin_key) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!fail_with.ok()) return fail_with;
    seen_keys.push_back(admin_key);
    if (absl::StrContains(admin_key, "refused")) {
      return absl::InvalidArgumentError(
          "OpenAI refused the admin key (HTTP 401: Incorrect API key provided)");
    }
    for (const auto& [id, c] : connections_) {
      if (c.org == org_id && c.key == admin_key) {
        return absl::AlreadyExistsError("this admin key is already connected to this organization");
      }
    }
    Stored s;
    s.org = org_id;
    s.key = admin_key;
    const std::string n = std::to_string(++n_);
    s.c.id = absl::StrCat("aaaaaaaa-0000-4000-8000-", std::string(12 - n.size(), '0'), n);
    s.c.provider = provider;
    s.c.key_prefix = admin_key.substr(0, 12);
    s.c.status = "pending";
    s.c.created_at_unix_ms = 1'700'000'000'000;
    connections_[s.c.id] = s;
    return s.c;
  }
  absl::StatusOr<std::vector<ProviderConnection>> ListConnections(
      const std::string& org_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!fail_with.ok()) return fail_with;
    std::vector<ProviderConnection> out;
    for (const auto& [id, s] : connections_) {
      if (s.org == org_id) out.push_back(s.c);
    }
    return out;
  }
  absl::StatusOr<ProviderConnection> DeleteConnection(const std::string& org_id,
                                                      const std::string& id) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!fail_with.ok()) return fail_with;
    absl::StatusOr<ProviderConnection> c = Find(org_id, id);
    if (c.ok()) connections_.erase(id);
    return c;
  }
  absl::StatusOr<ProviderConnection> SyncConnection(const std::string& org_id,
                                                    const std::string& id) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!fail_with.ok()) return fail_with;
    absl::StatusOr<ProviderConnection> c = Find(org_id, id);
    if (c.ok()) synced.push_back(id);
    return c;
  }
  absl::StatusOr<CsvImportResult> ImportCsv(const std::string& org_id,
                                            const std::string& csv) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!fail_with.ok()) return fail_with;
    last_csv = csv;
    if (absl::StrContains(csv, "BAD")) {
      return CsvImportResult{0, 3, "line 3: output_tokens must be a whole number"};
    }
    return CsvImportResult{2, 0, ""};
  }
  absl::StatusOr<std::vector<ReconciliationRow>> GetReconciliation(const std::string& org_id,
                                                                   DayRange range) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!fail_with.ok()) return fail_with;
    last_range = range;
    return rows;
  }

 private:
  // The organization's connection `id` (the caller holds mu_).
  absl::StatusOr<ProviderConnection> Find(const std::string& org_id, const std::string& id) {
    auto it = connections_.find(id);
    if (it == connections_.end() || it->second.org != org_id) {
      return absl::NotFoundError("provider connection not found");
    }
    return it->second.c;
  }

  struct Stored {
    std::string org;
    std::string key;
    ProviderConnection c;
  };
  std::mutex mu_;
  std::map<std::string, Stored> connections_;
  int n_ = 0;
};

}  // namespace llmgw::dashboard

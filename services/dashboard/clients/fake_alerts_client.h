#pragma once
// AlertsClient in memory, for the API tests: rules per organization, a signing secret for each
// webhook rule. Thread-safe.

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/dashboard/clients/alerts_client.h"

namespace llmgw::dashboard {

class FakeAlertsClient final : public AlertsClient {
 public:
  // AlertsClient
  absl::StatusOr<CreatedAlert> CreateAlert(const std::string& org_id,
                                           const NewAlertInput& in) override {
    std::lock_guard<std::mutex> lock(mu_);
    const std::string n = std::to_string(++n_);
    CreatedAlert c;
    c.rule.id = absl::StrCat("bbbbbbbb-0000-4000-8000-", std::string(12 - n.size(), '0'), n);
    c.rule.kind = in.kind;
    c.rule.threshold_nano = in.threshold_nano;
    c.rule.channel = in.channel;
    c.rule.target = in.target;
    c.rule.created_at_unix_ms = 1'700'000'000'000;
    if (in.channel == "webhook") c.signing_secret = "whsec_fake" + n;
    rules_[c.rule.id] = {org_id, c.rule};
    return c;
  }
  absl::StatusOr<std::vector<AlertRule>> ListAlerts(const std::string& org_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<AlertRule> out;
    for (const auto& [id, r] : rules_) {
      if (r.first == org_id) out.push_back(r.second);
    }
    return out;
  }
  absl::StatusOr<AlertRule> DeleteAlert(const std::string& org_id, const std::string& id) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = rules_.find(id);
    if (it == rules_.end() || it->second.first != org_id) {
      return absl::NotFoundError("alert not found");
    }
    AlertRule r = it->second.second;
    rules_.erase(it);
    return r;
  }

 private:
  std::mutex mu_;
  int n_ = 0;
  std::map<std::string, std::pair<std::string, AlertRule>> rules_;
};

}  // namespace llmgw::dashboard

#include "services/accounts/domain/last_used_batcher.h"

#include <vector>

#include "libs/common/log.h"

namespace llmgw::accounts {

LastUsedBatcher::~LastUsedBatcher() { Stop().IgnoreError(); }

void LastUsedBatcher::Record(const std::string& credential_id, int64_t used_at_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = pending_.try_emplace(credential_id, used_at_ms);
  if (!inserted && it->second < used_at_ms) it->second = used_at_ms;
}

size_t LastUsedBatcher::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pending_.size();
}

absl::Status LastUsedBatcher::Flush() {
  std::lock_guard<std::mutex> flush_lock(flush_mu_);
  std::unordered_map<std::string, int64_t> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch.swap(pending_);
  }
  if (batch.empty()) return absl::OkStatus();
  std::vector<CredentialUse> uses;
  uses.reserve(batch.size());
  for (const auto& [id, ms] : batch) uses.push_back({id, ms});
  absl::Status s = store_.RecordCredentialUses(uses);
  if (!s.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, ms] : batch) {
      auto [it, inserted] = pending_.try_emplace(id, ms);
      if (!inserted && it->second < ms) it->second = ms;
    }
  }
  return s;
}

void LastUsedBatcher::Start(std::chrono::milliseconds interval) {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this, interval] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      cv_.wait_for(lock, interval, [this] { return stopping_; });
      if (stopping_) break;
      lock.unlock();
      absl::Status s = Flush();
      if (!s.ok()) {
        log::Warn("last_used_at flush failed; will retry", {{"error", std::string(s.message())}});
      }
      lock.lock();
    }
  });
}

absl::Status LastUsedBatcher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  return Flush();
}

}  // namespace llmgw::accounts

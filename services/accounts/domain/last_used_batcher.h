#pragma once
// last_used_at of credentials, written in batches: validations only record in memory
// (credential id → latest use); Flush() writes all of them in one store call. A background thread
// flushes every interval; Stop() flushes once more (shutdown). Never a write per validation.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "absl/status/status.h"
#include "services/accounts/domain/account_store.h"

namespace llmgw::accounts {

class LastUsedBatcher {
 public:
  explicit LastUsedBatcher(AccountStore& store) : store_(store) {}
  ~LastUsedBatcher();

  // Remembers the use; keeps the latest time per credential.
  void Record(const std::string& credential_id, int64_t used_at_ms);
  // Writes the pending uses in one store call. On failure they stay pending for the next flush
  // (merged with newer uses).
  absl::Status Flush();
  size_t pending() const;

  // Starts the background flusher (once).
  void Start(std::chrono::milliseconds interval);
  // Stops the background flusher and flushes what is pending. Idempotent.
  absl::Status Stop();

 private:
  AccountStore& store_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, int64_t> pending_;
  std::mutex flush_mu_;  // one flush at a time
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace llmgw::accounts

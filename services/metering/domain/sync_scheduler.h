#pragma once
// The provider sync scheduler: a thread that syncs every connection when it is due (hourly by
// default: each sync sets the next), a newly added one at once, and one the organization asked to
// "sync now" as soon as the thread is free. Every replica of metering runs one; the connection's
// sync lock makes sure only one of them syncs a connection at a time.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "services/metering/domain/provider_syncer.h"

namespace llmgw::metering {

class SyncScheduler {
 public:
  struct Options {
    // How often storage is asked for due connections (connections added or asked for on another
    // replica, failed syncs whose retry is due).
    std::chrono::milliseconds poll{30000};
    int batch = 50;                                   // due connections per pass
    std::function<void(const SyncOutcome&)> on_sync;  // after every sync attempt (metrics)
  };
  // `sleeper` is the syncer's: Stop() interrupts a backoff in progress.
  SyncScheduler(ProviderSyncer& syncer, InterruptibleSleeper& sleeper, Options options);
  ~SyncScheduler();  // Stop()s

  void Start();
  void Stop();
  // Syncs the connection as soon as the thread is free, due or not.
  void RequestSync(const std::string& connection_id);
  // Looks for due connections now (one was just added).
  void Wake();

  // One pass on the calling thread: the requested connections (forced), then the due ones.
  std::vector<SyncOutcome> RunOnce();

 private:
  void Loop();

  ProviderSyncer& syncer_;
  InterruptibleSleeper& sleeper_;
  Options options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> requested_;
  bool woken_ = false;
  std::atomic<bool> stop_{false};
  bool warned_unconfigured_ = false;  // the scheduler thread's
  std::thread thread_;
};

}  // namespace llmgw::metering

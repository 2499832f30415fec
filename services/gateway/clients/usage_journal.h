#pragma once
// Write-ahead journaling of usage events in front of the usage shipper, so that an event the
// gateway has emitted survives the process being killed before metering (or the spool) has it.
//
// Emit appends the event to <spool_dir>/usage.*.journal (storage/journal: a write, no fsync on
// the caller's thread; a background thread fsyncs the journal every `sync_interval`) and passes it
// on. The shipper reports events that are safe elsewhere (acknowledged by metering, or in its
// spool or dead-letter file: GrpcUsageShipper::Options::on_durable) and the journal forgets them.
// At start, Attach() re-emits what a previous process journaled and never saw made safe; some of
// those may have reached metering already, which dedupes by event id.

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "services/gateway/clients/usage_sink.h"
#include "services/gateway/storage/journal.h"

namespace llmgw::gateway {

class UsageJournal final : public UsageSink {
 public:
  struct Options {
    std::string spool_dir;
    std::chrono::milliseconds sync_interval{20};
  };
  static absl::StatusOr<std::unique_ptr<UsageJournal>> Open(Options options,
                                                            prometheus::Registry& registry);
  ~UsageJournal() override;

  // Starts passing events to `next` (which must outlive this) and re-emits the replayed ones.
  void Attach(UsageSink& next);

  // UsageSink: journal, then pass on.
  void Emit(metering::v1::UsageEvent event) override;

  // The shipper's on_durable: these events need the journal no more.
  void Forget(const std::vector<std::string>& event_ids);

  uint64_t pending() const;

 private:
  UsageJournal(Options options, prometheus::Registry& registry);
  void SyncLoop();

  const Options options_;
  prometheus::Counter& unjournaled_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::unique_ptr<Journal> journal_;                   // guarded by mu_
  std::unordered_map<std::string, uint64_t> segment_;  // guarded by mu_: event id -> segment
  std::vector<metering::v1::UsageEvent> replay_;       // until Attach
  UsageSink* next_ = nullptr;
  bool stopping_ = false;  // guarded by mu_
  std::thread syncer_;
};

}  // namespace llmgw::gateway

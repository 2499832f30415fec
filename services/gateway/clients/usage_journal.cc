#include "services/gateway/clients/usage_journal.h"

#include <utility>

#include "libs/common/log.h"
#include "libs/common/thread.h"

namespace llmgw::gateway {

UsageJournal::UsageJournal(Options options, prometheus::Registry& registry)
    : options_(std::move(options)),
      unjournaled_(prometheus::BuildCounter()
                       .Name("llmgw_gateway_usage_journal_failures_total")
                       .Help("Usage events that could not be written to the usage journal "
                             "(passed on in memory only)")
                       .Register(registry)
                       .Add({})) {}

absl::StatusOr<std::unique_ptr<UsageJournal>> UsageJournal::Open(Options options,
                                                                 prometheus::Registry& registry) {
  std::unique_ptr<UsageJournal> j(new UsageJournal(options, registry));
  std::vector<Journal::Record> replay;
  absl::StatusOr<std::unique_ptr<Journal>> journal =
      Journal::Open({.dir = options.spool_dir, .name = "usage"}, &replay);
  if (!journal.ok()) return journal.status();
  j->journal_ = std::move(*journal);
  for (Journal::Record& record : replay) {
    metering::v1::UsageEvent event;
    if (!event.ParseFromString(record.payload) || event.event_id().empty()) {
      log::Error("usage journal: unreadable record skipped", {{"segment", record.segment}});
      (void)j->journal_->Done(record.segment);
      continue;
    }
    // A duplicate id (an event journaled twice) keeps one pending record per copy.
    if (!j->segment_.emplace(event.event_id(), record.segment).second) {
      (void)j->journal_->Done(record.segment);
      continue;
    }
    j->replay_.push_back(std::move(event));
  }
  if (!j->replay_.empty()) {
    log::Info("usage journal replayed", {{"events", static_cast<int64_t>(j->replay_.size())}});
  }
  j->syncer_ = std::thread([raw = j.get()] {
    threads::NameThisThread("gw-usage-sync");
    raw->SyncLoop();
  });
  return j;
}

UsageJournal::~UsageJournal() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (syncer_.joinable()) syncer_.join();
}

void UsageJournal::Attach(UsageSink& next) {
  std::vector<metering::v1::UsageEvent> replay;
  {
    std::lock_guard<std::mutex> lock(mu_);
    next_ = &next;
    replay.swap(replay_);
  }
  for (metering::v1::UsageEvent& e : replay) next.Emit(std::move(e));
}

void UsageJournal::Emit(metering::v1::UsageEvent event) {
  const std::string record = event.SerializeAsString();
  UsageSink* next = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    absl::StatusOr<uint64_t> segment = journal_->Append(record);
    if (segment.ok()) {
      segment_.emplace(event.event_id(), *segment);
    } else {
      unjournaled_.Increment();
    }
    next = next_;
  }
  if (next != nullptr) next->Emit(std::move(event));
}

void UsageJournal::Forget(const std::vector<std::string>& event_ids) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& id : event_ids) {
    auto it = segment_.find(id);
    if (it == segment_.end()) continue;  // not journaled (a write failed)
    (void)journal_->Done(it->second);
    segment_.erase(it);
  }
}

uint64_t UsageJournal::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return journal_->pending();
}

void UsageJournal::SyncLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, options_.sync_interval, [&] { return stopping_; });
    const int fd = journal_->TakeSyncFd();
    if (fd < 0) continue;
    lock.unlock();  // Emit keeps appending while the disk flushes
    Journal::SyncTaken(fd, "usage");
    lock.lock();
  }
}

}  // namespace llmgw::gateway

#include "services/metering/domain/sync_scheduler.h"

#include "libs/common/log.h"
#include "libs/common/thread.h"

namespace llmgw::metering {
namespace {

void LogOutcome(const SyncOutcome& o) {
  nlohmann::json fields = {{"connection_id", o.connection_id},
                           {"provider", std::string(ReportProviderName(o.provider))},
                           {"state", std::string(SyncStateName(o.state))},
                           {"requests", o.requests},
                           {"seconds", o.seconds}};
  switch (o.state) {
    case SyncState::kSynced:
      fields["from"] = FormatDate(o.window.from_day_ms);
      fields["days"] = o.window.days();
      fields["buckets"] = o.buckets;
      log::Info("provider usage synced", fields);
      return;
    case SyncState::kFailed:
    case SyncState::kError:
      fields["error"] = o.error;  // the provider's reason; never the key (ProviderErrorMessage)
      log::Warn("provider usage sync failed", fields);
      return;
    default:
      log::Debug("provider usage sync skipped", fields);
      return;
  }
}

}  // namespace

SyncScheduler::SyncScheduler(ProviderSyncer& syncer, InterruptibleSleeper& sleeper, Options options)
    : syncer_(syncer), sleeper_(sleeper), options_(std::move(options)) {}

SyncScheduler::~SyncScheduler() { Stop(); }

void SyncScheduler::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] {
    threads::NameThisThread("provider-sync");
    Loop();
  });
}

void SyncScheduler::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  sleeper_.Interrupt();
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SyncScheduler::RequestSync(const std::string& connection_id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    requested_.insert(connection_id);
  }
  cv_.notify_all();
}

void SyncScheduler::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

std::vector<SyncOutcome> SyncScheduler::RunOnce() {
  std::vector<SyncOutcome> outcomes;
  std::set<std::string> requested;
  {
    std::lock_guard<std::mutex> lock(mu_);
    requested.swap(requested_);
    woken_ = false;
  }
  auto run = [&](const std::string& id, bool force) {
    SyncOutcome o = syncer_.Sync(id, force);
    LogOutcome(o);
    if (options_.on_sync) options_.on_sync(o);
    outcomes.push_back(std::move(o));
  };
  if (!syncer_.configured()) {
    if (warned_unconfigured_) return outcomes;
    absl::StatusOr<std::vector<std::string>> due = syncer_.Due(1);
    if (!requested.empty() || (due.ok() && !due->empty())) {
      log::Error("provider connections cannot be synced: LLMGW_SECRET_KEY is not set");
      warned_unconfigured_ = true;
    }
    return outcomes;
  }
  for (const std::string& id : requested) {
    if (stop_) return outcomes;
    run(id, true);
  }
  absl::StatusOr<std::vector<std::string>> due = syncer_.Due(options_.batch);
  if (!due.ok()) {
    log::Warn("cannot list due provider connections",
              {{"error", std::string(due.status().message())}});
    return outcomes;
  }
  for (const std::string& id : *due) {
    if (stop_) break;
    if (requested.count(id) > 0) continue;
    run(id, false);
  }
  return outcomes;
}

void SyncScheduler::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    lock.unlock();
    RunOnce();
    lock.lock();
    cv_.wait_for(lock, options_.poll, [this] { return stop_ || woken_ || !requested_.empty(); });
  }
}

}  // namespace llmgw::metering

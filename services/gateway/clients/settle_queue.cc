#include "services/gateway/clients/settle_queue.h"

#include <algorithm>
#include <utility>

#include "libs/common/log.h"
#include "libs/common/thread.h"

namespace llmgw::gateway {

namespace {

const char* KindName(SettleCommand::Kind kind) {
  return kind == SettleCommand::Kind::kVoid ? "void" : "settle";
}

prometheus::Counter& CommandCounter(prometheus::Registry& registry, const char* name,
                                    const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add({});
}

}  // namespace

SettleQueue::SettleQueue(Options options, BillingHolds& billing, prometheus::Registry& registry)
    : options_(std::move(options)),
      billing_(billing),
      enqueued_(CommandCounter(registry, "llmgw_gateway_settle_commands_enqueued_total",
                               "Settles and voids journaled for delivery to billing")),
      delivered_(CommandCounter(registry, "llmgw_gateway_settle_commands_delivered_total",
                                "Settles and voids billing acknowledged")),
      retried_(CommandCounter(registry, "llmgw_gateway_settle_command_retries_total",
                              "Settle and void deliveries that failed and will be retried")),
      refused_(CommandCounter(registry, "llmgw_gateway_settle_commands_refused_total",
                              "Settles billing refused for good (no hold, invalid): logged")),
      unjournaled_(CommandCounter(registry, "llmgw_gateway_settle_journal_failures_total",
                                  "Settles and voids that could not be written to the journal "
                                  "(delivered from memory only)")),
      pending_gauge_(prometheus::BuildGauge()
                         .Name("llmgw_gateway_settle_commands_pending")
                         .Help("Settles and voids owed to billing and not yet acknowledged")
                         .Register(registry)
                         .Add({})) {}

absl::StatusOr<std::unique_ptr<SettleQueue>> SettleQueue::Start(Options options,
                                                                BillingHolds& billing,
                                                                prometheus::Registry& registry) {
  std::unique_ptr<SettleQueue> q(new SettleQueue(options, billing, registry));
  std::vector<Journal::Record> replay;
  absl::StatusOr<std::unique_ptr<Journal>> journal =
      Journal::Open({.dir = options.spool_dir, .name = "settle"}, &replay);
  if (!journal.ok()) return journal.status();
  q->journal_ = std::move(*journal);
  for (Journal::Record& record : replay) {
    absl::StatusOr<SettleCommand> command = DecodeSettleCommand(record.payload);
    if (!command.ok()) {
      log::Error("settle journal: unreadable record skipped", {{"segment", record.segment}});
      (void)q->journal_->Done(record.segment);
      continue;
    }
    q->ready_.push_back(Item{std::move(*command), record.segment, 0});
  }
  q->pending_ = q->ready_.size();
  q->pending_gauge_.Set(static_cast<double>(q->pending_));
  if (!replay.empty()) {
    log::Info("settle journal replayed", {{"commands", static_cast<int64_t>(q->pending_)}});
  }
  q->sender_ = std::thread([raw = q.get()] {
    threads::NameThisThread("gw-settle");
    raw->Run();
  });
  return q;
}

SettleQueue::~SettleQueue() { Shutdown(std::chrono::milliseconds(0)); }

void SettleQueue::Enqueue(SettleCommand command) {
  const std::string record = EncodeSettleCommand(command);
  std::lock_guard<std::mutex> lock(mu_);
  Item item{std::move(command), 0, 0};
  absl::StatusOr<uint64_t> segment = journal_->Append(record);
  if (segment.ok()) {
    item.segment = *segment;
  } else {
    unjournaled_.Increment();
    log::Error("settle journal write failed; delivering from memory only",
               {{"error", std::string(segment.status().message())},
                {"request_id", item.command.request_id}});
  }
  enqueued_.Increment();
  ++pending_;
  pending_gauge_.Set(static_cast<double>(pending_));
  ready_.push_back(std::move(item));
  cv_.notify_one();
}

uint64_t SettleQueue::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pending_;
}

std::chrono::milliseconds SettleQueue::RetryDelay(int attempt) const {
  auto delay = options_.retry_min;
  for (int i = 1; i < attempt && delay < options_.retry_max; ++i) delay *= 2;
  return std::min(delay, options_.retry_max);
}

void SettleQueue::SyncJournal(std::unique_lock<std::mutex>& lock) {
  const int fd = journal_->TakeSyncFd();
  if (fd < 0) return;
  lock.unlock();  // Enqueue keeps appending while the disk flushes
  Journal::SyncTaken(fd, "settle");
  lock.lock();
}

void SettleQueue::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  auto past_deadline = [&] { return stopping_ && Clock::now() >= stop_deadline_; };
  while (true) {
    auto may_send = [&] {
      return !past_deadline() && Clock::now() >= paused_until_ && !ready_.empty() &&
             inflight_ < options_.max_inflight;
    };
    while (may_send()) {
      Item item = std::move(ready_.front());
      ready_.pop_front();
      ++inflight_;
      lock.unlock();
      Send(std::move(item));
      lock.lock();
    }
    // One fsync for everything appended since the last: commands enqueued together share it.
    SyncJournal(lock);
    if (stopping_ && inflight_ == 0 && (pending_ == 0 || past_deadline())) break;
    Clock::time_point wake = Clock::now() + std::chrono::milliseconds(100);
    if (paused_until_ > Clock::now()) wake = std::min(wake, paused_until_);
    if (stopping_) wake = std::min(wake, stop_deadline_);
    cv_.wait_until(lock, wake, [&] {
      if (stopping_ && inflight_ == 0 && (pending_ == 0 || past_deadline())) return true;
      return may_send();
    });
  }
}

void SettleQueue::Send(Item item) {
  // The command is copied into the call: the item itself travels with the callback.
  const std::string request_id = item.command.request_id;
  if (item.command.kind == SettleCommand::Kind::kVoid) {
    billing_.Void(request_id, [this, item = std::move(item)](absl::Status s) mutable {
      OnAnswer(std::move(item), s);
    });
    return;
  }
  const money::Nano cost = item.command.provider_cost;
  std::string description = item.command.description;
  billing_.Settle(request_id, cost, std::move(description),
                  [this, item = std::move(item)](absl::StatusOr<SettleReceipt> r) mutable {
                    OnAnswer(std::move(item), r.status());
                  });
}

void SettleQueue::OnAnswer(Item item, const absl::Status& status) {
  const SettleVerdict verdict = JudgeBillingAnswer(item.command.kind, status.code());
  std::lock_guard<std::mutex> lock(mu_);
  --inflight_;
  switch (verdict) {
    case SettleVerdict::kDone:
      delivered_.Increment();
      FinishLocked(item);
      break;
    case SettleVerdict::kRefused:
      refused_.Increment();
      log::Error("billing refused a settle; the request is not charged",
                 {{"code", static_cast<int>(status.code())},
                  {"error", std::string(status.message())},
                  {"kind", KindName(item.command.kind)},
                  {"provider_cost_nano", item.command.provider_cost},
                  {"request_id", item.command.request_id}});
      FinishLocked(item);
      break;
    case SettleVerdict::kRetry: {
      // Billing is down or struggling: every send pauses (the backoff grows with consecutive
      // failures), so an outage costs a few probes per second, not a storm of calls.
      retried_.Increment();
      ++failures_;
      ++item.attempt;
      if (failures_ == 1 || failures_ % 50 == 0) {
        log::Warn("billing did not take a settle; keeping it and retrying until it does",
                  {{"consecutive_failures", failures_},
                   {"code", static_cast<int>(status.code())},
                   {"kind", KindName(item.command.kind)},
                   {"request_id", item.command.request_id}});
      }
      paused_until_ = std::max(paused_until_, Clock::now() + RetryDelay(failures_));
      ready_.push_front(std::move(item));
      break;
    }
  }
  if (verdict != SettleVerdict::kRetry) failures_ = 0;
  cv_.notify_one();
}

void SettleQueue::FinishLocked(const Item& item) {
  if (item.segment != 0) {
    absl::Status s = journal_->Done(item.segment);
    if (!s.ok()) log::Error("settle journal", {{"error", std::string(s.message())}});
  }
  --pending_;
  pending_gauge_.Set(static_cast<double>(pending_));
}

void SettleQueue::Shutdown(std::chrono::milliseconds timeout) {
  std::lock_guard<std::mutex> serial(shutdown_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      stopping_ = true;
      stop_deadline_ = Clock::now() + timeout;
    }
    cv_.notify_one();
  }
  if (sender_.joinable()) sender_.join();
}

}  // namespace llmgw::gateway

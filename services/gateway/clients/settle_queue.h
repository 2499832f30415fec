#pragma once
// Durable delivery of the settles and voids the gateway owes billing (DESIGN.md "Reliability
// rules"; issue: "a charge can be lost").
//
// Enqueue() writes the command to the settle journal (storage/journal: <spool_dir>/settle.*.
// journal) and returns: from then on a crash of the gateway loses nothing (a machine crash, only
// what was enqueued after the sender's last group fsync: it fsyncs once per round of sends, so
// commands enqueued together share one). The request is done; its settle is off the request path. One sender thread delivers commands to billing, up to `max_inflight`
// at once, and keeps every command until billing answers it for good (JudgeBillingAnswer):
// billing down for any length of time only delays the charges, retried with capped exponential
// backoff (one pause for the whole queue, so an outage costs a few probes a second). Billing is idempotent by request id, so a replay after a restart (the journal hands
// back what the previous process had not forgotten) never charges twice.
//
// Voids go the same way: a hold billing committed but whose answer the gateway never saw is
// released as soon as billing is back, not after the hold TTL.

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "services/gateway/clients/hold_ledger.h"
#include "services/gateway/domain/settle_command.h"
#include "services/gateway/storage/journal.h"

namespace llmgw::gateway {

class SettleQueue final : public SettleSink {
 public:
  struct Options {
    std::string spool_dir;  // LLMGW_SPOOL_DIR; one gateway process per directory
    size_t max_inflight = 256;
    // After a retryable answer every send pauses for retry_min, doubled per consecutive failure
    // up to retry_max; the first acknowledged command ends the pause.
    std::chrono::milliseconds retry_min{200};
    std::chrono::milliseconds retry_max{5'000};
  };

  // Opens the journal (replaying what an earlier process left) and starts the sender. The
  // billing client must outlive the queue.
  static absl::StatusOr<std::unique_ptr<SettleQueue>> Start(Options options, BillingHolds& billing,
                                                            prometheus::Registry& registry);
  ~SettleQueue() override;  // Shutdown(0)
  SettleQueue(const SettleQueue&) = delete;
  SettleQueue& operator=(const SettleQueue&) = delete;

  // Journals `command` and schedules its delivery. Never blocks on billing. A journal that cannot
  // be written (disk full) is logged and counted; the command is still delivered from memory.
  void Enqueue(SettleCommand command) override;

  // Delivers what it can until every command is done or `timeout` passes, then stops the sender
  // (commands still owed stay in the journal for the next start). Idempotent.
  void Shutdown(std::chrono::milliseconds timeout);

  // Commands enqueued (or replayed) and not yet done.
  uint64_t pending() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Item {
    SettleCommand command;
    uint64_t segment = 0;  // 0: not journaled
    int attempt = 0;  // failed deliveries so far
  };
  SettleQueue(Options options, BillingHolds& billing, prometheus::Registry& registry);

  void Run();
  // Starts the billing call for `item`; its answer comes to OnAnswer (any thread).
  void Send(Item item);
  void OnAnswer(Item item, const absl::Status& status);
  // Forgets a delivered (or refused) command; mu_ held.
  void FinishLocked(const Item& item);
  std::chrono::milliseconds RetryDelay(int attempt) const;
  void SyncJournal(std::unique_lock<std::mutex>& lock);

  const Options options_;
  BillingHolds& billing_;
  prometheus::Counter& enqueued_;
  prometheus::Counter& delivered_;
  prometheus::Counter& retried_;
  prometheus::Counter& refused_;
  prometheus::Counter& unjournaled_;
  prometheus::Gauge& pending_gauge_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::unique_ptr<Journal> journal_;          // guarded by mu_
  std::deque<Item> ready_;                    // guarded by mu_
  Clock::time_point paused_until_;            // guarded by mu_: no sends before (backoff)
  int failures_ = 0;                          // guarded by mu_: consecutive retryable answers
  size_t inflight_ = 0;                       // guarded by mu_
  uint64_t pending_ = 0;                      // guarded by mu_
  bool stopping_ = false;                     // guarded by mu_
  Clock::time_point stop_deadline_;           // guarded by mu_
  std::mutex shutdown_mu_;
  std::thread sender_;
};

}  // namespace llmgw::gateway

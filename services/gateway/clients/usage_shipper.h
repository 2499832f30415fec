#pragma once
// Durable delivery of usage events to metering (DESIGN.md "Reliability rules").
//
// Emit() appends to a bounded in-memory queue under a mutex and returns: no I/O on the caller's
// thread. One sender thread batches the queue into IngestUsage calls (internal token, deadline).
// Metering dedupes by event_id, so every retry path below is at-least-once and counts once:
//  - a failed call (any code but INVALID_ARGUMENT) puts its batch in the spool file and switches
//    to spooling: new batches go straight to the spool, in order, while the spool head is retried
//    every `retry_interval`. Once metering answers, the spool is replayed in order (the committed
//    offset advances only after an OK), then the file is emptied and normal sending resumes;
//  - INVALID_ARGUMENT means metering will never take that batch as it is. The batch is sent again
//    in halves, and halves of those, so that only the events metering refuses on their own go to
//    a dead-letter file (<spool_dir>/usage.deadletter, same record format) with an error log
//    line; the others are delivered, in order;
//  - a full queue spills its oldest batch to the spool instead of dropping it;
//  - a spool left by a previous process is replayed at start;
//  - Shutdown() sends what it can before its deadline and spools the rest.
// An event is lost only when the spool cannot be written (disk full, permissions): an error log
// line and llmgw_gateway_usage_events_dropped_total say so.
//
// Order: events reach metering in Emit order, spooled ones before newer in-memory ones. The
// exception is a batch metering rejected as invalid (dead-lettered, never sent again).

#include <grpcpp/grpcpp.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "llmgw/metering/v1/metering.grpc.pb.h"
#include "llmgw/metering/v1/metering.pb.h"
#include "services/gateway/clients/usage_sink.h"
#include "services/gateway/storage/spool_file.h"

namespace llmgw::gateway {

class GrpcUsageShipper : public UsageSink {
 public:
  struct Options {
    std::string metering_target;  // "host:port"
    std::string internal_token;
    std::string spool_dir;      // holds usage.spool(.offset) and usage.deadletter; one per process
    size_t max_queue = 10'000;  // events in memory before the oldest batch spills to the spool
    // Events per IngestUsage call, and its serialized size (below gRPC's 4 MiB message limit).
    // Large batches on purpose: metering and PostgreSQL spend less per event in one big ingest,
    // and a host they share with the gateway is interrupted fewer times (bench/README.md).
    size_t batch_size = 2'000;
    size_t max_batch_bytes = 2 << 20;
    std::chrono::milliseconds flush_interval{200};  // longest an event waits for a full batch
    std::chrono::milliseconds rpc_deadline{5'000};
    std::chrono::milliseconds retry_interval{1'000};  // probe period while metering is down
    // Called on the sender thread with the ids of events that are now safe elsewhere: metering
    // acknowledged them, or they are in the spool or the dead-letter file (UsageJournal forgets
    // them then). Not called for events from the spool, nor for events that were lost.
    std::function<void(const std::vector<std::string>& event_ids)> on_durable;
  };

  // Starts the sender thread. `channel` is for tests; by default grpcutil::MakeChannel(target).
  // A spool that cannot be opened is logged; events that would need it are then counted dropped.
  GrpcUsageShipper(Options options, prometheus::Registry& registry,
                   std::shared_ptr<grpc::ChannelInterface> channel = nullptr);
  // Shutdown(0) if Shutdown was not called: whatever is still in memory goes to the spool.
  ~GrpcUsageShipper() override;
  GrpcUsageShipper(const GrpcUsageShipper&) = delete;
  GrpcUsageShipper& operator=(const GrpcUsageShipper&) = delete;

  // UsageSink
  void Emit(metering::v1::UsageEvent event) override;

  // Stops the sender: sends what is queued until `timeout` passes (or at once to the spool if
  // metering is down or the spool is not empty), spools the rest, fsyncs, joins. Idempotent.
  // Events emitted afterwards are written to the spool directly.
  void Shutdown(std::chrono::milliseconds timeout);

 private:
  using Clock = std::chrono::steady_clock;
  using Batch = std::vector<metering::v1::UsageEvent>;
  struct Pending {
    metering::v1::UsageEvent event;
    size_t bytes;  // serialized size
    Clock::time_point enqueued_at;
  };
  struct Call {
    grpc::ClientContext ctx;
    metering::v1::IngestUsageRequest request;
    metering::v1::IngestUsageResponse response;
    bool from_spool = false;
    bool commits_spool = false;  // the last piece of a spooled batch: commit spool_end after it
    uint64_t spool_end = 0;      // the spool offset to commit after an OK
    bool piece = false;          // a half of a batch metering rejected as invalid
    bool done = false;           // guarded by mu_
    grpc::Status status;         // guarded by mu_
  };

  void Run();
  // Sender-thread helpers; called without mu_ held.
  void StartCall(std::unique_ptr<Call> call);
  void HandleResult(Call& call);
  // The call's events, moved out of its request.
  static Batch TakeEvents(Call& call);
  // Replaces an invalid batch by its two halves at the front of split_.
  void SplitInvalid(Call& call);
  // Spools the queue's events among split_ (metering went down or shutdown), clears it, and
  // flushes the dead letters found so far.
  void SpoolSplitPieces(const char* why);
  // Writes the events refused on their own (dead_pending_) to the dead-letter file, in one
  // append and one log line.
  void FlushDeadLetters();
  bool SpoolPending();
  absl::Status EnsureSpool();
  void SpoolBatch(const Batch& batch, const char* why);
  void DeadLetter(const Batch& batch, const std::string& reason);
  std::unique_ptr<Call> CallFromSpool();
  void UpdateSpoolGauge();
  // Takes up to batch_size events (max_batch_bytes) from the queue; mu_ held.
  Batch TakeBatchLocked();
  bool QueueBatchReadyLocked(Clock::time_point now) const;
  template <typename Events>
  void ReportDurable(const Events& events);

  const Options options_;
  std::unique_ptr<metering::v1::MeteringService::StubInterface> stub_;

  prometheus::Counter& emitted_;
  prometheus::Counter& delivered_;
  prometheus::Counter& spooled_;
  prometheus::Counter& dropped_;
  prometheus::Counter& dead_lettered_;
  prometheus::Gauge& queue_depth_;
  prometheus::Gauge& spool_bytes_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;        // guarded by mu_
  size_t queued_bytes_ = 0;          // guarded by mu_: sum of queue_[i].bytes
  std::vector<Batch> overflow_;      // guarded by mu_: spilled batches not yet in the spool
  std::unique_ptr<Call> inflight_;   // guarded by mu_
  bool stopping_ = false;            // guarded by mu_
  bool sender_done_ = false;         // guarded by mu_: from then on Emit owns the spool
  Clock::time_point stop_deadline_;  // guarded by mu_

  // Owned by the sender thread (by Emit once sender_done_).
  std::unique_ptr<SpoolFile> spool_;
  std::unique_ptr<SpoolFile> dead_letter_;
  // Pieces of one batch metering rejected as invalid, sent before anything else, in order. They
  // are all from the queue or all from the spool.
  std::deque<std::unique_ptr<Call>> split_;
  Batch dead_pending_;       // refused alone, written once the split batch is done
  std::string dead_reason_;  // metering's message for the first of them
  bool down_ = false;        // the last call failed: only probe every retry_interval
  Clock::time_point next_probe_;

  std::mutex shutdown_mu_;  // serializes Shutdown callers
  std::thread sender_;
};

}  // namespace llmgw::gateway

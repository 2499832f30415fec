#include "services/gateway/clients/usage_shipper.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "libs/common/log.h"
#include "libs/common/thread.h"
#include "libs/grpc/internal_token.h"
#include "services/gateway/storage/dead_letters.h"

namespace llmgw::gateway {
namespace {

GrpcUsageShipper::Options Normalize(GrpcUsageShipper::Options o) {
  o.batch_size = std::max<size_t>(o.batch_size, 1);
  o.max_batch_bytes = std::max<size_t>(o.max_batch_bytes, 1);
  o.max_queue = std::max(o.max_queue, o.batch_size);
  return o;
}

prometheus::Counter& MakeCounter(prometheus::Registry& registry, const std::string& name,
                                 const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add({});
}

prometheus::Gauge& MakeGauge(prometheus::Registry& registry, const std::string& name,
                             const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add({});
}

}  // namespace

GrpcUsageShipper::GrpcUsageShipper(Options options, prometheus::Registry& registry,
                                   std::shared_ptr<grpc::ChannelInterface> channel)
    : options_(Normalize(std::move(options))),
      emitted_(MakeCounter(registry, "llmgw_gateway_usage_events_emitted_total",
                           "Usage events handed to the shipper.")),
      delivered_(MakeCounter(registry, "llmgw_gateway_usage_events_delivered_total",
                             "Usage events acknowledged by metering (retries count again).")),
      spooled_(MakeCounter(registry, "llmgw_gateway_usage_events_spooled_total",
                           "Usage events written to the on-disk spool.")),
      dropped_(MakeCounter(registry, "llmgw_gateway_usage_events_dropped_total",
                           "Usage events lost because the spool could not be written.")),
      dead_lettered_(MakeCounter(registry, "llmgw_gateway_usage_events_dead_lettered_total",
                                 "Usage events metering rejected as invalid, kept aside.")),
      queue_depth_(MakeGauge(registry, "llmgw_gateway_usage_queue_depth",
                             "Usage events waiting in memory.")),
      spool_bytes_(MakeGauge(registry, "llmgw_gateway_usage_spool_bytes",
                             "Size of the usage spool file in bytes.")) {
  if (!channel) channel = grpcutil::MakeChannel(options_.metering_target);
  stub_ = metering::v1::MeteringService::NewStub(channel);
  absl::Status s = EnsureSpool();
  if (!s.ok()) {
    log::Error("cannot open the usage spool; undeliverable usage events will be lost",
               {{"spool_dir", options_.spool_dir}, {"error", std::string(s.message())}});
  } else if (spool_->HasPending()) {
    log::Info("replaying usage events spooled by a previous process",
              {{"spool_bytes", spool_->size_bytes() - spool_->committed_offset()}});
  }
  UpdateSpoolGauge();
  sender_ = std::thread([this] { Run(); });
}

GrpcUsageShipper::~GrpcUsageShipper() { Shutdown(std::chrono::milliseconds(0)); }

template <typename Events>
void GrpcUsageShipper::ReportDurable(const Events& events) {
  if (!options_.on_durable) return;
  std::vector<std::string> ids;
  ids.reserve(static_cast<size_t>(events.size()));
  for (const metering::v1::UsageEvent& e : events) ids.push_back(e.event_id());
  options_.on_durable(ids);
}

void GrpcUsageShipper::Emit(metering::v1::UsageEvent event) {
  emitted_.Increment();
  const size_t bytes = event.ByteSizeLong();
  std::unique_lock<std::mutex> lock(mu_);
  if (sender_done_) {
    // After Shutdown there is no sender: the spool is the only durable place left.
    Batch late;
    late.push_back(std::move(event));
    SpoolBatch(late, "emitted after shutdown");
    return;
  }
  bool wake = false;
  if (queue_.size() >= options_.max_queue) {
    // Metering is slow: the sender thread moves the oldest batch to the spool, nothing is dropped.
    overflow_.push_back(TakeBatchLocked());
    wake = true;
  }
  queue_.push_back({std::move(event), bytes, Clock::now()});
  queued_bytes_ += bytes;
  queue_depth_.Set(static_cast<double>(queue_.size()));
  // Wake the sender for a first event (its flush timer starts) and when a batch is full.
  const bool bytes_full_now =
      queued_bytes_ >= options_.max_batch_bytes && queued_bytes_ - bytes < options_.max_batch_bytes;
  if (queue_.size() == 1 || queue_.size() == options_.batch_size || bytes_full_now) wake = true;
  lock.unlock();
  if (wake) cv_.notify_all();
}

void GrpcUsageShipper::Shutdown(std::chrono::milliseconds timeout) {
  std::lock_guard<std::mutex> serial(shutdown_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      stopping_ = true;
      stop_deadline_ = Clock::now() + timeout;
    }
  }
  cv_.notify_all();
  if (sender_.joinable()) sender_.join();
}

void GrpcUsageShipper::Run() {
  threads::NameThisThread("usage-shipper");
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    const Clock::time_point now = Clock::now();

    if (inflight_ && inflight_->done) {
      std::unique_ptr<Call> call = std::move(inflight_);
      lock.unlock();
      HandleResult(*call);
      call.reset();
      lock.lock();
      continue;
    }

    // Spilled batches wait while a queue batch is in flight: that batch is older and, if it
    // fails, must reach the spool first.
    const bool queue_call_inflight =
        (inflight_ && !inflight_->from_spool) || (!split_.empty() && !split_.front()->from_spool);
    if (!overflow_.empty() && !queue_call_inflight) {
      std::vector<Batch> spill;
      spill.swap(overflow_);
      lock.unlock();
      for (const Batch& b : spill) SpoolBatch(b, "queue full");
      lock.lock();
      continue;
    }

    if (stopping_) {
      if (!inflight_ && split_.empty() && queue_.empty() && overflow_.empty()) break;
      // Metering down, or older events already in the spool: the rest goes behind them on disk
      // at once; the next process delivers it.
      if (now >= stop_deadline_ || down_ || SpoolPending()) {
        if (inflight_) {
          Call* call = inflight_.get();
          lock.unlock();
          call->ctx.TryCancel();
          lock.lock();
          cv_.wait(lock, [call] { return call->done; });
          continue;
        }
        std::vector<Batch> rest;
        rest.swap(overflow_);
        while (!queue_.empty()) rest.push_back(TakeBatchLocked());
        lock.unlock();
        SpoolSplitPieces("shutdown");  // older than the rest
        for (const Batch& b : rest) SpoolBatch(b, "shutdown");
        lock.lock();
        continue;
      }
    }

    if (!inflight_) {
      if (!split_.empty()) {
        std::unique_ptr<Call> piece = std::move(split_.front());
        split_.pop_front();
        lock.unlock();
        StartCall(std::move(piece));
        lock.lock();
        continue;
      }
      if (SpoolPending()) {
        // Replay (or probe, while metering is down) from the spool head: spooled events go first.
        if (!down_ || now >= next_probe_) {
          lock.unlock();
          std::unique_ptr<Call> call = CallFromSpool();
          if (call) StartCall(std::move(call));
          lock.lock();
          continue;
        }
      } else if (QueueBatchReadyLocked(now)) {
        Batch batch = TakeBatchLocked();
        lock.unlock();
        auto call = std::make_unique<Call>();
        call->request.mutable_events()->Reserve(static_cast<int>(batch.size()));
        for (metering::v1::UsageEvent& e : batch) *call->request.add_events() = std::move(e);
        StartCall(std::move(call));
        lock.lock();
        continue;
      }
    }

    // Spooling mode: ready batches go straight to the spool, behind the head being probed.
    const bool spooling = down_ && SpoolPending() && !queue_call_inflight;
    if (spooling && QueueBatchReadyLocked(now)) {
      Batch batch = TakeBatchLocked();
      lock.unlock();
      SpoolBatch(batch, "metering down");
      lock.lock();
      continue;
    }

    // Sleep until something can happen: a call completes, Emit/Shutdown notifies, the oldest
    // queued event's flush interval ends, the next probe is due, or the shutdown deadline.
    Clock::time_point wake = Clock::time_point::max();
    const bool queue_usable = (!inflight_ && !SpoolPending()) || spooling;
    if (queue_usable && !queue_.empty()) {
      wake = std::min(wake, queue_.front().enqueued_at + options_.flush_interval);
    }
    if (!inflight_ && down_ && SpoolPending()) wake = std::min(wake, next_probe_);
    if (stopping_) wake = std::min(wake, stop_deadline_);
    if (wake == Clock::time_point::max()) {
      cv_.wait(lock);
    } else {
      cv_.wait_until(lock, wake);
    }
  }
  sender_done_ = true;
}

void GrpcUsageShipper::StartCall(std::unique_ptr<Call> call) {
  grpcutil::PrepareClientContext(call->ctx, options_.internal_token, options_.rpc_deadline);
  Call* raw = call.get();
  {
    std::lock_guard<std::mutex> lock(mu_);
    inflight_ = std::move(call);
  }
  stub_->async()->IngestUsage(&raw->ctx, &raw->request, &raw->response,
                              [this, raw](grpc::Status status) {
                                std::lock_guard<std::mutex> lock(mu_);
                                raw->status = std::move(status);
                                raw->done = true;
                                cv_.notify_all();
                              });
}

void GrpcUsageShipper::HandleResult(Call& call) {
  const size_t n = static_cast<size_t>(call.request.events_size());
  auto commit = [&] {
    absl::Status s = spool_->Commit(call.spool_end);
    if (!s.ok()) {
      // Delivered but not recorded as such: a restart resends them and metering dedupes.
      log::Error("cannot record the usage spool's replay position",
                 {{"error", std::string(s.message())}});
    } else if (!spool_->HasPending()) {
      log::Info("usage spool fully replayed");
    }
    UpdateSpoolGauge();
  };
  if (call.status.ok()) {
    delivered_.Increment(static_cast<double>(n));
    if (!call.from_spool) ReportDurable(call.request.events());
    if (down_) log::Info("metering reachable again; delivering spooled usage events");
    down_ = false;
    // A split batch ends here; its refused events are on disk before the spool forgets them
    // (the piece that commits the spool is always the last one).
    if (split_.empty()) FlushDeadLetters();
    if (call.commits_spool) commit();
    return;
  }
  if (call.status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    // Retrying a batch metering calls invalid would block the spool forever.
    down_ = false;
    if (n > 1) {
      if (!call.piece) {
        log::Warn("metering rejected a usage batch as invalid; resending it in halves",
                  {{"events", n}, {"error", call.status.error_message()}});
      }
      SplitInvalid(call);
      return;
    }
    if (dead_pending_.empty()) dead_reason_ = call.status.error_message();
    for (metering::v1::UsageEvent& e : TakeEvents(call)) dead_pending_.push_back(std::move(e));
    if (split_.empty()) FlushDeadLetters();
    if (call.commits_spool) commit();
    return;
  }
  if (!down_) {
    log::Warn("metering unreachable; spooling usage events",
              {{"code", static_cast<int>(call.status.error_code())},
               {"error", call.status.error_message()}});
  }
  down_ = true;
  next_probe_ = Clock::now() + options_.retry_interval;
  if (!call.from_spool) {
    SpoolBatch(TakeEvents(call), "metering down");
  }
  // The rest of a split batch follows it: into the spool, or, if it came from there, it is still
  // there uncommitted and is read again.
  SpoolSplitPieces("metering down");
}

GrpcUsageShipper::Batch GrpcUsageShipper::TakeEvents(Call& call) {
  auto* events = call.request.mutable_events();
  return Batch(std::make_move_iterator(events->begin()), std::make_move_iterator(events->end()));
}

void GrpcUsageShipper::FlushDeadLetters() {
  if (dead_pending_.empty()) return;
  Batch dead;
  dead.swap(dead_pending_);
  log::Error("metering rejected usage events as invalid; moving them to the dead-letter file",
             {{"events", dead.size()}, {"error", dead_reason_}});
  DeadLetter(dead, dead_reason_);
}

void GrpcUsageShipper::SplitInvalid(Call& call) {
  auto* events = call.request.mutable_events();
  const int half = events->size() / 2;
  auto left = std::make_unique<Call>();
  auto right = std::make_unique<Call>();
  for (Call* piece : {left.get(), right.get()}) {
    piece->from_spool = call.from_spool;
    piece->piece = true;
  }
  right->commits_spool = call.commits_spool;
  right->spool_end = call.spool_end;
  left->request.mutable_events()->Reserve(half);
  right->request.mutable_events()->Reserve(events->size() - half);
  for (int i = 0; i < events->size(); ++i) {
    Call& to = i < half ? *left : *right;
    *to.request.add_events() = std::move(*events->Mutable(i));
  }
  split_.push_front(std::move(right));
  split_.push_front(std::move(left));
}

void GrpcUsageShipper::SpoolSplitPieces(const char* why) {
  std::deque<std::unique_ptr<Call>> pieces;
  pieces.swap(split_);
  for (std::unique_ptr<Call>& piece : pieces) {
    if (piece->from_spool) continue;
    SpoolBatch(TakeEvents(*piece), why);
  }
  FlushDeadLetters();  // the split is over
}

std::unique_ptr<GrpcUsageShipper::Call> GrpcUsageShipper::CallFromSpool() {
  absl::StatusOr<SpoolFile::ReadResult> read =
      spool_->ReadCommitted(options_.batch_size, options_.max_batch_bytes);
  if (!read.ok()) {
    log::Error("cannot read the usage spool; retrying later",
               {{"error", std::string(read.status().message())}});
    down_ = true;
    next_probe_ = Clock::now() + options_.retry_interval;
    return nullptr;
  }
  auto call = std::make_unique<Call>();
  call->from_spool = true;
  call->commits_spool = true;
  call->spool_end = read->next_offset;
  for (const std::string& record : read->records) {
    metering::v1::UsageEvent event;
    if (!event.ParseFromString(record)) {
      // The CRC matched, so this was written unparseable: it can never be delivered.
      dropped_.Increment();
      log::Error("usage event lost: unparseable spool record", {{"bytes", record.size()}});
      continue;
    }
    *call->request.add_events() = std::move(event);
  }
  if (call->request.events_size() == 0) {
    absl::Status s = spool_->Commit(call->spool_end);
    if (!s.ok())
      log::Error("cannot skip a bad usage spool record", {{"error", std::string(s.message())}});
    UpdateSpoolGauge();
    return nullptr;
  }
  return call;
}

bool GrpcUsageShipper::SpoolPending() { return spool_ && spool_->HasPending(); }

absl::Status GrpcUsageShipper::EnsureSpool() {
  if (spool_) return absl::OkStatus();
  absl::StatusOr<std::unique_ptr<SpoolFile>> spool = SpoolFile::Open(SpoolPath(options_.spool_dir));
  if (!spool.ok()) return spool.status();
  spool_ = std::move(*spool);
  return absl::OkStatus();
}

void GrpcUsageShipper::SpoolBatch(const Batch& batch, const char* why) {
  if (batch.empty()) return;
  absl::Status s = EnsureSpool();
  if (s.ok()) {
    std::vector<std::string> records;
    records.reserve(batch.size());
    for (const metering::v1::UsageEvent& e : batch) records.push_back(e.SerializeAsString());
    s = spool_->Append(records);
  }
  if (s.ok()) {
    spooled_.Increment(static_cast<double>(batch.size()));
    UpdateSpoolGauge();
    ReportDurable(batch);
    return;
  }
  dropped_.Increment(static_cast<double>(batch.size()));
  log::Error("usage events lost: cannot write the spool", {{"events", batch.size()},
                                                           {"reason", why},
                                                           {"spool_dir", options_.spool_dir},
                                                           {"error", std::string(s.message())}});
}

void GrpcUsageShipper::DeadLetter(const Batch& batch, const std::string& reason) {
  absl::Status s;
  if (!dead_letter_) {
    absl::StatusOr<std::unique_ptr<SpoolFile>> f =
        SpoolFile::Open(DeadLetterPath(options_.spool_dir));
    if (f.ok()) {
      dead_letter_ = std::move(*f);
    } else {
      s = f.status();
    }
  }
  if (s.ok()) {
    std::vector<std::string> records;
    records.reserve(batch.size());
    for (const metering::v1::UsageEvent& e : batch) records.push_back(e.SerializeAsString());
    s = dead_letter_->Append(records);
  }
  if (s.ok()) {
    dead_lettered_.Increment(static_cast<double>(batch.size()));
    ReportDurable(batch);
    return;
  }
  dropped_.Increment(static_cast<double>(batch.size()));
  log::Error(
      "usage events lost: cannot write the dead-letter file",
      {{"events", batch.size()}, {"rejection", reason}, {"error", std::string(s.message())}});
}

void GrpcUsageShipper::UpdateSpoolGauge() {
  spool_bytes_.Set(spool_ ? static_cast<double>(spool_->size_bytes()) : 0.0);
}

GrpcUsageShipper::Batch GrpcUsageShipper::TakeBatchLocked() {
  const size_t limit = std::min(options_.batch_size, queue_.size());
  size_t n = 0, bytes = 0;
  // The first event always goes, whatever its size: a batch is never empty.
  while (n < limit && (n == 0 || bytes + queue_[n].bytes <= options_.max_batch_bytes)) {
    bytes += queue_[n].bytes;
    ++n;
  }
  Batch batch;
  batch.reserve(n);
  for (size_t i = 0; i < n; ++i) batch.push_back(std::move(queue_[i].event));
  queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
  queued_bytes_ -= bytes;
  queue_depth_.Set(static_cast<double>(queue_.size()));
  return batch;
}

bool GrpcUsageShipper::QueueBatchReadyLocked(Clock::time_point now) const {
  if (queue_.empty()) return false;
  return queue_.size() >= options_.batch_size || queued_bytes_ >= options_.max_batch_bytes ||
         stopping_ || now >= queue_.front().enqueued_at + options_.flush_interval;
}

}  // namespace llmgw::gateway

#include "services/billing/storage/hold_sweeper.h"

#include "libs/common/log.h"
#include "services/billing/domain/billing_rules.h"

namespace llmgw::billing {

HoldSweeper::HoldSweeper(BillingStore& store, const Clock& clock, Options options)
    : store_(store), clock_(clock), options_(std::move(options)) {}

HoldSweeper::~HoldSweeper() { Stop(); }

void HoldSweeper::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void HoldSweeper::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<int> HoldSweeper::SweepOnce() {
  int total = 0;
  while (true) {
    // Only holds expired for longer than the grace: a settle arriving just after expiry wins.
    absl::StatusOr<int> n = store_.SweepExpired(
        clock_.NowUnixMs() - kHoldSweepGraceSeconds * int64_t{1000}, options_.batch);
    if (!n.ok()) return n.status();
    total += *n;
    if (*n > 0 && options_.on_voided) options_.on_voided(*n);
    if (*n < options_.batch) return total;
  }
}

void HoldSweeper::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    lock.unlock();
    absl::StatusOr<int> n = SweepOnce();
    if (!n.ok()) {
      log::Warn("hold sweep failed", {{"error", std::string(n.status().message())}});
    } else if (*n > 0) {
      log::Info("expired holds voided", {{"count", *n}});
    }
    lock.lock();
    cv_.wait_for(lock, options_.interval, [this] { return stop_; });
  }
}

}  // namespace llmgw::billing

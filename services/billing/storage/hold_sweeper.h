#pragma once
// Voids expired holds in the background so a crashed or abandoned request never keeps an
// organization's money reserved. Several replicas may run one each (the store uses SKIP LOCKED).

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "libs/common/clock.h"
#include "services/billing/storage/billing_store.h"

namespace llmgw::billing {

class HoldSweeper {
 public:
  struct Options {
    std::chrono::milliseconds interval{2000};
    int batch = 500;
    std::function<void(int)> on_voided;  // called with the count of each non-empty sweep
  };
  HoldSweeper(BillingStore& store, const Clock& clock, Options options);
  ~HoldSweeper();  // stops the thread

  void Start();
  void Stop();
  // One pass: sweeps batches until fewer than `batch` holds expired. Returns the total voided.
  // Only holds that expired more than kHoldSweepGraceSeconds ago are voided.
  absl::StatusOr<int> SweepOnce();

 private:
  void Loop();

  BillingStore& store_;
  const Clock& clock_;
  Options options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace llmgw::billing

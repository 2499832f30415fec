#pragma once
// The billing price book, cached: readers get an immutable PriceTable snapshot without locking;
// PriceBookRefresher replaces it from billing ListPrices in the background.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "llmgw/billing/v1/billing.grpc.pb.h"
#include "services/gateway/domain/price_table.h"

namespace llmgw::gateway {

class PriceBook {
 public:
  // nullptr until the first load.
  std::shared_ptr<const PriceTable> Current() const { return table_.load(); }
  bool loaded() const { return Current() != nullptr; }
  void Set(std::shared_ptr<const PriceTable> table) { table_.store(std::move(table)); }
  int margin_percent() const { return margin_percent_.load(); }
  void set_margin_percent(int p) { margin_percent_.store(p); }

 private:
  std::atomic<std::shared_ptr<const PriceTable>> table_;
  std::atomic<int> margin_percent_{0};
};

// A billing price row as the price table holds it (catalog matchers parsed).
PricedModel PricedModelFromProto(const billing::v1::ModelPrice& p);

// One ListPrices call, as a PriceTable.
absl::StatusOr<std::shared_ptr<const PriceTable>> FetchPrices(
    billing::v1::BillingService::StubInterface& stub, const std::string& internal_token,
    int* margin_percent);

// Loads at start (retrying every `retry` while billing is down), then refreshes every `refresh`.
class PriceBookRefresher {
 public:
  PriceBookRefresher(std::shared_ptr<grpc::Channel> channel, std::string internal_token,
                     PriceBook& book, std::chrono::milliseconds refresh = std::chrono::seconds(60),
                     std::chrono::milliseconds retry = std::chrono::seconds(2));
  ~PriceBookRefresher();  // stops the thread

 private:
  void Loop();

  std::unique_ptr<billing::v1::BillingService::Stub> stub_;
  std::string internal_token_;
  PriceBook& book_;
  std::chrono::milliseconds refresh_, retry_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace llmgw::gateway

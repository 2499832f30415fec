#include "services/gateway/clients/settle_queue.h"

#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace llmgw::gateway {
namespace {

using namespace std::chrono_literals;

// Billing as the queue sees it: answers each call at once with what `answer` says.
class ScriptedBilling : public BillingHolds {
 public:
  std::function<absl::Status(const std::string& kind, const std::string& id)> answer =
      [](const std::string&, const std::string&) { return absl::OkStatus(); };

  void Hold(HoldOrder, Done<absl::StatusOr<HoldReceipt>> done) override {
    done(absl::UnimplementedError("not used"));
  }
  void Settle(std::string request_id, money::Nano cost, std::string description,
              Done<absl::StatusOr<SettleReceipt>> done) override {
    absl::Status s = Answer("settle", request_id, cost);
    if (!s.ok()) return done(s);
    done(SettleReceipt{.provider_cost = cost, .total = cost, .charged = cost});
  }
  void Void(std::string request_id, Done<absl::Status> done) override {
    done(Answer("void", request_id, 0));
  }
  std::vector<std::string> acknowledged() {
    std::lock_guard<std::mutex> lock(mu_);
    return acknowledged_;
  }
  int calls() const { return calls_.load(); }

 private:
  absl::Status Answer(const std::string& kind, const std::string& id, money::Nano cost) {
    ++calls_;
    absl::Status s = answer(kind, id);
    if (s.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      acknowledged_.push_back(kind + ":" + id + ":" + std::to_string(cost));
    }
    return s;
  }
  std::mutex mu_;
  std::vector<std::string> acknowledged_;
  std::atomic<int> calls_{0};
};

class SettleQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/settle_queue_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<SettleQueue> Start(ScriptedBilling& billing) {
    SettleQueue::Options o;
    o.spool_dir = dir_;
    o.retry_min = 5ms;
    o.retry_max = 20ms;
    auto q = SettleQueue::Start(o, billing, registry_);
    EXPECT_TRUE(q.ok()) << q.status();
    return q.ok() ? std::move(*q) : nullptr;
  }
  static bool WaitFor(const std::function<bool()>& done) {
    for (int i = 0; i < 500 && !done(); ++i) std::this_thread::sleep_for(10ms);
    return done();
  }

  prometheus::Registry registry_;
  std::string dir_;
};

TEST_F(SettleQueueTest, DeliversSettlesAndVoids) {
  ScriptedBilling billing;
  auto q = Start(billing);
  q->Enqueue({SettleCommand::Kind::kSettle, "r1", 1500, "gpt-4o-mini"});
  q->Enqueue({SettleCommand::Kind::kVoid, "r2", 0, ""});
  ASSERT_TRUE(WaitFor([&] { return q->pending() == 0; }));
  EXPECT_THAT(billing.acknowledged(),
              ::testing::UnorderedElementsAre("settle:r1:1500", "void:r2:0"));
}

TEST_F(SettleQueueTest, BillingDownOnlyDelaysTheCharge) {
  ScriptedBilling billing;
  std::atomic<bool> down{true};
  billing.answer = [&](const std::string&, const std::string&) {
    return down ? absl::UnavailableError("billing down") : absl::OkStatus();
  };
  auto q = Start(billing);
  for (int i = 0; i < 20; ++i) {
    q->Enqueue({SettleCommand::Kind::kSettle, "r" + std::to_string(i), 100 + i, "m"});
  }
  ASSERT_TRUE(WaitFor([&] { return billing.calls() >= 60; }));  // several rounds of retries
  EXPECT_EQ(q->pending(), 20u);
  EXPECT_TRUE(billing.acknowledged().empty());
  down = false;
  ASSERT_TRUE(WaitFor([&] { return q->pending() == 0; }));
  EXPECT_EQ(billing.acknowledged().size(), 20u);  // each once
}

TEST_F(SettleQueueTest, WhatARestartFindsInTheJournalIsDeliveredOnce) {
  {
    ScriptedBilling unreachable;
    unreachable.answer = [](const std::string&, const std::string&) {
      return absl::DeadlineExceededError("slow");
    };
    auto q = Start(unreachable);
    q->Enqueue({SettleCommand::Kind::kSettle, "a", 7, "m"});
    q->Enqueue({SettleCommand::Kind::kVoid, "b", 0, ""});
    q->Shutdown(0ms);  // gives up at once: both stay journaled
    EXPECT_EQ(q->pending(), 2u);
  }
  ScriptedBilling billing;
  auto q = Start(billing);
  ASSERT_TRUE(WaitFor([&] { return q->pending() == 0; }));
  EXPECT_THAT(billing.acknowledged(), ::testing::UnorderedElementsAre("settle:a:7", "void:b:0"));
  q.reset();
  // Delivered and forgotten: a third start has nothing to send.
  ScriptedBilling third;
  q = Start(third);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(q->pending(), 0u);
  EXPECT_TRUE(third.acknowledged().empty());
}

TEST_F(SettleQueueTest, AFinalRefusalIsNotRetried) {
  ScriptedBilling billing;
  billing.answer = [](const std::string&, const std::string&) {
    return absl::NotFoundError("no hold");
  };
  auto q = Start(billing);
  q->Enqueue({SettleCommand::Kind::kSettle, "gone", 5, "m"});
  q->Enqueue({SettleCommand::Kind::kVoid, "gone2", 0, ""});
  ASSERT_TRUE(WaitFor([&] { return q->pending() == 0; }));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(billing.calls(), 2);
}

TEST_F(SettleQueueTest, ShutdownWaitsForWhatIsOwedUntilItsDeadline) {
  ScriptedBilling billing;
  std::atomic<int> failures{3};
  billing.answer = [&](const std::string&, const std::string&) {
    return failures-- > 0 ? absl::UnavailableError("blip") : absl::OkStatus();
  };
  auto q = Start(billing);
  q->Enqueue({SettleCommand::Kind::kSettle, "r", 9, "m"});
  q->Shutdown(5s);
  EXPECT_EQ(q->pending(), 0u);
  EXPECT_THAT(billing.acknowledged(), ::testing::ElementsAre("settle:r:9"));
}

}  // namespace
}  // namespace llmgw::gateway

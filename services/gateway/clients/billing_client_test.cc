// GrpcBillingClient against billing's real gRPC service on PostgreSQL: concurrent calls share
// Batch RPCs and are still answered one by one; an older billing without Batch gets one RPC per
// call; an unreachable billing fails every call with UNAVAILABLE.
#include "services/gateway/clients/billing_client.h"

#include <prometheus/registry.h>

#include <boost/asio/thread_pool.hpp>
#include <future>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/grpc/internal_token.h"
#include "libs/grpc/server.h"
#include "libs/metrics/metrics.h"
#include "libs/pg/migrate.h"
#include "libs/testing/pg_test_db.h"
#include "libs/testing/status_matchers.h"
#include "services/billing/api/billing_service.h"
#include "services/billing/domain/billing_rules.h"
#include "services/billing/storage/billing_invariants.h"
#include "services/billing/storage/pg_billing_store.h"

namespace llmgw::gateway {
namespace {

using ::llmgw::test::IsOk;
namespace v1 = billing::v1;

constexpr char kToken[] = "billing-client-test-token-0123456789";
constexpr char kOrg[] = "0b6f2a0e-3c1d-4e5f-8a9b-0c1d2e3f4a5b";

// Handled calls of one method, from the server's metrics.
double Handled(prometheus::Registry& registry, const std::string& method) {
  double n = 0;
  for (const auto& family : registry.Collect()) {
    if (family.name != "llmgw_grpc_server_handled_total") continue;
    for (const auto& m : family.metric) {
      for (const auto& label : m.label) {
        if (label.name == "method" && label.value == method) n += m.counter.value;
      }
    }
  }
  return n;
}

class BillingClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = test::PgTestDb::Create();
    auto pool = pg::PgPool::Create({.url = db_->url(), .size = 4});
    ASSERT_THAT(pool, IsOk());
    pool_ = std::move(*pool);
    ASSERT_THAT(pg::ApplyMigrations(*pool_, "billing", billing::billingMigrations()), IsOk());
    store_ = std::make_unique<billing::PgBillingStore>(*pool_);
    // Not started: calls wait in its queue until a test starts it.
    committer_ =
        std::make_unique<billing::GroupCommitter>(*store_, billing::GroupCommitter::Options{});
    service_ = std::make_unique<billing::BillingService>(
        *store_, grpcutil::HandlerEnv{kToken, &workers_, &grpc_metrics_},
        billing::BillingServiceOptions{.margin_percent = 20, .group_commit = committer_.get()});
    auto server = grpcutil::GrpcServer::Start("127.0.0.1:0", {service_.get()});
    ASSERT_THAT(server, IsOk());
    server_ = std::move(*server);
    channel_ = grpcutil::MakeChannel("127.0.0.1:" + std::to_string(server_->port()));
    auto topup = store_->Charge(kOrg, "topup", 1'000'000'000, "top-up");
    ASSERT_THAT(topup, IsOk());
  }
  void TearDown() override {
    if (committer_) committer_->Start();  // answers whatever still waits
    if (server_) server_->Shutdown(std::chrono::seconds(1));
    if (committer_) committer_->Stop();
    if (pool_) EXPECT_THAT(billing::test::CheckInvariants(*pool_), IsOk());
  }

  std::unique_ptr<test::PgTestDb> db_;
  std::unique_ptr<pg::PgPool> pool_;
  std::unique_ptr<billing::PgBillingStore> store_;
  std::unique_ptr<billing::GroupCommitter> committer_;
  boost::asio::thread_pool workers_{4};
  prometheus::Registry registry_;
  metrics::GrpcServerMetrics grpc_metrics_{registry_, "billing"};
  std::unique_ptr<billing::BillingService> service_;
  std::unique_ptr<grpcutil::GrpcServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(BillingClientTest, ConcurrentCallsShareBatchRpcsAndAreAnsweredOneByOne) {
  GrpcBillingClient client(channel_, kToken, {}, {.max_in_flight = 1});
  constexpr int kCalls = 200;
  std::vector<std::promise<absl::StatusOr<HoldReceipt>>> held(kCalls);
  for (int i = 0; i < kCalls; ++i) {
    client.Hold({.organization_id = kOrg,
                 .request_id = "r-" + std::to_string(i),
                 .provider_cost_bound = 1000 + i},
                [&held, i](absl::StatusOr<HoldReceipt> r) { held[i].set_value(std::move(r)); });
  }
  // The first call's RPC waits in billing until the committer starts; every other call waited
  // for it on the client, so they all go in one more RPC.
  committer_->Start();
  for (int i = 0; i < kCalls; ++i) {
    absl::StatusOr<HoldReceipt> r = held[i].get_future().get();
    ASSERT_THAT(r, IsOk());
    const int64_t bound = 1000 + i;
    EXPECT_EQ(r->held, *billing::HoldAmount(bound, 20)) << i;  // its own bound + 20%
    EXPECT_EQ(r->margin_percent, 20);
  }
  EXPECT_EQ(Handled(registry_, "Batch"), 2);
  EXPECT_EQ(Handled(registry_, "Hold"), kCalls);  // each call counted under its own name
  // Settles for every other request, plus two for requests never held: those two alone fail.
  std::vector<std::promise<absl::StatusOr<SettleReceipt>>> settled(kCalls / 2 + 2);
  for (int i = 0; i < kCalls / 2 + 2; ++i) {
    std::string id =
        i < kCalls / 2 ? "r-" + std::to_string(2 * i) : "never-held-" + std::to_string(i);
    client.Settle(id, 100, "gpt-4o-mini", [&settled, i](absl::StatusOr<SettleReceipt> r) {
      settled[i].set_value(std::move(r));
    });
  }
  for (int i = 0; i < kCalls / 2 + 2; ++i) {
    absl::StatusOr<SettleReceipt> r = settled[i].get_future().get();
    if (i < kCalls / 2) {
      ASSERT_THAT(r, IsOk());
      EXPECT_EQ(r->total, 120);
      EXPECT_EQ(r->charged, 120);
    } else {
      EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
    }
  }
  std::promise<absl::Status> voided;
  client.Void("r-1", [&voided](absl::Status s) { voided.set_value(s); });
  EXPECT_THAT(voided.get_future().get(), IsOk());

  EXPECT_EQ(Handled(registry_, "Settle"), kCalls / 2 + 2);
  EXPECT_EQ(Handled(registry_, "Void"), 1);
  auto balance = store_->GetBalance(kOrg);
  ASSERT_THAT(balance, IsOk());
  EXPECT_EQ(balance->balance, 1'000'000'000 - 120 * (kCalls / 2));
}

// A billing that predates Batch: only the single-call RPCs.
class OldBilling final : public v1::BillingService::CallbackService {
 public:
  grpc::ServerUnaryReactor* Hold(grpc::CallbackServerContext* ctx, const v1::HoldRequest* req,
                                 v1::HoldResponse* resp) override {
    resp->set_held_nano(req->provider_cost_bound_nano());
    resp->set_margin_percent(7);
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

TEST(BillingClientFallback, AnOlderBillingWithoutBatchGetsOneRpcPerCall) {
  OldBilling old;
  auto server = grpcutil::GrpcServer::Start("127.0.0.1:0", {&old});
  ASSERT_THAT(server, IsOk());
  GrpcBillingClient client(grpcutil::MakeChannel("127.0.0.1:" + std::to_string((*server)->port())),
                           kToken);
  for (int round = 0; round < 2; ++round) {  // the first finds out, the second knows
    std::vector<std::promise<absl::StatusOr<HoldReceipt>>> held(20);
    for (int i = 0; i < 20; ++i) {
      client.Hold({.organization_id = kOrg, .request_id = "x", .provider_cost_bound = 10 + i},
                  [&held, i](absl::StatusOr<HoldReceipt> r) { held[i].set_value(std::move(r)); });
    }
    for (int i = 0; i < 20; ++i) {
      absl::StatusOr<HoldReceipt> r = held[i].get_future().get();
      ASSERT_THAT(r, IsOk());
      EXPECT_EQ(r->held, 10 + i);
      EXPECT_EQ(r->margin_percent, 7);
    }
  }
  std::promise<absl::Status> settled;
  client.Settle("x", 1, "",
                [&settled](absl::StatusOr<SettleReceipt> r) { settled.set_value(r.status()); });
  EXPECT_EQ(settled.get_future().get().code(), absl::StatusCode::kUnimplemented);
  (*server)->Shutdown(std::chrono::seconds(1));
}

TEST(BillingClientFallback, AnUnreachableBillingFailsEveryCallWithUnavailable) {
  GrpcBillingClient client(grpcutil::MakeChannel("127.0.0.1:1"), kToken,
                           {.hold = std::chrono::milliseconds(500)});
  std::vector<std::promise<absl::Status>> done(5);
  for (int i = 0; i < 5; ++i) {
    client.Hold({.organization_id = kOrg, .request_id = "y", .provider_cost_bound = 1},
                [&done, i](absl::StatusOr<HoldReceipt> r) { done[i].set_value(r.status()); });
  }
  for (auto& d : done) {
    absl::StatusCode code = d.get_future().get().code();
    EXPECT_TRUE(code == absl::StatusCode::kUnavailable ||
                code == absl::StatusCode::kDeadlineExceeded)
        << code;
  }
}

// A billing whose Batch answers every call OK at once, or keeps the batches with holds, or those
// with settles, unanswered until Release(). A test releases it before the server shuts down.
class StallingBilling final : public v1::BillingService::CallbackService {
 public:
  grpc::ServerUnaryReactor* Batch(grpc::CallbackServerContext* ctx, const v1::BatchRequest* req,
                                  v1::BatchResponse* resp) override {
    bool holds = false;
    for (const v1::BatchCall& c : req->calls()) {
      v1::BatchResult* r = resp->add_results();
      if (c.has_hold()) {
        holds = true;
        r->mutable_hold()->set_held_nano(c.hold().provider_cost_bound_nano());
      } else {
        r->mutable_settle()->set_total_nano(1);
      }
    }
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    std::lock_guard<std::mutex> lock(mu);
    ++batches;
    if (holds ? stall_holds : stall_settles) {
      stalled.push_back(reactor);
    } else {
      reactor->Finish(grpc::Status::OK);
    }
    return reactor;
  }
  // Answers what it kept, and every batch from now on at once.
  void Release() {
    std::lock_guard<std::mutex> lock(mu);
    stall_holds = stall_settles = false;
    for (grpc::ServerUnaryReactor* r : stalled) r->Finish(grpc::Status::OK);
    stalled.clear();
  }

  std::mutex mu;
  bool stall_holds = false;
  bool stall_settles = false;
  int batches = 0;
  std::vector<grpc::ServerUnaryReactor*> stalled;
};

// Releases the billing when the test ends, however it ends: the server cannot shut down while
// calls are kept.
struct ReleaseAtEnd {
  StallingBilling& billing;
  ~ReleaseAtEnd() { billing.Release(); }
};

TEST(BillingClientLanes, ABacklogOfSettlesNeverDelaysAHold) {
  StallingBilling billing;
  billing.stall_settles = true;
  auto server = grpcutil::GrpcServer::Start("127.0.0.1:0", {&billing});
  ASSERT_THAT(server, IsOk());
  ReleaseAtEnd release{billing};
  {
    GrpcBillingClient client(
        grpcutil::MakeChannel("127.0.0.1:" + std::to_string((*server)->port())), kToken, {},
        {.max_in_flight = 1});
    std::vector<std::promise<absl::Status>> settled(3);
    for (int i = 0; i < 3; ++i) {  // the first goes and stalls, two wait behind it
      client.Settle(
          "s-" + std::to_string(i), 1, "",
          [&settled, i](absl::StatusOr<SettleReceipt> r) { settled[i].set_value(r.status()); });
    }
    std::promise<absl::StatusOr<HoldReceipt>> held;
    client.Hold({.organization_id = kOrg, .request_id = "h", .provider_cost_bound = 7},
                [&held](absl::StatusOr<HoldReceipt> r) { held.set_value(std::move(r)); });
    auto hold = held.get_future();
    ASSERT_EQ(hold.wait_for(std::chrono::seconds(4)), std::future_status::ready);
    absl::StatusOr<HoldReceipt> r = hold.get();
    ASSERT_THAT(r, IsOk());
    EXPECT_EQ(r->held, 7);
    std::vector<std::future<absl::Status>> pending;
    for (auto& p : settled) pending.push_back(p.get_future());
    EXPECT_EQ(pending[0].wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
    billing.Release();  // the first settle batch, then the two queued behind it
    for (auto& f : pending) EXPECT_THAT(f.get(), IsOk());
    EXPECT_EQ(billing.batches, 3);  // stalled settle, hold, the other two settles together
  }
  (*server)->Shutdown(std::chrono::seconds(1));
}

TEST(BillingClientLanes, ACallsDeadlineCountsFromWhenItWasMadeNotWhenItIsSent) {
  StallingBilling billing;
  billing.stall_holds = true;
  auto server = grpcutil::GrpcServer::Start("127.0.0.1:0", {&billing});
  ASSERT_THAT(server, IsOk());
  ReleaseAtEnd release{billing};
  {
    GrpcBillingClient client(
        grpcutil::MakeChannel("127.0.0.1:" + std::to_string((*server)->port())), kToken,
        {.hold = std::chrono::seconds(1)}, {.max_in_flight = 1});
    std::promise<absl::Status> first, second;
    const auto start = std::chrono::steady_clock::now();
    client.Hold({.organization_id = kOrg, .request_id = "a", .provider_cost_bound = 1},
                [&first](absl::StatusOr<HoldReceipt> r) { first.set_value(r.status()); });
    client.Hold({.organization_id = kOrg, .request_id = "b", .provider_cost_bound = 1},
                [&second](absl::StatusOr<HoldReceipt> r) { second.set_value(r.status()); });
    EXPECT_EQ(first.get_future().get().code(), absl::StatusCode::kDeadlineExceeded);
    // The second waited behind the first for its whole second: it is not sent with a new one.
    EXPECT_EQ(second.get_future().get().code(), absl::StatusCode::kDeadlineExceeded);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1700));
  }
  billing.Release();
  (*server)->Shutdown(std::chrono::seconds(1));
}

}  // namespace
}  // namespace llmgw::gateway

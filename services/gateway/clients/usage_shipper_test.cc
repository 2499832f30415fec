#include "services/gateway/clients/usage_shipper.h"

#include <prometheus/registry.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/grpc/internal_token.h"
#include "libs/grpc/server.h"
#include "llmgw/metering/v1/metering.grpc.pb.h"
#include "services/gateway/storage/spool_file.h"

namespace llmgw::gateway {
namespace {

using metering::v1::UsageEvent;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr char kToken[] = "test-internal-token";

// Records the event ids of every accepted IngestUsage call, in arrival order. It can answer
// UNAVAILABLE or INVALID_ARGUMENT instead, or hold calls until released.
class FakeMetering final : public metering::v1::MeteringService::Service {
 public:
  enum class Mode { kOk, kUnavailable, kInvalid };

  grpc::Status IngestUsage(grpc::ServerContext* ctx, const metering::v1::IngestUsageRequest* req,
                           metering::v1::IngestUsageResponse* resp) override {
    grpc::Status auth = grpcutil::CheckInternalToken(*ctx, kToken);
    if (!auth.ok()) return auth;
    std::unique_lock<std::mutex> lock(mu_);
    ++calls_;
    cv_.notify_all();
    cv_.wait(lock, [this] { return !hold_; });
    if (mode_ == Mode::kUnavailable) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "down");
    if (mode_ == Mode::kInvalid) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad event");
    }
    for (const UsageEvent& e : req->events()) ids_.push_back(e.event_id());
    resp->set_inserted(req->events_size());
    return grpc::Status::OK;
  }

  void SetMode(Mode m) {
    std::lock_guard<std::mutex> lock(mu_);
    mode_ = m;
  }
  void SetHold(bool hold) {
    std::lock_guard<std::mutex> lock(mu_);
    hold_ = hold;
    cv_.notify_all();
  }
  std::vector<std::string> ids() {
    std::lock_guard<std::mutex> lock(mu_);
    return ids_;
  }
  int calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  Mode mode_ = Mode::kOk;
  bool hold_ = false;
  int calls_ = 0;
  std::vector<std::string> ids_;
};

double Metric(prometheus::Registry& registry, const std::string& name) {
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    if (family.name != name || family.metric.empty()) continue;
    const prometheus::ClientMetric& m = family.metric[0];
    return family.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
  }
  ADD_FAILURE() << "no metric " << name;
  return -1;
}

// Polls `pred` every 5 ms for up to 15 s.
bool WaitFor(const std::function<bool()>& pred) {
  auto deadline = std::chrono::steady_clock::now() + 15s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

UsageEvent MakeEvent(int i) {
  UsageEvent e;
  e.set_event_id(absl::StrCat("evt-", i));
  e.set_organization_id("org-1");
  e.set_credential_id("cred-1");
  e.set_mode(metering::v1::MODE_PASSTHROUGH);
  e.set_provider("openai");
  e.set_model("gpt-4o-mini");
  e.set_endpoint("/chat/completions");
  e.set_input_tokens(100 + i);
  e.set_output_tokens(7);
  e.set_cost_nano(1234 * (i + 1));
  e.set_status_code(200);
  e.set_requested_at_unix_ms(1'700'000'000'000 + i);
  return e;
}

std::vector<std::string> Ids(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back(absl::StrCat("evt-", i));
  return out;
}

class UsageShipperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/usage_shipper_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    StartServer("127.0.0.1:0");
  }
  void TearDown() override {
    StopServer();
    std::filesystem::remove_all(dir_);
  }

  void StartServer(const std::string& address) {
    fake_ = std::make_unique<FakeMetering>();
    auto server = grpcutil::GrpcServer::Start(address, {fake_.get()});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    port_ = server_->port();
  }
  void StopServer() {
    if (fake_) fake_->SetHold(false);
    server_.reset();
  }

  GrpcUsageShipper::Options Opts() {
    GrpcUsageShipper::Options o;
    o.metering_target = absl::StrCat("127.0.0.1:", port_);
    o.internal_token = kToken;
    o.spool_dir = dir_ + "/spool";
    o.batch_size = 100;
    o.flush_interval = 20ms;
    o.retry_interval = 100ms;
    return o;
  }
  uint64_t SpoolFileSize() {
    std::error_code ec;
    auto size = std::filesystem::file_size(dir_ + "/spool/usage.spool", ec);
    return ec ? 0 : size;
  }

  std::string dir_;
  int port_ = 0;
  std::unique_ptr<FakeMetering> fake_;
  std::unique_ptr<grpcutil::GrpcServer> server_;
};

TEST_F(UsageShipperTest, DeliversEveryEventExactlyOnceInOrder) {
  prometheus::Registry registry;
  GrpcUsageShipper::Options o = Opts();
  o.batch_size = 500;
  o.flush_interval = 60s;  // only full batches leave, however slow this machine is
  GrpcUsageShipper shipper(o, registry);
  for (int i = 0; i < 1000; ++i) shipper.Emit(MakeEvent(i));

  ASSERT_TRUE(WaitFor([&] { return fake_->ids().size() >= 1000; }));
  EXPECT_EQ(fake_->ids(), Ids(0, 1000));
  EXPECT_EQ(fake_->calls(), 2);  // two full batches of 500
  EXPECT_TRUE(WaitFor(
      [&] { return Metric(registry, "llmgw_gateway_usage_events_delivered_total") == 1000; }));
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_events_emitted_total"), 1000);
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_events_spooled_total"), 0);
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_events_dropped_total"), 0);
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_queue_depth"), 0);
  EXPECT_EQ(SpoolFileSize(), 0u);
}

TEST_F(UsageShipperTest, SpoolsWhileMeteringIsDownAndReplaysInOrder) {
  fake_->SetMode(FakeMetering::Mode::kUnavailable);
  prometheus::Registry registry;
  GrpcUsageShipper shipper(Opts(), registry);
  for (int i = 0; i < 1000; ++i) shipper.Emit(MakeEvent(i));

  ASSERT_TRUE(WaitFor(
      [&] { return Metric(registry, "llmgw_gateway_usage_events_spooled_total") == 1000; }));
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_queue_depth"), 0);
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_events_delivered_total"), 0);
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_events_dropped_total"), 0);
  uint64_t spool_size = SpoolFileSize();
  EXPECT_GT(spool_size, 1000u * SpoolFile::kHeaderBytes);
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_spool_bytes"), static_cast<double>(spool_size));
  // Probes keep coming while it is down, and none is accepted.
  int calls_while_down = fake_->calls();
  EXPECT_GE(calls_while_down, 1);
  EXPECT_TRUE(WaitFor([&] { return fake_->calls() > calls_while_down; }));
  EXPECT_TRUE(fake_->ids().empty());

  // Newer events emitted while the spool holds older ones are delivered after them.
  for (int i = 1000; i < 1050; ++i) shipper.Emit(MakeEvent(i));
  fake_->SetMode(FakeMetering::Mode::kOk);
  ASSERT_TRUE(WaitFor([&] { return fake_->ids().size() >= 1050; }));
  EXPECT_EQ(fake_->ids(), Ids(0, 1050));
  ASSERT_TRUE(WaitFor(
      [&] { return Metric(registry, "llmgw_gateway_usage_events_delivered_total") == 1050; }));
  EXPECT_TRUE(WaitFor([&] { return Metric(registry, "llmgw_gateway_usage_spool_bytes") == 0; }));
  EXPECT_EQ(SpoolFileSize(), 0u);
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_events_dropped_total"), 0);
}

TEST_F(UsageShipperTest, NewInstanceReplaysSpoolLeftByPreviousProcess) {
  // Metering is gone entirely (not just refusing): nothing listens on its port.
  StopServer();
  {
    prometheus::Registry registry;
    GrpcUsageShipper crashed(Opts(), registry);
    for (int i = 0; i < 300; ++i) crashed.Emit(MakeEvent(i));
    ASSERT_TRUE(WaitFor(
        [&] { return Metric(registry, "llmgw_gateway_usage_events_spooled_total") == 300; }));
    EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_events_delivered_total"), 0);
    // Destroyed without a Shutdown call: only the spool carries the events over.
  }
  ASSERT_GT(SpoolFileSize(), 0u);

  StartServer(absl::StrCat("127.0.0.1:", port_));  // metering restarts on the same port
  prometheus::Registry registry;
  GrpcUsageShipper restarted(Opts(), registry);
  ASSERT_TRUE(WaitFor([&] { return fake_->ids().size() >= 300; }));
  EXPECT_EQ(fake_->ids(), Ids(0, 300));
  ASSERT_TRUE(WaitFor([&] { return SpoolFileSize() == 0; }));
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_events_delivered_total"), 300);
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_events_emitted_total"), 0);
}

TEST_F(UsageShipperTest, ShutdownFlushesQueuedEvents) {
  prometheus::Registry registry;
  GrpcUsageShipper::Options o = Opts();
  o.batch_size = 500;
  o.flush_interval = 60s;  // nothing leaves on its own during this test
  GrpcUsageShipper shipper(o, registry);
  for (int i = 0; i < 50; ++i) shipper.Emit(MakeEvent(i));
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_queue_depth"), 50);
  EXPECT_EQ(fake_->calls(), 0);

  shipper.Shutdown(5s);
  EXPECT_EQ(fake_->ids(), Ids(0, 50));
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_events_delivered_total"), 50);
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_events_spooled_total"), 0);
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_queue_depth"), 0);
  EXPECT_EQ(SpoolFileSize(), 0u);
}

TEST_F(UsageShipperTest, ShutdownWhileMeteringIsDownSpoolsEverything) {
  fake_->SetMode(FakeMetering::Mode::kUnavailable);
  prometheus::Registry registry;
  GrpcUsageShipper::Options o = Opts();
  o.flush_interval = 60s;
  o.batch_size = 20;
  GrpcUsageShipper shipper(o, registry);
  for (int i = 0; i < 50; ++i) shipper.Emit(MakeEvent(i));
  shipper.Shutdown(5s);
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_events_spooled_total"), 50);
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_events_delivered_total"), 0);
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_queue_depth"), 0);

  // A late event after Shutdown still lands in the spool.
  shipper.Emit(MakeEvent(50));
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_events_spooled_total"), 51);
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_events_dropped_total"), 0);
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_spool_bytes"),
            static_cast<double>(SpoolFileSize()));
}

TEST_F(UsageShipperTest, QueueOverflowSpillsToTheSpoolAndLosesNothing) {
  prometheus::Registry registry;
  GrpcUsageShipper::Options o = Opts();
  o.max_queue = 100;
  o.batch_size = 10;
  o.flush_interval = 200ms;
  GrpcUsageShipper shipper(o, registry);

  fake_->SetHold(true);  // metering is slow: the first call hangs
  for (int i = 0; i < 10; ++i) shipper.Emit(MakeEvent(i));
  ASSERT_TRUE(WaitFor([&] { return fake_->calls() == 1; }));
  for (int i = 10; i < 1000; ++i) shipper.Emit(MakeEvent(i));
  // 990 events against a 100-event queue: 89 batches of 10 spilled, the newest 100 kept.
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_queue_depth"), 100);
  fake_->SetHold(false);

  ASSERT_TRUE(WaitFor([&] { return fake_->ids().size() >= 1000; }));
  EXPECT_EQ(fake_->ids(), Ids(0, 1000));
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_events_spooled_total"), 890);
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_events_dropped_total"), 0);
  ASSERT_TRUE(WaitFor(
      [&] { return Metric(registry, "llmgw_gateway_usage_events_delivered_total") == 1000; }));
  EXPECT_TRUE(WaitFor([&] { return SpoolFileSize() == 0; }));
}

TEST_F(UsageShipperTest, UnwritableSpoolCountsDroppedEventsAndLogsAnError) {
  fake_->SetMode(FakeMetering::Mode::kUnavailable);
  std::ofstream(dir_ + "/blocker") << "a file where the spool directory should be";
  prometheus::Registry registry;
  GrpcUsageShipper::Options o = Opts();
  o.spool_dir = dir_ + "/blocker/spool";
  o.batch_size = 10;

  ::testing::internal::CaptureStderr();
  {
    GrpcUsageShipper shipper(o, registry);
    for (int i = 0; i < 20; ++i) shipper.Emit(MakeEvent(i));
    EXPECT_TRUE(WaitFor(
        [&] { return Metric(registry, "llmgw_gateway_usage_events_dropped_total") == 20; }));
  }
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(err, HasSubstr("usage events lost: cannot write the spool"));
  EXPECT_THAT(err, HasSubstr(R"("level":"error")"));
  EXPECT_THAT(err, ::testing::Not(HasSubstr(kToken)));
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_events_dropped_total"), 20);
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_events_emitted_total"), 20);
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_events_spooled_total"), 0);
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_events_delivered_total"), 0);
}

TEST_F(UsageShipperTest, InvalidBatchGoesToDeadLetterFileAndIsNotRetried) {
  fake_->SetMode(FakeMetering::Mode::kInvalid);
  prometheus::Registry registry;
  GrpcUsageShipper::Options o = Opts();
  o.flush_interval = 60s;
  {
    GrpcUsageShipper shipper(o, registry);
    for (int i = 0; i < 5; ++i) shipper.Emit(MakeEvent(i));
    shipper.Shutdown(5s);
  }
  EXPECT_EQ(fake_->calls(), 1);
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_events_dead_lettered_total"), 5);
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_events_spooled_total"), 0);
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_events_dropped_total"), 0);

  auto dead = SpoolFile::Open(dir_ + "/spool/usage.deadletter");
  ASSERT_TRUE(dead.ok()) << dead.status();
  auto read = (*dead)->ReadCommitted(100);
  ASSERT_TRUE(read.ok()) << read.status();
  std::vector<std::string> ids;
  for (const std::string& r : read->records) {
    UsageEvent e;
    ASSERT_TRUE(e.ParseFromString(r));
    ids.push_back(e.event_id());
  }
  EXPECT_EQ(ids, Ids(0, 5));
}

}  // namespace
}  // namespace llmgw::gateway

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
#include "services/gateway/storage/dead_letters.h"
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
    if (mode_ == Mode::kUnavailable || calls_ == fail_call_) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "down");
    }
    if (mode_ == Mode::kInvalid) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad event");
    }
    for (const UsageEvent& e : req->events()) {
      if (poison_.count(e.event_id()) > 0) {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad event " + e.event_id());
      }
    }
    for (const UsageEvent& e : req->events()) ids_.push_back(e.event_id());
    call_bytes_.push_back(req->ByteSizeLong());
    resp->set_inserted(req->events_size());
    return grpc::Status::OK;
  }

  void SetMode(Mode m) {
    std::lock_guard<std::mutex> lock(mu_);
    mode_ = m;
  }
  // Switches to `m`, and the `n`th call from now on answers UNAVAILABLE (once).
  void SetModeAndFailCall(Mode m, int n) {
    std::lock_guard<std::mutex> lock(mu_);
    mode_ = m;
    fail_call_ = calls_ + n;
  }
  // A call holding this event is refused as invalid, like metering refuses a whole batch for one
  // bad event.
  void Poison(const std::string& event_id) {
    std::lock_guard<std::mutex> lock(mu_);
    poison_.insert(event_id);
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
  // The serialized size of every accepted call's request.
  std::vector<size_t> call_bytes() {
    std::lock_guard<std::mutex> lock(mu_);
    return call_bytes_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  Mode mode_ = Mode::kOk;
  bool hold_ = false;
  int calls_ = 0;
  int fail_call_ = -1;
  std::vector<std::string> ids_;
  std::vector<size_t> call_bytes_;
  std::set<std::string> poison_;
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

std::vector<std::string> Ids(int from, int to, const std::set<int>& except = {}) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) {
    if (except.count(i) == 0) out.push_back(absl::StrCat("evt-", i));
  }
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
  // Metering is down while events 0-49 (evt-5 refused as invalid, later) reach the spool as one
  // batch of 50.
  void SpoolABatchWithBadEvent5(prometheus::Registry& registry,
                                std::unique_ptr<GrpcUsageShipper>& shipper) {
    fake_->SetMode(FakeMetering::Mode::kUnavailable);
    fake_->Poison("evt-5");
    GrpcUsageShipper::Options o = Opts();
    o.batch_size = 50;
    shipper = std::make_unique<GrpcUsageShipper>(o, registry);
    for (int i = 0; i < 50; ++i) shipper->Emit(MakeEvent(i));
    ASSERT_TRUE(WaitFor(
        [&] { return Metric(registry, "llmgw_gateway_usage_events_spooled_total") == 50; }));
  }
  // The event ids in the dead-letter file, in order.
  std::vector<std::string> DeadLetterIds() {
    std::vector<std::string> ids;
    auto dead = SpoolFile::Open(dir_ + "/spool/usage.deadletter");
    EXPECT_TRUE(dead.ok()) << dead.status();
    if (!dead.ok()) return ids;
    auto read = (*dead)->ReadCommitted(100'000);
    EXPECT_TRUE(read.ok()) << read.status();
    if (!read.ok()) return ids;
    for (const std::string& r : read->records) {
      UsageEvent e;
      EXPECT_TRUE(e.ParseFromString(r));
      ids.push_back(e.event_id());
    }
    return ids;
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

// Each event here is ~1 KB, so 4 fit under a 5,000-byte batch limit where 100 events would be
// allowed by count. Live batches and spool replays both keep to the limit, in order.
TEST_F(UsageShipperTest, BatchesStayUnderTheByteLimitLiveAndFromTheSpool) {
  auto big_event = [](int i) {
    UsageEvent e = MakeEvent(i);
    e.set_endpoint(std::string(1000, 'p'));
    return e;
  };
  const size_t event_bytes = big_event(0).ByteSizeLong();
  ASSERT_GT(event_bytes, 1000u);
  ASSERT_LT(event_bytes, 1250u);
  constexpr size_t kLimit = 5000;

  prometheus::Registry registry;
  GrpcUsageShipper::Options o = Opts();
  o.max_batch_bytes = kLimit;
  o.flush_interval = 60s;  // only batches full by bytes leave before Shutdown
  {
    GrpcUsageShipper shipper(o, registry);
    // A batch leaves once the queue holds the limit's worth: 41 events make 10 batches of 4,
    // and the last one waits (4 of them would be only ~4,400 bytes).
    for (int i = 0; i < 41; ++i) shipper.Emit(big_event(i));
    ASSERT_TRUE(WaitFor([&] { return fake_->ids().size() >= 40; }));
    EXPECT_EQ(fake_->ids(), Ids(0, 40));
    EXPECT_EQ(fake_->calls(), 10);
    for (size_t bytes : fake_->call_bytes()) EXPECT_LE(bytes, kLimit + 16);
    // The shipper has every answer too: Shutdown below cannot cancel a call metering already took
    // (that batch would be spooled and delivered again, which is correct but not this test).
    ASSERT_TRUE(WaitFor(
        [&] { return Metric(registry, "llmgw_gateway_usage_events_delivered_total") == 40; }));

    // Metering down: the rest goes to the spool; when it is back it comes out of the spool under
    // the same limit.
    fake_->SetMode(FakeMetering::Mode::kUnavailable);
    for (int i = 41; i < 80; ++i) shipper.Emit(big_event(i));
    shipper.Shutdown(0ms);
  }
  ASSERT_GE(Metric(registry, "llmgw_gateway_usage_events_spooled_total"), 40);
  fake_->SetMode(FakeMetering::Mode::kOk);
  prometheus::Registry registry2;
  GrpcUsageShipper replayer(o, registry2);
  ASSERT_TRUE(WaitFor([&] { return fake_->ids().size() >= 80; }));
  EXPECT_EQ(fake_->ids(), Ids(0, 80));
  EXPECT_GE(fake_->call_bytes().size(), 20u);
  for (size_t bytes : fake_->call_bytes()) EXPECT_LE(bytes, kLimit + 16);
  EXPECT_EQ(Metric(registry2, "llmgw_gateway_usage_events_dropped_total"), 0);
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
  // 5, then halves 2 and 3, down to each event alone: 9 calls, and never the same one again.
  EXPECT_EQ(fake_->calls(), 9);
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_events_dead_lettered_total"), 5);
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_events_spooled_total"), 0);
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_events_dropped_total"), 0);
  EXPECT_EQ(DeadLetterIds(), Ids(0, 5));
}

// Events metering refused, requeued by the operator once metering takes them, are delivered by
// the next gateway on that directory.
TEST_F(UsageShipperTest, RequeuedDeadLettersAreDeliveredByTheNextShipper) {
  fake_->SetMode(FakeMetering::Mode::kInvalid);
  prometheus::Registry registry;
  {
    GrpcUsageShipper shipper(Opts(), registry);
    for (int i = 0; i < 5; ++i) shipper.Emit(MakeEvent(i));
    shipper.Shutdown(5s);
  }
  ASSERT_EQ(Metric(registry, "llmgw_gateway_usage_events_dead_lettered_total"), 5);
  fake_->SetMode(FakeMetering::Mode::kOk);
  auto moved = RequeueDeadLetters(dir_ + "/spool");
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(*moved, 5u);

  prometheus::Registry registry2;
  GrpcUsageShipper shipper(Opts(), registry2);
  ASSERT_TRUE(WaitFor([&] { return fake_->ids().size() >= 5; }));
  EXPECT_EQ(fake_->ids(), Ids(0, 5));
  EXPECT_TRUE(WaitFor([&] { return SpoolFileSize() == 0; }));
}

// One bad event must not cost the batch it travels in: the batch is resent in halves until the
// events metering refuses are alone, and only those are dead-lettered.
TEST_F(UsageShipperTest, OnlyTheEventsMeteringRefusesAloneAreDeadLettered) {
  const std::set<int> bad = {37, 38, 90};
  for (int i : bad) fake_->Poison(absl::StrCat("evt-", i));
  prometheus::Registry registry;
  GrpcUsageShipper::Options o = Opts();
  o.batch_size = 100;
  o.flush_interval = 60s;
  ::testing::internal::CaptureStderr();
  auto shipper = std::make_unique<GrpcUsageShipper>(o, registry);
  for (int i = 0; i < 100; ++i) shipper->Emit(MakeEvent(i));
  ASSERT_TRUE(WaitFor(
      [&] { return Metric(registry, "llmgw_gateway_usage_events_dead_lettered_total") == 3; }));
  // Every answer is in (not only at metering): the reset below then cancels no call.
  ASSERT_TRUE(WaitFor(
      [&] { return Metric(registry, "llmgw_gateway_usage_events_delivered_total") == 97; }));
  shipper.reset();  // it holds the dead-letter file
  const std::string err = ::testing::internal::GetCapturedStderr();
  // One warning for the batch, one error for its three refused events together.
  auto count = [&](const std::string& needle) {
    size_t n = 0;
    for (size_t at = err.find(needle); at != std::string::npos; at = err.find(needle, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("resending it in halves"), 1u) << err;
  EXPECT_EQ(count("moving them to the dead-letter file"), 1u) << err;
  EXPECT_THAT(err, HasSubstr(R"("events":3)"));
  EXPECT_EQ(fake_->ids(), Ids(0, 100, bad));
  EXPECT_EQ(DeadLetterIds(), (std::vector<std::string>{"evt-37", "evt-38", "evt-90"}));
  EXPECT_LE(fake_->calls(), 1 + 2 * 7 * 3);  // at most 7 halvings per bad event
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_events_delivered_total"), 97);
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_events_dropped_total"), 0);
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_events_spooled_total"), 0);
}

// The same for a batch replayed from the spool: the spool is committed only after its last piece,
// and newer events come after all of them.
TEST_F(UsageShipperTest, SpooledBatchWithABadEventIsSplitAndTheSpoolEmptied) {
  prometheus::Registry registry;
  std::unique_ptr<GrpcUsageShipper> shipper;
  ASSERT_NO_FATAL_FAILURE(SpoolABatchWithBadEvent5(registry, shipper));
  for (int i = 50; i < 60; ++i) shipper->Emit(MakeEvent(i));
  fake_->SetMode(FakeMetering::Mode::kOk);
  ASSERT_TRUE(WaitFor([&] { return fake_->ids().size() >= 59; }));
  EXPECT_TRUE(WaitFor([&] { return SpoolFileSize() == 0; }));
  shipper.reset();  // it holds the dead-letter file
  EXPECT_EQ(fake_->ids(), Ids(0, 60, {5}));
  EXPECT_EQ(DeadLetterIds(), std::vector<std::string>{"evt-5"});
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_events_dropped_total"), 0);
}

// Metering goes down in the middle of a spooled batch's pieces: the pieces already delivered do
// not commit the batch, so the rest is read from the spool again and nothing is lost.
TEST_F(UsageShipperTest, SpooledBatchSplitWhenMeteringFailsMidwayLosesNothing) {
  prometheus::Registry registry;
  std::unique_ptr<GrpcUsageShipper> shipper;
  ASSERT_NO_FATAL_FAILURE(SpoolABatchWithBadEvent5(registry, shipper));
  // The replay's calls: [0,50) [0,25) [0,12) [0,6) refused; [0,3) ok; [3,6) refused; [3,4) ok;
  // [4,6) refused; [4,5) ok; [5,6) dead-lettered; [6,12) ok; then [12,25) meets metering down.
  fake_->SetModeAndFailCall(FakeMetering::Mode::kOk, 12);
  ASSERT_TRUE(WaitFor([&] { return SpoolFileSize() == 0 && fake_->ids().size() >= 49; }));
  shipper.reset();
  std::vector<std::string> ids = fake_->ids();
  std::set<std::string> distinct(ids.begin(), ids.end());
  std::vector<std::string> want = Ids(0, 50, {5});
  EXPECT_EQ(distinct, std::set<std::string>(want.begin(), want.end()));
  EXPECT_GT(ids.size(), distinct.size());  // the first pieces were delivered twice, as intended
  std::vector<std::string> dead = DeadLetterIds();
  EXPECT_FALSE(dead.empty());
  for (const std::string& id : dead) EXPECT_EQ(id, "evt-5");
  EXPECT_EQ(Metric(registry, "llmgw_gateway_usage_events_dropped_total"), 0);
}

}  // namespace
}  // namespace llmgw::gateway

#include "libs/grpc/server.h"

#include <grpcpp/health_check_service_interface.h>

#include <thread>

#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "llmgw/billing/v1/billing.grpc.pb.h"

namespace llmgw::grpcutil {
namespace {

namespace billingpb = llmgw::billing::v1;

// A service whose one method answers through ServeUnary, to test the shared handler path.
class EchoPrices final : public billingpb::BillingService::CallbackService {
 public:
  explicit EchoPrices(HandlerEnv env) : env_(std::move(env)) {}
  grpc::ServerUnaryReactor* ListPrices(grpc::CallbackServerContext* ctx,
                                       const billingpb::ListPricesRequest*,
                                       billingpb::ListPricesResponse* resp) override {
    return ServeUnary(ctx, env_, "ListPrices", [resp]() -> absl::Status {
      resp->set_margin_percent(20);
      return absl::OkStatus();
    });
  }

 private:
  HandlerEnv env_;
};

class GrpcServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    service_ = std::make_unique<EchoPrices>(HandlerEnv{kToken, &pool_, nullptr});
    auto server = GrpcServer::Start("127.0.0.1:0", {service_.get()});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    channel_ = MakeChannel("127.0.0.1:" + std::to_string(server_->port()));
  }
  static constexpr char kToken[] = "test-internal-token-0123456789";
  boost::asio::thread_pool pool_{2};
  std::unique_ptr<EchoPrices> service_;
  std::unique_ptr<GrpcServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(GrpcServerTest, HealthIsServingThenNotServingAfterShutdown) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::health::v1::HealthCheckRequest req;
  grpc::health::v1::HealthCheckResponse resp;
  ASSERT_TRUE(health->Check(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_F(GrpcServerTest, InternalTokenIsRequired) {
  auto stub = billingpb::BillingService::NewStub(channel_);
  billingpb::ListPricesRequest req;
  billingpb::ListPricesResponse resp;
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    EXPECT_EQ(stub->ListPrices(&ctx, req, &resp).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext ctx;
    PrepareClientContext(ctx, "wrong-token-wrong-token-wrong", std::chrono::seconds(5));
    EXPECT_EQ(stub->ListPrices(&ctx, req, &resp).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext ctx;
    PrepareClientContext(ctx, kToken, std::chrono::seconds(5));
    ASSERT_TRUE(stub->ListPrices(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.margin_percent(), 20);
  }
}

// An idle channel keeps pinging its server; the server must take that calmly, or it answers with
// GOAWAY "too_many_pings" and the next call on the channel fails (seen from the dashboard after a
// quiet minute). Both sides are scaled down here: the server accepts pings 500 ms apart and the
// client sends one a second (gRPC's floor), idle for 4.5 s. With gRPC's server defaults the
// third ping gets the GOAWAY.
TEST(GrpcKeepaliveTest, IdleClientPingsKeepTheChannelReady) {
  constexpr char kToken[] = "test-internal-token-0123456789";
  boost::asio::thread_pool pool{1};
  EchoPrices service(HandlerEnv{kToken, &pool, nullptr});
  auto server = GrpcServer::Start("127.0.0.1:0", {&service}, std::chrono::milliseconds(500));
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel = MakeChannel("127.0.0.1:" + std::to_string((*server)->port()),
                             std::chrono::milliseconds(1000));
  auto stub = billingpb::BillingService::NewStub(channel);
  auto call = [&] {
    billingpb::ListPricesRequest req;
    billingpb::ListPricesResponse resp;
    grpc::ClientContext ctx;
    PrepareClientContext(ctx, kToken, std::chrono::seconds(5));
    return stub->ListPrices(&ctx, req, &resp);
  };
  ASSERT_TRUE(call().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(4500));
  EXPECT_EQ(channel->GetState(false), GRPC_CHANNEL_READY);
  grpc::Status after_idle = call();
  EXPECT_TRUE(after_idle.ok()) << after_idle.error_message();
}

TEST(StatusConversion, CodesMapOneToOne) {
  EXPECT_EQ(ToGrpc(absl::ResourceExhaustedError("x")).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  absl::Status back = FromGrpc(grpc::Status(grpc::StatusCode::UNAVAILABLE, "down"));
  EXPECT_EQ(back.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(back.message(), "down");
}

}  // namespace
}  // namespace llmgw::grpcutil

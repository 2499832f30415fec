// Reseller mode end to end, in process: the real gateway HTTP server on port 0, a fake accounts
// validator, the REAL billing service (gRPC on port 0 over a fresh PostgreSQL database), an
// in-memory usage sink and a fake provider speaking OpenAI's and Anthropic's formats.

#include "services/gateway/api/reseller_handler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <prometheus/registry.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "libs/grpc/internal_token.h"
#include "libs/grpc/server.h"
#include "libs/pg/migrate.h"
#include "libs/pg/pool.h"
#include "libs/testing/pg_test_db.h"
#include "libs/testing/status_matchers.h"
#include "nlohmann/json.hpp"
#include "services/billing/api/billing_service.h"
#include "services/billing/storage/pg_billing_store.h"
#include "services/gateway/api/fake_provider_for_test.h"
#include "services/gateway/api/gateway_handler.h"
#include "services/gateway/clients/billing_client.h"
#include "services/gateway/clients/settle_queue.h"

namespace llmgw::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using json = nlohmann::json;
using tcp = asio::ip::tcp;
using ::llmgw::test::IsOk;
using ::testing::HasSubstr;

constexpr char kToken[] = "reseller-test-internal-token-0123456789";
constexpr char kOrg[] = "0b6f2a0e-3c1d-4e5f-8a9b-0c1d2e3f4a5b";
constexpr char kPoorOrg[] = "9a1e4c3b-2d5f-4a6b-8c7d-1e2f3a4b5c6d";
constexpr int64_t kTopUp = 10'000'000'000;  // $10
constexpr int64_t kPoorTopUp = 1'000;       // 1,000 nano-USD: below any hold here
constexpr char kOpenAIKey[] = "sk-operator-openai";
constexpr char kAnthropicKey[] = "sk-ant-operator";

// ---- fakes

class FakeValidator : public CredentialValidator {
 public:
  void ValidateMonitorToken(std::string token, Done done) override {
    done(token == "mon_good" ? CredentialValidation{true, kOrg, "mon-1"} : CredentialValidation{});
  }
  void ValidateApiKey(std::string key, Done done) override {
    if (unavailable) {
      done(absl::UnavailableError("accounts down"));
      return;
    }
    auto it = keys.find(key);
    done(it == keys.end() ? CredentialValidation{} : it->second);
  }
  std::map<std::string, CredentialValidation> keys;
  std::atomic<bool> unavailable{false};
};

using testsupport::InMemorySink;

// Forwards to a BillingHolds chosen at run time (the real client, or one to a closed port), with
// faults injected on demand.
class SwitchableHolds : public BillingHolds {
 public:
  void Hold(HoldOrder order, Done<absl::StatusOr<HoldReceipt>> done) override {
    last_hold_bound = order.provider_cost_bound;
    if (hold_commits_then_times_out) {
      // Billing commits the hold, but the answer comes too late for the gateway.
      target.load()->Hold(std::move(order), [done = std::move(done)](absl::StatusOr<HoldReceipt> r) {
        done(r.ok() ? absl::DeadlineExceededError("Deadline Exceeded") : r.status());
      });
      return;
    }
    target.load()->Hold(std::move(order), std::move(done));
  }
  void Settle(std::string id, money::Nano cost, std::string description,
              Done<absl::StatusOr<SettleReceipt>> done) override {
    ++settles;
    if (settle_failures.fetch_sub(1) > 0) {  // billing restarting
      done(absl::UnavailableError("failed to connect to all addresses"));
      return;
    }
    target.load()->Settle(std::move(id), cost, std::move(description), std::move(done));
  }
  void Void(std::string id, Done<absl::Status> done) override {
    ++voids;
    target.load()->Void(std::move(id), std::move(done));
  }
  std::atomic<BillingHolds*> target{nullptr};
  std::atomic<money::Nano> last_hold_bound{0};
  std::atomic<bool> hold_commits_then_times_out{false};
  std::atomic<int> settle_failures{0};  // the next this many settles fail with UNAVAILABLE
  std::atomic<int> settles{0};
  std::atomic<int> voids{0};
};

using Recorded = testsupport::RecordedRequest;

constexpr char kChatJson[] =
    R"({"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-mini-2024-07-18",)"
    R"("choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],)"
    R"("usage":{"prompt_tokens":12,"completion_tokens":30,"total_tokens":42,)"
    R"("prompt_tokens_details":{"cached_tokens":2}}})";
constexpr char kAnthropicJson[] =
    R"({"id":"msg_1","type":"message","role":"assistant","model":"claude-3-5-sonnet-20241022",)"
    R"("content":[{"type":"text","text":"hi there"}],"stop_reason":"end_turn",)"
    R"("usage":{"input_tokens":10,"output_tokens":20}})";
const std::vector<std::string> kOpenAIEvents = {
    "data: {\"id\":\"c\",\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,"
    "\"delta\":{\"role\":\"assistant\"}}],\"usage\":null}\n\n",
    "data: {\"id\":\"c\",\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,"
    "\"delta\":{\"content\":\"Hello\"},\"finish_reason\":\"stop\"}],\"usage\":null}\n\n",
    "data: {\"id\":\"c\",\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[],\"usage\":"
    "{\"prompt_tokens\":5,\"completion_tokens\":7,\"total_tokens\":12}}\n\n",
    "data: [DONE]\n\n"};
const std::vector<std::string> kAnthropicEvents = {
    "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_2\","
    "\"model\":\"claude-3-5-sonnet-20241022\",\"usage\":{\"input_tokens\":25,"
    "\"output_tokens\":1}}}\n\n",
    "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
    "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
    "event: ping\ndata: {\"type\":\"ping\"}\n\n",
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
    "\"delta\":{\"type\":\"text_delta\",\"text\":\"Hel\"}}\n\n",
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
    "\"delta\":{\"type\":\"text_delta\",\"text\":\"lo\"}}\n\n",
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
    "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
    "\"end_turn\"},\"usage\":{\"output_tokens\":9}}\n\n",
    "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"};

// A provider speaking OpenAI and Anthropic: failures, cut streams and chosen models on demand.
class FakeProvider : public testsupport::FakeHttpServer {
 public:
  FakeProvider() {
    Start([this](const Request& req, const Recorded& r, tcp::socket& socket) {
      return Respond(req, r, socket);
    });
  }
  ~FakeProvider() override { Stop(); }

  std::atomic<int> fail_status{0};  // answer every request with this status
  std::atomic<int> cut_after{0};    // streams: close the connection after this many events
  // Non-streaming OpenAI answers: the "model" they name and their x-request-id (when not empty).
  void SetJsonModelAndRequestId(std::string model, std::string request_id) {
    std::lock_guard<std::mutex> lock(mu_);
    json_model_ = std::move(model);
    json_request_id_ = std::move(request_id);
  }

 private:
  bool Respond(const Request& req, const Recorded& r, tcp::socket& socket) {
    beast::error_code ec;
    const bool anthropic = r.target == "/v1/messages";
    auto body = json::parse(req.body(), nullptr, false);
    const bool stream = body.is_object() && body.value("stream", false);
    if (fail_status != 0) {
      http::response<http::string_body> res(static_cast<http::status>(fail_status.load()), 11);
      res.set(http::field::content_type, "application/json");
      res.body() = anthropic ? R"({"type":"error","error":{"type":"api_error","message":"boom"}})"
                             : R"({"error":{"message":"boom","type":"server_error","param":null,)"
                               R"("code":null}})";
      res.prepare_payload();
      http::write(socket, res, ec);
    } else if (stream) {
      http::response<http::empty_body> res(http::status::ok, 11);
      res.set(http::field::content_type, "text/event-stream");
      res.chunked(true);
      http::response_serializer<http::empty_body> sr(res);
      http::write_header(socket, sr, ec);
      const auto& events = anthropic ? kAnthropicEvents : kOpenAIEvents;
      const int cut = cut_after.load();
      for (size_t i = 0; i < events.size(); ++i) {
        if (cut > 0 && static_cast<int>(i) == cut) {
          socket.shutdown(tcp::socket::shutdown_both, ec);
          return false;
        }
        if (!ec) asio::write(socket, http::make_chunk(asio::buffer(events[i])), ec);
      }
      if (!ec) asio::write(socket, http::make_chunk_last(), ec);
    } else {
      http::response<http::string_body> res(http::status::ok, 11);
      res.set(http::field::content_type, "application/json");
      res.body() = anthropic ? kAnthropicJson : kChatJson;
      std::lock_guard<std::mutex> lock(mu_);
      if (!anthropic && !json_model_.empty()) {
        json j = json::parse(kChatJson);
        j["model"] = json_model_;
        res.body() = j.dump();
      }
      if (!anthropic && !json_request_id_.empty()) res.set("x-request-id", json_request_id_);
      res.prepare_payload();
      http::write(socket, res, ec);
    }
    return !ec;
  }

  std::mutex mu_;
  std::string json_model_, json_request_id_;
};

int ClosedPort() {
  asio::io_context ioc;
  tcp::acceptor a(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

PricedModel Price(std::string provider, std::string model, int64_t in, int64_t out,
                  int64_t max_out) {
  PricedModel m;
  m.provider = std::move(provider);
  m.model = std::move(model);
  m.price.input_per_mtok = in;
  m.price.output_per_mtok = out;
  m.max_output_tokens = max_out;
  return m;
}

// The `data:` payloads of an SSE body, in order.
std::vector<std::string> DataLines(const std::string& body) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t end = body.find("\n\n", pos);
    if (end == std::string::npos) end = body.size();
    std::string event = body.substr(pos, end - pos);
    if (event.rfind("data: ", 0) == 0) out.push_back(event.substr(6));
    pos = end + 2;
  }
  return out;
}

// ---- fixture

class ResellerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Billing, for real.
    db_ = test::PgTestDb::Create();
    auto pool = pg::PgPool::Create({.url = db_->url(), .size = 4});
    ASSERT_THAT(pool, IsOk());
    pool_ = std::move(*pool);
    ASSERT_THAT(pg::ApplyMigrations(*pool_, "billing", billing::billingMigrations()), IsOk());
    store_ = std::make_unique<billing::PgBillingStore>(*pool_);
    billing_service_ = std::make_unique<billing::BillingService>(
        *store_, grpcutil::HandlerEnv{kToken, &workers_, nullptr},
        billing::BillingServiceOptions{.margin_percent = 20,
                                       .hold_ttl = std::chrono::seconds(600)});
    auto billing_server = grpcutil::GrpcServer::Start("127.0.0.1:0", {billing_service_.get()});
    ASSERT_THAT(billing_server, IsOk());
    billing_server_ = std::move(*billing_server);
    auto channel = grpcutil::MakeChannel("127.0.0.1:" + std::to_string(billing_server_->port()));
    billing_stub_ = billing::v1::BillingService::NewStub(channel);
    billing_client_ = std::make_unique<GrpcBillingClient>(channel, kToken);
    holds_.target = billing_client_.get();
    char spool[] = "/tmp/reseller_test_spool.XXXXXX";
    ASSERT_NE(::mkdtemp(spool), nullptr);
    spool_dir_ = spool;
    auto settles = SettleQueue::Start({.spool_dir = spool_dir_,
                                       .retry_min = std::chrono::milliseconds(5),
                                       .retry_max = std::chrono::milliseconds(20)},
                                      holds_, registry_);
    ASSERT_TRUE(settles.ok()) << settles.status();
    settles_ = std::move(*settles);
    TopUp(kOrg, kTopUp);
    TopUp(kPoorOrg, kPoorTopUp);

    // The gateway.
    const std::string base = "http://127.0.0.1:" + std::to_string(provider_.port());
    endpoints_[0] = *ParseBaseUrl(base + "/v1");
    endpoints_[1] = *ParseBaseUrl(base);
    endpoints_[2] = *ParseBaseUrl(base + "/v1beta/openai");
    endpoints_[3] = *ParseBaseUrl(base + "/v1");
    prices_.Set(std::make_shared<const PriceTable>(std::vector<PricedModel>{
        Price("openai", "gpt-4o-mini", 150'000'000, 600'000'000, 16384),
        Price("anthropic", "claude-3-5-sonnet-20241022", 3'000'000'000, 15'000'000'000, 8192),
        Price("xai", "grok-beta", 5'000'000'000, 15'000'000'000, 16384)}));
    validator_.keys["llm_sk_good"] = CredentialValidation{true, kOrg, "key-1"};
    validator_.keys["llm_sk_poor"] = CredentialValidation{true, kPoorOrg, "key-2"};
    cache_ = std::make_unique<AuthCache>(clock_, AuthCache::Options{});
    auth_ = std::make_unique<Authenticator>(validator_, *cache_);
    metrics_ = std::make_unique<GatewayMetrics>(registry_);
    reseller_metrics_ = std::make_unique<ResellerMetrics>(registry_);
    client_ = std::make_unique<UpstreamClient>();
    ResellerOptions options;
    options.operator_keys[static_cast<size_t>(Provider::kOpenAI)] = kOpenAIKey;
    options.operator_keys[static_cast<size_t>(Provider::kAnthropic)] = kAnthropicKey;
    controls_ = std::make_unique<RequestControls>(RequestControls::Deps{
        .billing = &holds_, .settles = settles_.get(), .metrics = reseller_metrics_.get(),
        .clock = clock_});
    reseller_ = std::make_unique<ResellerHandler>(
        ResellerHandler::Deps{.auth = *auth_,
                              .upstream = *client_,
                              .endpoints = endpoints_,
                              .prices = prices_,
                              .controls = *controls_,
                              .usage = sink_,
                              .options = options,
                              .metrics = metrics_.get(),
                              .reseller_metrics = reseller_metrics_.get(),
                              .clock = clock_});
    handler_ = std::make_unique<GatewayHandler>([this] { return prices_.loaded(); }, metrics_.get(),
                                                1 << 20);
    passthrough_ =
        std::make_unique<PassthroughHandler>(PassthroughHandler::Deps{.auth = *auth_,
                                                                      .upstream = *client_,
                                                                      .endpoints = endpoints_,
                                                                      .prices = prices_,
                                                                      .usage = sink_,
                                                                      .clock = clock_});
    handler_->Register(RouteKind::kResellerChat, reseller_.get());
    handler_->Register(RouteKind::kResellerModels, reseller_.get());
    handler_->Register(RouteKind::kPassthrough, passthrough_.get());
    HttpServerOptions opts = GatewayServerOptions();
    opts.address = "127.0.0.1:0";
    opts.threads = 2;
    auto server = HttpServer::Start(opts, *handler_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  void TearDown() override {
    if (server_) server_->Stop(std::chrono::seconds(1));
    if (client_) client_->CloseIdle();
    server_.reset();
    provider_.Stop();
    if (settles_) settles_->Shutdown(std::chrono::seconds(5));
    if (billing_server_) billing_server_->Shutdown(std::chrono::seconds(1));
    if (!spool_dir_.empty()) std::filesystem::remove_all(spool_dir_);
  }
  // Waits until every settle and void the gateway enqueued is acknowledged by billing.
  void WaitSettled() {
    for (int i = 0; i < 1000 && settles_->pending() != 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_EQ(settles_->pending(), 0u);
  }

  void TopUp(const std::string& org, int64_t amount) {
    billing::v1::ChargeRequest req;
    req.set_organization_id(org);
    req.set_idempotency_key("topup-" + org);
    req.set_amount_nano(amount);
    req.set_description("top-up");
    billing::v1::ChargeResponse resp;
    grpc::ClientContext ctx;
    grpcutil::PrepareClientContext(ctx, kToken, std::chrono::seconds(10));
    grpc::Status s = billing_stub_->Charge(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  // The balance once what the gateway owes billing has landed.
  billing::v1::GetBalanceResponse Balance(const std::string& org) {
    WaitSettled();
    billing::v1::GetBalanceRequest req;
    req.set_organization_id(org);
    billing::v1::GetBalanceResponse resp;
    grpc::ClientContext ctx;
    grpcutil::PrepareClientContext(ctx, kToken, std::chrono::seconds(10));
    grpc::Status s = billing_stub_->GetBalance(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }
  double Metric(const std::string& name) {
    for (const auto& family : registry_.Collect()) {
      if (family.name != name) continue;
      double sum = 0;
      for (const auto& m : family.metric) sum += m.counter.value;
      return sum;
    }
    return -1;
  }

  http::response<http::string_body> Send(http::request<http::string_body> req) {
    asio::io_context ioc;
    tcp::socket socket(ioc);
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    req.set(http::field::host, "localhost");
    req.prepare_payload();
    http::write(socket, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(socket, buffer, res);
    return res;
  }
  static http::request<http::string_body> Chat(std::string body, std::string key = "llm_sk_good") {
    http::request<http::string_body> req(http::verb::post, "/api/v1/chat/completions", 11);
    req.set(http::field::content_type, "application/json");
    if (!key.empty()) req.set(http::field::authorization, "Bearer " + key);
    req.body() = std::move(body);
    return req;
  }

  // Billing (declared first: destroyed last).
  std::unique_ptr<test::PgTestDb> db_;
  std::unique_ptr<pg::PgPool> pool_;
  std::unique_ptr<billing::PgBillingStore> store_;
  asio::thread_pool workers_{2};
  std::unique_ptr<billing::BillingService> billing_service_;
  std::unique_ptr<grpcutil::GrpcServer> billing_server_;
  std::unique_ptr<billing::v1::BillingService::Stub> billing_stub_;
  std::unique_ptr<GrpcBillingClient> billing_client_;
  SwitchableHolds holds_;
  std::string spool_dir_;
  std::unique_ptr<SettleQueue> settles_;
  // Gateway.
  FakeProvider provider_;
  UpstreamEndpoints endpoints_;
  PriceBook prices_;
  FakeValidator validator_;
  FakeClock clock_;
  std::unique_ptr<AuthCache> cache_;
  std::unique_ptr<Authenticator> auth_;
  prometheus::Registry registry_;
  std::unique_ptr<GatewayMetrics> metrics_;
  std::unique_ptr<ResellerMetrics> reseller_metrics_;
  InMemorySink sink_;
  std::unique_ptr<UpstreamClient> client_;
  std::unique_ptr<RequestControls> controls_;
  std::unique_ptr<ResellerHandler> reseller_;
  std::unique_ptr<PassthroughHandler> passthrough_;
  std::unique_ptr<GatewayHandler> handler_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(ResellerTest, NonStreamingOpenAIIsChargedCostPlusMargin) {
  auto req = Chat(R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})");
  req.set("OpenAI-Organization", "org-customer");
  auto res = Send(req);
  ASSERT_EQ(res.result_int(), 200) << res.body();
  const std::string request_id(res["x-request-id"]);
  EXPECT_EQ(request_id.size(), 36u);
  auto body = json::parse(res.body());
  EXPECT_EQ(body["model"], "gpt-4o-mini");  // the model the customer asked for
  EXPECT_EQ(body["choices"][0]["message"]["content"], "hi");
  EXPECT_EQ(body["usage"]["prompt_tokens"], 12);

  auto recorded = provider_.requests();
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_EQ(recorded[0].target, "/v1/chat/completions");
  EXPECT_EQ(recorded[0].headers.at("authorization"), std::string("Bearer ") + kOpenAIKey);
  EXPECT_EQ(recorded[0].headers.count("openai-organization"), 0u);
  EXPECT_EQ(json::parse(recorded[0].body),
            json::parse(R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})"));

  auto e = sink_.WaitFor(1);
  // 12 input x 150 nano + 30 output x 600 nano = 19,800; margin 20% = 3,960; total 23,760.
  EXPECT_EQ(e.provider_cost_nano(), 19'800);
  EXPECT_EQ(e.margin_nano(), 3'960);
  EXPECT_EQ(e.cost_nano(), 23'760);
  EXPECT_EQ(e.mode(), metering::v1::MODE_RESELLER);
  EXPECT_EQ(e.organization_id(), kOrg);
  EXPECT_EQ(e.credential_id(), "key-1");
  EXPECT_EQ(e.provider(), "openai");
  EXPECT_EQ(e.model(), "gpt-4o-mini");
  EXPECT_EQ(e.endpoint(), "/chat/completions");
  EXPECT_EQ(e.input_tokens(), 12);
  EXPECT_EQ(e.cached_input_tokens(), 2);
  EXPECT_EQ(e.output_tokens(), 30);
  EXPECT_EQ(e.status_code(), 200);
  EXPECT_FALSE(e.incomplete());
  EXPECT_FALSE(e.is_streaming());
  EXPECT_EQ(e.request_id(), request_id);
  EXPECT_EQ(e.requested_at_unix_ms(), clock_.NowUnixMs());

  auto balance = Balance(kOrg);
  EXPECT_EQ(balance.balance_nano(), kTopUp - 23'760);
  EXPECT_EQ(balance.held_nano(), 0);
}

TEST_F(ResellerTest, OpenAIStreamDropsTheInjectedUsageChunkAndNamesTheCustomersModel) {
  auto res = Send(
      Chat(R"({"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]})"));
  ASSERT_EQ(res.result_int(), 200);
  EXPECT_EQ(res["Content-Type"], "text/event-stream");
  auto lines = DataLines(res.body());
  ASSERT_EQ(lines.size(), 3u) << res.body();
  EXPECT_EQ(json::parse(lines[0])["model"], "gpt-4o-mini");
  EXPECT_EQ(json::parse(lines[1])["choices"][0]["delta"]["content"], "Hello");
  EXPECT_EQ(lines[2], "[DONE]");
  auto sent = json::parse(provider_.requests().at(0).body);
  EXPECT_EQ(sent["stream_options"]["include_usage"], true);

  auto e = sink_.WaitFor(1);
  EXPECT_TRUE(e.is_streaming());
  EXPECT_EQ(e.provider_cost_nano(), 5 * 150 + 7 * 600);
  EXPECT_EQ(e.cost_nano(), 4'950 + 990);
  EXPECT_EQ(Balance(kOrg).balance_nano(), kTopUp - 5'940);
}

TEST_F(ResellerTest, ClaudeNonStreamingRoundTrip) {
  auto res = Send(Chat(R"({"model":"claude-3-5-sonnet","messages":[)"
                       R"({"role":"system","content":"be brief"},)"
                       R"({"role":"user","content":"hi"}]})"));
  ASSERT_EQ(res.result_int(), 200) << res.body();
  auto body = json::parse(res.body());
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["model"], "claude-3-5-sonnet");
  EXPECT_EQ(body["choices"][0]["message"]["content"], "hi there");
  EXPECT_EQ(body["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(body["usage"]["prompt_tokens"], 10);
  EXPECT_EQ(body["usage"]["completion_tokens"], 20);

  auto recorded = provider_.requests();
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_EQ(recorded[0].target, "/v1/messages");
  EXPECT_EQ(recorded[0].headers.at("x-api-key"), kAnthropicKey);
  EXPECT_EQ(recorded[0].headers.at("anthropic-version"), "2023-06-01");
  EXPECT_EQ(recorded[0].headers.count("authorization"), 0u);
  auto sent = json::parse(recorded[0].body);
  EXPECT_EQ(sent["model"], "claude-3-5-sonnet-20241022");
  EXPECT_EQ(sent["max_tokens"], 8192);  // the model's maximum from the price book
  EXPECT_EQ(sent["system"], json::parse(R"([{"type":"text","text":"be brief"}])"));
  EXPECT_EQ(sent["messages"],
            json::parse(R"([{"role":"user","content":[{"type":"text","text":"hi"}]}])"));

  auto e = sink_.WaitFor(1);
  EXPECT_EQ(e.provider(), "anthropic");
  EXPECT_EQ(e.model(), "claude-3-5-sonnet-20241022");
  // 10 x 3,000 + 20 x 15,000 = 330,000; margin 66,000.
  EXPECT_EQ(e.provider_cost_nano(), 330'000);
  EXPECT_EQ(e.margin_nano(), 66'000);
  EXPECT_EQ(e.cost_nano(), 396'000);
  auto balance = Balance(kOrg);
  EXPECT_EQ(balance.balance_nano(), kTopUp - 396'000);
  EXPECT_EQ(balance.held_nano(), 0);
}

TEST_F(ResellerTest, ClaudeStreamTranslatedWithoutUsageChunkUnlessAsked) {
  auto res = Send(Chat(R"({"model":"claude-3-5-sonnet-20241022","stream":true,)"
                       R"("messages":[{"role":"user","content":"hi"}]})"));
  ASSERT_EQ(res.result_int(), 200) << res.body();
  EXPECT_EQ(res["Content-Type"], "text/event-stream");
  auto lines = DataLines(res.body());
  ASSERT_EQ(lines.size(), 5u) << res.body();
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    auto chunk = json::parse(lines[i]);
    EXPECT_EQ(chunk["object"], "chat.completion.chunk");
    EXPECT_EQ(chunk["model"], "claude-3-5-sonnet-20241022");
    EXPECT_FALSE(chunk.contains("usage"));
    EXPECT_EQ(chunk["choices"].size(), 1u);
  }
  EXPECT_EQ(json::parse(lines[0])["choices"][0]["delta"]["role"], "assistant");
  EXPECT_EQ(json::parse(lines[1])["choices"][0]["delta"]["content"], "Hel");
  EXPECT_EQ(json::parse(lines[2])["choices"][0]["delta"]["content"], "lo");
  EXPECT_EQ(json::parse(lines[3])["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(lines[4], "[DONE]");
  auto e = sink_.WaitFor(1);
  // 25 x 3,000 + 9 x 15,000 = 210,000; margin 42,000.
  EXPECT_EQ(e.input_tokens(), 25);
  EXPECT_EQ(e.output_tokens(), 9);
  EXPECT_EQ(e.cost_nano(), 252'000);
  EXPECT_FALSE(e.incomplete());
  EXPECT_EQ(Balance(kOrg).balance_nano(), kTopUp - 252'000);

  // Asked for: one extra chunk before [DONE] with no choices and the usage.
  res = Send(Chat(R"({"model":"claude-3-5-sonnet","stream":true,)"
                  R"("stream_options":{"include_usage":true},)"
                  R"("messages":[{"role":"user","content":"hi"}]})"));
  lines = DataLines(res.body());
  ASSERT_EQ(lines.size(), 6u) << res.body();
  EXPECT_TRUE(json::parse(lines[0])["usage"].is_null());
  EXPECT_EQ(json::parse(lines[0])["model"], "claude-3-5-sonnet");
  auto usage_chunk = json::parse(lines[4]);
  EXPECT_TRUE(usage_chunk["choices"].empty());
  EXPECT_EQ(usage_chunk["usage"]["prompt_tokens"], 25);
  EXPECT_EQ(usage_chunk["usage"]["completion_tokens"], 9);
  EXPECT_EQ(lines[5], "[DONE]");
  sink_.WaitFor(2);
  EXPECT_EQ(Balance(kOrg).balance_nano(), kTopUp - 2 * 252'000);
}

TEST_F(ResellerTest, InsufficientBalanceIs429AndTheProviderIsNotCalled) {
  auto res = Send(Chat(R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})",
                       "llm_sk_poor"));
  EXPECT_EQ(res.result_int(), 429);
  EXPECT_EQ(res.body(),
            R"({"error":{"message":"You exceeded your current quota: your balance is too low )"
            R"(for this request. Please top up your balance.","type":"insufficient_quota",)"
            R"("param":null,"code":"insufficient_quota"}})");
  EXPECT_EQ(res["x-should-retry"], "false");
  EXPECT_EQ(res["x-request-id"].size(), 36u);
  EXPECT_TRUE(provider_.requests().empty());
  auto balance = Balance(kPoorOrg);
  EXPECT_EQ(balance.balance_nano(), kPoorTopUp);
  EXPECT_EQ(balance.held_nano(), 0);
  EXPECT_EQ(Metric("llmgw_gateway_holds_refused_total"), 1);
  EXPECT_EQ(sink_.size(), 0u);
}

TEST_F(ResellerTest, BillingDownIs503AndTheProviderIsNotCalled) {
  GrpcBillingClient down(grpcutil::MakeChannel("127.0.0.1:" + std::to_string(ClosedPort())),
                         kToken);
  holds_.target = &down;
  auto res = Send(Chat(R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})"));
  holds_.target = billing_client_.get();
  EXPECT_EQ(res.result_int(), 503);
  EXPECT_EQ(res["Retry-After"], "1");
  EXPECT_THAT(res.body(), HasSubstr(R"("code":"service_unavailable")"));
  EXPECT_TRUE(provider_.requests().empty());
  EXPECT_EQ(sink_.size(), 0u);
  // The void of the failed hold was sent through `down` first: it must be answered (by the real
  // billing, after a retry) before `down` goes away with the call still on it.
  WaitSettled();
  EXPECT_EQ(settles_->pending(), 0u);
}

TEST_F(ResellerTest, UnknownOrNotOfferedModelIs404) {
  auto res = Send(Chat(R"({"model":"llama-3","messages":[{"role":"user","content":"hi"}]})"));
  EXPECT_EQ(res.result_int(), 404);
  EXPECT_EQ(res.body(),
            R"({"error":{"message":"The model `llama-3` does not exist or you do not have access )"
            R"(to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}})");
  // A variant of a priced model is not that model: never billed at gpt-4o-mini's price.
  res = Send(
      Chat(R"({"model":"gpt-4o-mini-audio-preview","messages":[{"role":"user","content":"hi"}]})"));
  EXPECT_EQ(res.result_int(), 404);
  EXPECT_THAT(res.body(), HasSubstr(R"("code":"model_not_found")"));
  // Priced, but the operator has no xAI key.
  res = Send(Chat(R"({"model":"grok-beta","messages":[{"role":"user","content":"hi"}]})"));
  EXPECT_EQ(res.result_int(), 404);
  EXPECT_THAT(res.body(), HasSubstr(R"("code":"model_not_found")"));
  EXPECT_TRUE(provider_.requests().empty());
  EXPECT_EQ(Balance(kOrg).held_nano(), 0);
}

TEST_F(ResellerTest, BadBodyIs400) {
  auto res = Send(Chat("not json"));
  EXPECT_EQ(res.result_int(), 400);
  EXPECT_THAT(res.body(), HasSubstr(R"("type":"invalid_request_error")"));
  res = Send(Chat(R"({"model":"gpt-4o-mini"})"));
  EXPECT_EQ(res.result_int(), 400);
  EXPECT_TRUE(provider_.requests().empty());
}

TEST_F(ResellerTest, UpstreamErrorVoidsTheHold) {
  provider_.fail_status = 500;
  auto res = Send(Chat(R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})"));
  EXPECT_EQ(res.result_int(), 502);
  EXPECT_EQ(res.body(),
            R"({"error":{"message":"boom","type":"server_error","param":null,"code":null}})");
  EXPECT_EQ(provider_.requests().size(), 1u);
  auto e = sink_.WaitFor(1);
  EXPECT_EQ(e.status_code(), 502);
  EXPECT_EQ(e.cost_nano(), 0);
  auto balance = Balance(kOrg);
  EXPECT_EQ(balance.balance_nano(), kTopUp);
  EXPECT_EQ(balance.held_nano(), 0);

  // Anthropic's error, and a failure of the operator's key, in OpenAI's shape.
  provider_.fail_status = 401;
  res = Send(Chat(R"({"model":"claude-3-5-sonnet","messages":[{"role":"user","content":"hi"}]})"));
  EXPECT_EQ(res.result_int(), 502);
  EXPECT_THAT(res.body(), HasSubstr(R"("code":"upstream_auth_failed")"));
  sink_.WaitFor(2);
  EXPECT_EQ(Balance(kOrg).balance_nano(), kTopUp);
  EXPECT_EQ(Balance(kOrg).held_nano(), 0);
}

TEST_F(ResellerTest, InterruptedStreamWithoutUsageIsChargedByTheFallbackRule) {
  provider_.cut_after = 2;  // the role chunk and one content delta, then the connection drops
  const std::string request =
      R"({"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]})";
  auto res = Send(Chat(request));
  ASSERT_EQ(res.result_int(), 200);
  auto lines = DataLines(res.body());
  ASSERT_EQ(lines.size(), 3u) << res.body();
  EXPECT_EQ(json::parse(lines[2])["error"]["type"], "server_error");  // in-band, after the 200
  auto e = sink_.WaitFor(1);
  EXPECT_TRUE(e.incomplete());
  // Input: the hold's bound (request bytes + 16 per message); output: one delta relayed.
  const int64_t input = static_cast<int64_t>(request.size()) + 16;
  EXPECT_EQ(e.input_tokens(), input);
  EXPECT_EQ(e.output_tokens(), 1);
  const int64_t cost = input * 150 + 1 * 600;
  EXPECT_EQ(e.provider_cost_nano(), cost);
  const int64_t margin = (cost * 20 + 50) / 100;
  EXPECT_EQ(e.cost_nano(), cost + margin);
  EXPECT_EQ(Balance(kOrg).balance_nano(), kTopUp - cost - margin);
  EXPECT_EQ(Balance(kOrg).held_nano(), 0);
}

TEST_F(ResellerTest, BadOrMissingKeyIs401AndAccountsDownIs503) {
  const std::string expected =
      R"({"error":{"message":"Incorrect API key provided: send a valid llmgw key as )"
      R"(Authorization: Bearer llm_sk_...","type":"invalid_request_error","param":null,)"
      R"("code":"invalid_api_key"}})";
  const std::string body = R"({"model":"gpt-4o-mini","messages":[]})";
  for (const std::string key : {"llm_sk_bad", "", "mon_sk_good"}) {
    auto res = Send(Chat(body, key));
    EXPECT_EQ(res.result_int(), 401) << key;
    EXPECT_EQ(res.body(), expected);
    EXPECT_EQ(res["x-request-id"].size(), 36u);
  }
  validator_.unavailable = true;
  auto res = Send(Chat(body, "llm_sk_unknown"));
  EXPECT_EQ(res.result_int(), 503);
  EXPECT_EQ(res["Retry-After"], "1");
  EXPECT_TRUE(provider_.requests().empty());
}

TEST_F(ResellerTest, ModelsListsOfferedPricedModelsAndAliases) {
  http::request<http::string_body> req(http::verb::get, "/api/v1/models", 11);
  req.set(http::field::authorization, "Bearer llm_sk_good");
  auto res = Send(req);
  ASSERT_EQ(res.result_int(), 200);
  EXPECT_EQ(
      res.body(),
      R"({"object":"list","data":[)"
      R"({"id":"claude-3-5-sonnet-20241022","object":"model","created":0,"owned_by":"anthropic",)"
      R"("pricing":{"prompt":"0.000003","completion":"0.000015","input_cache_read":"0.000003",)"
      R"("input_cache_write":"0.000003"}},)"
      R"({"id":"gpt-4o-mini","object":"model","created":0,"owned_by":"openai",)"
      R"("pricing":{"prompt":"0.00000015","completion":"0.0000006",)"
      R"("input_cache_read":"0.00000015","input_cache_write":"0.00000015"}},)"
      R"({"id":"claude-3-5-sonnet","object":"model","created":0,"owned_by":"anthropic",)"
      R"("pricing":{"prompt":"0.000003","completion":"0.000015","input_cache_read":"0.000003",)"
      R"("input_cache_write":"0.000003"}},)"
      R"({"id":"claude-3-5-sonnet-latest","object":"model","created":0,"owned_by":"anthropic",)"
      R"("pricing":{"prompt":"0.000003","completion":"0.000015","input_cache_read":"0.000003",)"
      R"("input_cache_write":"0.000003"}}]})");
  EXPECT_EQ(res["x-request-id"].size(), 36u);
  req.set(http::field::authorization, "Bearer llm_sk_bad");
  EXPECT_EQ(Send(req).result_int(), 401);
}

TEST_F(ResellerTest, NOutOfRangeIs400BeforeTheHold) {
  for (const std::string n : {"0", "-1", "129", "2.5", "\"2\""}) {
    auto res = Send(Chat(R"({"model":"gpt-4o-mini","n":)" + n +
                         R"(,"messages":[{"role":"user","content":"hi"}]})"));
    EXPECT_EQ(res.result_int(), 400) << n;
    EXPECT_EQ(res.body(), R"({"error":{"message":"'n' must be an integer between 1 and 128.",)"
                          R"("type":"invalid_request_error","param":null,"code":null}})")
        << n;
  }
  EXPECT_EQ(holds_.last_hold_bound, 0);  // no hold asked for
  EXPECT_TRUE(provider_.requests().empty());
  EXPECT_EQ(sink_.size(), 0u);
}

TEST_F(ResellerTest, AnInvalidOutputLimitIs400BeforeTheHold) {
  for (const std::string v : {"-1", "0", "1e30", "\"5\"", "2.5", "9223372036854775808"}) {
    for (const std::string field : {"max_tokens", "max_completion_tokens"}) {
      auto res = Send(Chat(R"({"model":"gpt-4o-mini",")" + field + R"(":)" + v +
                           R"(,"messages":[{"role":"user","content":"hi"}]})"));
      EXPECT_EQ(res.result_int(), 400) << field << "=" << v;
      EXPECT_EQ(res.body(), R"({"error":{"message":"Invalid ')" + field +
                                R"(': expected an integer between 1 and 2147483647.",)"
                                R"("type":"invalid_request_error","param":null,"code":null}})")
          << field << "=" << v;
    }
  }
  EXPECT_EQ(holds_.last_hold_bound, 0);  // no hold asked for
  EXPECT_TRUE(provider_.requests().empty());
  EXPECT_EQ(sink_.size(), 0u);
}

TEST_F(ResellerTest, TheHoldCoversEveryOneOfTheNChoices) {
  const std::string request = R"({"model":"gpt-4o-mini","n":3,"max_tokens":100,)"
                              R"("messages":[{"role":"user","content":"hi"}]})";
  auto res = Send(Chat(request));
  ASSERT_EQ(res.result_int(), 200) << res.body();
  // Input: request bytes + 16 for the one message, at 150 nano; output: 3 x 100 at 600 nano.
  const int64_t input = static_cast<int64_t>(request.size()) + 16;
  EXPECT_EQ(holds_.last_hold_bound, input * 150 + 300 * 600);
  EXPECT_EQ(json::parse(provider_.requests().at(0).body)["n"], 3);
  EXPECT_EQ(sink_.WaitFor(1).cost_nano(), 23'760);  // charged what was reported, as always
  EXPECT_EQ(Balance(kOrg).held_nano(), 0);
}

TEST_F(ResellerTest, AHoldThatCommitsButTimesOutIsVoidedAtOnce) {
  holds_.hold_commits_then_times_out = true;
  auto res = Send(Chat(R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})"));
  EXPECT_EQ(res.result_int(), 503);
  EXPECT_EQ(res["Retry-After"], "1");
  EXPECT_THAT(res.body(), HasSubstr(R"("code":"service_unavailable")"));
  EXPECT_TRUE(provider_.requests().empty());
  // The void goes through the settle queue: billing releases the reservation as soon as it
  // answers, not when the hold expires.
  auto balance = Balance(kOrg);
  EXPECT_EQ(holds_.voids, 1);
  EXPECT_EQ(balance.held_nano(), 0);
  EXPECT_EQ(balance.balance_nano(), kTopUp);
  EXPECT_EQ(sink_.size(), 0u);
}

TEST_F(ResellerTest, ARefusedHoldIsNotVoided) {
  auto res = Send(Chat(R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})",
                       "llm_sk_poor"));
  EXPECT_EQ(res.result_int(), 429);
  EXPECT_EQ(holds_.voids, 0);
}

TEST_F(ResellerTest, ASettleIsKeptUntilBillingTakesItHoweverLongThatIs) {
  holds_.settle_failures = 40;  // far past the old in-request retry window of 8 attempts
  auto res = Send(Chat(R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})"));
  ASSERT_EQ(res.result_int(), 200) << res.body();
  // The usage record does not wait for the settle: its margin is the hold's percent.
  auto e = sink_.WaitFor(1);
  EXPECT_EQ(e.provider_cost_nano(), 19'800);
  EXPECT_EQ(e.cost_nano(), 23'760);
  auto balance = Balance(kOrg);  // waits for the settle to land
  EXPECT_EQ(holds_.settles, 41);
  EXPECT_EQ(balance.balance_nano(), kTopUp - 23'760);
  EXPECT_EQ(balance.held_nano(), 0);
  EXPECT_EQ(Metric("llmgw_gateway_settle_command_retries_total"), 40);
  EXPECT_EQ(Metric("llmgw_gateway_settle_commands_delivered_total"), 1);
}


TEST_F(ResellerTest, PassthroughEventLabelsAreCutAndCleaned) {
  // A provider (or a client, through it) naming a 300-byte model with a NUL, and a 1,000-byte
  // request id with a tab: metering would refuse the whole batch over either.
  const std::string model = "gpt-4o-mini-" + std::string(300, 'x') + std::string("\0y", 2);
  provider_.SetJsonModelAndRequestId(model, "req\t" + std::string(1000, 'r'));
  http::request<http::string_body> req(http::verb::post, "/api/v1/openai/chat/completions", 11);
  req.set("x-monitor-token", "mon_good");
  req.set(http::field::authorization, "Bearer sk-customer");
  req.set(http::field::content_type, "application/json");
  req.body() = R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})";
  auto res = Send(req);
  ASSERT_EQ(res.result_int(), 200) << res.body();
  auto e = sink_.WaitFor(1);
  EXPECT_EQ(e.mode(), metering::v1::MODE_PASSTHROUGH);
  EXPECT_EQ(e.model(), "gpt-4o-mini-" + std::string(256 - 12, 'x'));
  EXPECT_EQ(e.request_id(), "req" + std::string(253, 'r'));
  EXPECT_EQ(e.endpoint(), "/chat/completions");
  EXPECT_TRUE(e.unpriced());  // priced by the model as named: not gpt-4o-mini
  EXPECT_EQ(e.cost_nano(), 0);
  EXPECT_EQ(e.input_tokens(), 12);
}

}  // namespace
}  // namespace llmgw::gateway

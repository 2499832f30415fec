// The gateway's HTTP server end to end, in process: a fake accounts validator, a fixed price book,
// an in-memory usage sink and a fake upstream provider (plain HTTP on port 0).

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "nlohmann/json.hpp"
#include "services/gateway/api/authenticator.h"
#include "services/gateway/api/fake_provider_for_test.h"
#include "services/gateway/api/gateway_handler.h"
#include "services/gateway/api/gateway_metrics.h"
#include "services/gateway/api/http_server.h"
#include "services/gateway/api/passthrough_handler.h"

namespace llmgw::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using ::testing::HasSubstr;
using ::testing::Not;

// ---- fakes

class FakeValidator : public CredentialValidator {
 public:
  void ValidateMonitorToken(std::string token, Done done) override {
    calls++;
    if (unavailable) {
      done(absl::UnavailableError("accounts down"));
      return;
    }
    auto it = tokens.find(token);
    done(it == tokens.end() ? CredentialValidation{} : it->second);
  }
  void ValidateApiKey(std::string key, Done done) override { done(CredentialValidation{}); }

  std::map<std::string, CredentialValidation> tokens;
  std::atomic<bool> unavailable{false};
  std::atomic<int> calls{0};
};

using testsupport::InMemorySink;

using Recorded = testsupport::RecordedRequest;

constexpr char kChatJson[] =
    R"({"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-mini-2024-07-18",)"
    R"("choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],)"
    R"("usage":{"prompt_tokens":12,"completion_tokens":30,"total_tokens":42,)"
    R"("prompt_tokens_details":{"cached_tokens":2}}})";
constexpr char kAnthropicJson[] =
    R"({"id":"msg_1","type":"message","role":"assistant","model":"claude-3-5-sonnet-20241022",)"
    R"("content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn",)"
    R"("usage":{"input_tokens":10,"output_tokens":20}})";
const std::vector<std::string> kSseEvents = {
    "data: {\"id\":\"c\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"role\":"
    "\"assistant\"}}],\"usage\":null}\n\n",
    "data: {\"id\":\"c\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
    "\"Hello\"},\"finish_reason\":\"stop\"}],\"usage\":null}\n\n",
    "data: {\"id\":\"c\",\"model\":\"gpt-4o\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,"
    "\"completion_tokens\":7,\"total_tokens\":12}}\n\n",
    "data: [DONE]\n\n"};

// A provider: JSON or SSE by the request's "stream", a slow answer for targets with "slow".
class FakeUpstream : public testsupport::FakeHttpServer {
 public:
  FakeUpstream() {
    Start([this](const Request& req, const Recorded& r, tcp::socket& socket) {
      return Respond(req, r, socket);
    });
  }
  ~FakeUpstream() override { Stop(); }

  // The "drip" stream: events written, and when it stopped (-1 while it runs).
  std::atomic<int> drip_sent{-1};
  std::atomic<int> drip_stopped_after_ms{-1};
  // The "stall" stream: when the gateway closed it (-1 until then).
  std::atomic<int> stall_closed_after_ms{-1};

 private:
  bool Respond(const Request& req, const Recorded& r, tcp::socket& socket) {
    beast::error_code ec;
    if (r.target.find("slow") != std::string::npos) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    }
    auto body = nlohmann::json::parse(req.body(), nullptr, false);
    const bool stream = body.is_object() && body.value("stream", false);
    if (stream && r.target.find("stall") != std::string::npos) {
      // One event, then silence for up to 10 s, watching for the gateway to close.
      http::response<http::empty_body> res(http::status::ok, 11);
      res.set(http::field::content_type, "text/event-stream");
      res.chunked(true);
      http::response_serializer<http::empty_body> sr(res);
      http::write_header(socket, sr, ec);
      if (!ec) asio::write(socket, http::make_chunk(asio::buffer(kSseEvents[0])), ec);
      const auto started = std::chrono::steady_clock::now();
      socket.non_blocking(true);
      while (!ec && std::chrono::steady_clock::now() - started < std::chrono::seconds(10)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        char c;
        socket.read_some(asio::buffer(&c, 1), ec);
        if (ec == asio::error::would_block) ec = {};
      }
      if (ec) {
        stall_closed_after_ms =
            static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::steady_clock::now() - started)
                                 .count());
      }
      return false;
    }
    if (stream && r.target.find("burst") != std::string::npos) {
      // The header and every event in one write, as a fast provider's short stream arrives.
      std::string events;
      for (const auto& e : kSseEvents) events += e;
      char size[20];
      std::snprintf(size, sizeof size, "%zx", events.size());
      const std::string wire =
          "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
          "x-request-id: req_upstream_stream\r\nTransfer-Encoding: chunked\r\n\r\n" +
          std::string(size) + "\r\n" + events + "\r\n0\r\n\r\n";
      asio::write(socket, asio::buffer(wire), ec);
      return !ec;
    }
    if (stream && r.target.find("drip") != std::string::npos) {
      // A long stream: one content event every 20 ms for up to 10 s, until a write fails
      // because the gateway closed the connection.
      http::response<http::empty_body> res(http::status::ok, 11);
      res.set(http::field::content_type, "text/event-stream");
      res.chunked(true);
      http::response_serializer<http::empty_body> sr(res);
      http::write_header(socket, sr, ec);
      if (!ec) asio::write(socket, http::make_chunk(asio::buffer(kSseEvents[0])), ec);
      int sent = 0;
      const auto started = std::chrono::steady_clock::now();
      while (!ec && sent < 500) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        asio::write(socket, http::make_chunk(asio::buffer(kSseEvents[1])), ec);
        if (!ec) ++sent;
      }
      drip_sent = sent;
      drip_stopped_after_ms =
          static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - started)
                               .count());
      return false;
    }
    if (stream) {
      http::response<http::empty_body> res(http::status::ok, 11);
      res.set(http::field::content_type, "text/event-stream");
      res.set("x-request-id", "req_upstream_stream");
      res.chunked(true);
      http::response_serializer<http::empty_body> sr(res);
      http::write_header(socket, sr, ec);
      for (const auto& e : kSseEvents) {
        if (!ec) asio::write(socket, http::make_chunk(asio::buffer(e)), ec);
      }
      if (!ec) asio::write(socket, http::make_chunk_last(), ec);
    } else {
      http::response<http::string_body> res(http::status::ok, 11);
      res.set(http::field::content_type, "application/json");
      res.set("Connection", "x-upstream-hop");
      res.set("x-upstream-hop", "1");
      if (r.headers.count("origin")) {  // as some providers answer a browser
        res.set(http::field::access_control_allow_origin, r.headers.at("origin"));
        res.set(http::field::access_control_allow_credentials, "true");
      }
      if (r.target == "/v1/messages") {
        res.body() = kAnthropicJson;
      } else {
        res.set("x-request-id", "req_upstream_1");
        res.body() = kChatJson;
      }
      res.prepare_payload();
      http::write(socket, res, ec);
    }
    return !ec;
  }
};

// Stands in for the reseller handler: answers every request it gets with a fixed JSON body and
// nothing else (no CORS header of its own).
class StubRouteHandler : public RouteHandler {
 public:
  boost::asio::awaitable<void> Handle(const Route&, HttpRequest&, ResponseWriter& writer) override {
    HttpResponse res(http::status::ok, 11);
    res.set(http::field::content_type, "application/json");
    res.body() = R"({"stub":true})";
    co_await writer.Write(res);
  }
};

int ClosedPort() {
  asio::io_context ioc;
  tcp::acceptor a(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();  // closed when `a` goes away
}

PricedModel Price(std::string provider, std::string model, int64_t in, int64_t out) {
  PricedModel m;
  m.provider = std::move(provider);
  m.model = std::move(model);
  m.price.input_per_mtok = in;
  m.price.output_per_mtok = out;
  return m;
}

// ---- fixture

// Every test runs twice: I/O threads that sleep at once, and ones that busy-poll first.
class GatewayServerTest : public ::testing::TestWithParam<int> {
 protected:
  virtual std::chrono::milliseconds UpstreamTimeout() const {
    return std::chrono::milliseconds(700);
  }

  void SetUp() override {
    const std::string base = "http://127.0.0.1:" + std::to_string(upstream_.port());
    endpoints_[0] = *ParseBaseUrl(base + "/v1");
    endpoints_[1] = *ParseBaseUrl(base);
    endpoints_[2] =
        *ParseBaseUrl("http://127.0.0.1:" + std::to_string(ClosedPort()) + "/v1beta/openai");
    endpoints_[3] = *ParseBaseUrl(base + "/v1");
    prices_.Set(std::make_shared<const PriceTable>(std::vector<PricedModel>{
        Price("openai", "gpt-4o", 2'500'000'000, 10'000'000'000),
        Price("openai", "gpt-4o-mini", 150'000'000, 600'000'000),
        Price("anthropic", "claude-3-5-sonnet-20241022", 3'000'000'000, 15'000'000'000)}));
    validator_.tokens["mon_sk_good"] = CredentialValidation{true, "org-1", "cred-1"};
    cache_ = std::make_unique<AuthCache>(clock_, AuthCache::Options{});
    auth_ = std::make_unique<Authenticator>(validator_, *cache_);
    metrics_ = std::make_unique<GatewayMetrics>(registry_);
    UpstreamOptions upstream_options;
    upstream_options.total_timeout = UpstreamTimeout();
    client_ = std::make_unique<UpstreamClient>(upstream_options);
    passthrough_ =
        std::make_unique<PassthroughHandler>(PassthroughHandler::Deps{.auth = *auth_,
                                                                      .upstream = *client_,
                                                                      .endpoints = endpoints_,
                                                                      .prices = prices_,
                                                                      .usage = sink_,
                                                                      .metrics = metrics_.get(),
                                                                      .clock = clock_});
    handler_ = std::make_unique<GatewayHandler>([this] { return prices_.loaded(); }, metrics_.get(),
                                                kBodyLimit);
    handler_->Register(RouteKind::kPassthrough, passthrough_.get());
    handler_->Register(RouteKind::kResellerChat, &reseller_stub_);  // not kResellerModels
    HttpServerOptions opts = GatewayServerOptions();
    opts.address = "127.0.0.1:0";
    opts.threads = 2;
    opts.busy_poll = std::chrono::microseconds(GetParam());
    opts.body_limit = kBodyLimit;
    auto server = HttpServer::Start(opts, *handler_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  void TearDown() override {
    if (server_) server_->Stop(std::chrono::seconds(1));
    client_->CloseIdle();
    server_.reset();
    upstream_.Stop();
  }

  // Connects, sends a streaming chat request to `target` and reads the response header.
  void OpenStream(tcp::socket& socket, beast::flat_buffer& buffer,
                  http::response_parser<http::buffer_body>& parser, const std::string& target) {
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    auto req = Post(target, R"({"model":"gpt-4o","stream":true,"messages":[]})");
    req.set(http::field::host, "localhost");
    req.prepare_payload();
    http::write(socket, req);
    http::read_header(socket, buffer, parser);
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
  http::response<http::string_body> SendRaw(const std::string& raw) {
    asio::io_context ioc;
    tcp::socket socket(ioc);
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    asio::write(socket, asio::buffer(raw));
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    beast::error_code ec;
    http::read(socket, buffer, res, ec);
    EXPECT_FALSE(ec) << ec.message();
    return res;
  }
  // Every response the server writes for `raw` (one write) until it closes the connection.
  std::vector<http::response<http::string_body>> SendRawUntilClosed(const std::string& raw) {
    asio::io_context ioc;
    tcp::socket socket(ioc);
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    asio::write(socket, asio::buffer(raw));
    beast::flat_buffer buffer;
    std::vector<http::response<http::string_body>> out;
    while (out.size() < 4) {
      http::response<http::string_body> res;
      beast::error_code ec;
      http::read(socket, buffer, res, ec);
      if (ec) break;
      out.push_back(std::move(res));
    }
    return out;
  }
  static http::request<http::string_body> Post(std::string target, std::string body,
                                               std::string token = "mon_sk_good") {
    http::request<http::string_body> req(http::verb::post, target, 11);
    req.set(http::field::content_type, "application/json");
    if (!token.empty()) req.set("X-Monitor-Token", token);
    req.body() = std::move(body);
    return req;
  }

  static constexpr uint64_t kBodyLimit = 64 * 1024;
  FakeUpstream upstream_;
  UpstreamEndpoints endpoints_;
  PriceBook prices_;
  FakeValidator validator_;
  FakeClock clock_;
  std::unique_ptr<AuthCache> cache_;
  std::unique_ptr<Authenticator> auth_;
  prometheus::Registry registry_;
  std::unique_ptr<GatewayMetrics> metrics_;
  InMemorySink sink_;
  std::unique_ptr<UpstreamClient> client_;
  std::unique_ptr<PassthroughHandler> passthrough_;
  StubRouteHandler reseller_stub_;
  std::unique_ptr<GatewayHandler> handler_;
  std::unique_ptr<HttpServer> server_;
};

TEST_P(GatewayServerTest, HealthAndReady) {
  http::request<http::string_body> req(http::verb::get, "/healthz", 11);
  auto res = Send(req);
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), R"({"status":"ok"})");
  req.target("/readyz");
  EXPECT_EQ(Send(req).result_int(), 200);
  prices_.Set(nullptr);
  EXPECT_EQ(Send(req).result_int(), 503);
}

TEST_P(GatewayServerTest, NonStreamingPassThrough) {
  auto req = Post("/api/v1/openai/chat/completions?trace=1",
                  R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})");
  req.set(http::field::authorization, "Bearer sk-customer");
  req.set(http::field::connection, "keep-alive, x-drop-me");
  req.set("x-drop-me", "1");
  req.set("OpenAI-Organization", "org-x");
  auto res = Send(req);
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), kChatJson);
  EXPECT_EQ(res["x-request-id"], "req_upstream_1");
  EXPECT_EQ(res["Content-Type"], "application/json");
  EXPECT_EQ(res.count("x-upstream-hop"), 0u);  // named in the upstream's Connection header

  auto recorded = upstream_.requests();
  ASSERT_EQ(recorded.size(), 1u);
  const Recorded& r = recorded[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/v1/chat/completions?trace=1");
  EXPECT_EQ(r.body, R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})");
  EXPECT_EQ(r.headers.at("authorization"), "Bearer sk-customer");
  EXPECT_EQ(r.headers.at("openai-organization"), "org-x");
  EXPECT_EQ(r.headers.at("host"), "127.0.0.1:" + std::to_string(upstream_.port()));
  EXPECT_EQ(r.headers.count("x-monitor-token"), 0u);
  EXPECT_EQ(r.headers.count("x-drop-me"), 0u);

  auto e = sink_.WaitFor(1);
  EXPECT_FALSE(e.event_id().empty());
  EXPECT_EQ(e.organization_id(), "org-1");
  EXPECT_EQ(e.credential_id(), "cred-1");
  EXPECT_EQ(e.mode(), metering::v1::MODE_PASSTHROUGH);
  EXPECT_EQ(e.provider(), "openai");
  EXPECT_EQ(e.model(), "gpt-4o-mini-2024-07-18");
  EXPECT_EQ(e.endpoint(), "/chat/completions");
  EXPECT_EQ(e.input_tokens(), 12);
  EXPECT_EQ(e.cached_input_tokens(), 2);
  EXPECT_EQ(e.output_tokens(), 30);
  // 12 * 0.15 + 30 * 0.60 USD per 1M = 19,800 nano-USD (cached input priced as input).
  EXPECT_EQ(e.cost_nano(), 19'800);
  EXPECT_FALSE(e.unpriced());
  EXPECT_FALSE(e.is_streaming());
  EXPECT_EQ(e.status_code(), 200);
  EXPECT_FALSE(e.incomplete());
  EXPECT_EQ(e.requested_at_unix_ms(), clock_.NowUnixMs());
  EXPECT_EQ(e.request_id(), "req_upstream_1");
  EXPECT_EQ(e.ttft_ms(), 0);
}

TEST_P(GatewayServerTest, AnthropicGetsItsOwnRequestIdWhenUpstreamSendsNone) {
  auto req = Post("/api/v1/anthropic/messages",
                  R"({"model":"claude-3-5-sonnet-20241022","max_tokens":10,"messages":[]})");
  req.set("x-api-key", "sk-ant-customer");
  auto res = Send(req);
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), kAnthropicJson);
  const std::string id(res["request-id"]);
  EXPECT_EQ(id.size(), 36u);
  auto recorded = upstream_.requests();
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_EQ(recorded[0].target, "/v1/messages");
  EXPECT_EQ(recorded[0].headers.at("x-api-key"), "sk-ant-customer");
  auto e = sink_.WaitFor(1);
  EXPECT_EQ(e.request_id(), id);
  EXPECT_EQ(e.provider(), "anthropic");
  EXPECT_EQ(e.endpoint(), "/v1/messages");
  EXPECT_EQ(e.input_tokens(), 10);
  EXPECT_EQ(e.output_tokens(), 20);
  EXPECT_EQ(e.cost_nano(), 10 * 3'000 + 20 * 15'000);
}

TEST_P(GatewayServerTest, StreamRelayedWithoutTheInjectedUsageChunk) {
  auto req =
      Post("/api/v1/openai/chat/completions", R"({"model":"gpt-4o","stream":true,"messages":[]})");
  req.set(http::field::authorization, "Bearer sk-customer");
  auto res = Send(req);
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res["Content-Type"], "text/event-stream");
  EXPECT_TRUE(res.chunked());
  EXPECT_EQ(res["x-request-id"], "req_upstream_stream");
  EXPECT_EQ(res.body(), kSseEvents[0] + kSseEvents[1] + kSseEvents[3]);

  auto recorded = upstream_.requests();
  ASSERT_EQ(recorded.size(), 1u);
  auto sent = nlohmann::json::parse(recorded[0].body);
  EXPECT_EQ(sent["stream_options"]["include_usage"], true);

  auto e = sink_.WaitFor(1);
  EXPECT_TRUE(e.is_streaming());
  EXPECT_EQ(e.model(), "gpt-4o");
  EXPECT_EQ(e.input_tokens(), 5);
  EXPECT_EQ(e.output_tokens(), 7);
  EXPECT_EQ(e.cost_nano(), 5 * 2'500 + 7 * 10'000);
  EXPECT_FALSE(e.incomplete());
  EXPECT_EQ(e.status_code(), 200);
  EXPECT_EQ(e.request_id(), "req_upstream_stream");
}

// A stream that arrives whole with its header: the first event is relayed at once, the rest
// (the injected usage chunk dropped) and the end follow; the usage is read from all of it.
TEST_P(GatewayServerTest, StreamArrivingInOneSegmentIsRelayedWhole) {
  for (int i = 0; i < 3; ++i) {  // on a kept-alive upstream connection too
    auto res = Send(Post("/api/v1/openai/chat/completions?burst=1",
                         R"({"model":"gpt-4o","stream":true,"messages":[]})"));
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_TRUE(res.chunked());
    EXPECT_EQ(res.body(), kSseEvents[0] + kSseEvents[1] + kSseEvents[3]) << i;
    auto e = sink_.WaitFor(i + 1);
    EXPECT_EQ(e.input_tokens(), 5);
    EXPECT_EQ(e.output_tokens(), 7);
    EXPECT_FALSE(e.incomplete());
    EXPECT_EQ(e.request_id(), "req_upstream_stream");
  }
}

TEST_P(GatewayServerTest, ClientGoneMidStreamClosesTheUpstreamAndRecordsIncomplete) {
  asio::io_context ioc;
  tcp::socket socket(ioc);
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  OpenStream(socket, buffer, parser, "/api/v1/openai/chat/completions?drip=1");
  ASSERT_EQ(parser.get().result_int(), 200);
  // Read the first relayed bytes, then hang up.
  char chunk[256];
  parser.get().body().data = chunk;
  parser.get().body().size = sizeof chunk;
  beast::error_code ec;
  http::read_some(socket, buffer, parser, ec);
  ASSERT_TRUE(!ec || ec == http::error::need_buffer) << ec.message();
  socket.close();

  auto e = sink_.WaitFor(1);
  EXPECT_TRUE(e.is_streaming());
  EXPECT_TRUE(e.incomplete());
  EXPECT_EQ(e.status_code(), 200);
  EXPECT_EQ(e.model(), "gpt-4o");
  // The gateway closed the upstream at its next relayed event, not when the 10 s stream ended.
  for (int i = 0; i < 500 && upstream_.drip_stopped_after_ms.load() < 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GE(upstream_.drip_stopped_after_ms.load(), 0);
  EXPECT_LT(upstream_.drip_stopped_after_ms.load(), 3000);
  EXPECT_LT(upstream_.drip_sent.load(), 150);
}

TEST_P(GatewayServerTest, StreamWithClientRequestedUsageKeepsTheChunk) {
  auto req = Post("/api/v1/xai/chat/completions",
                  R"({"model":"grok-beta","stream":true,"stream_options":{"include_usage":true}})");
  auto res = Send(req);
  EXPECT_EQ(res.body(), kSseEvents[0] + kSseEvents[1] + kSseEvents[2] + kSseEvents[3]);
  auto e = sink_.WaitFor(1);
  EXPECT_EQ(e.provider(), "xai");
  EXPECT_EQ(e.model(), "gpt-4o");  // as the (fake) response names it
  EXPECT_EQ(e.input_tokens(), 5);
  EXPECT_EQ(e.output_tokens(), 7);
  EXPECT_TRUE(e.unpriced());  // no xai price in this book
}

TEST_P(GatewayServerTest, MissingOrInvalidMonitorTokenIs401InEachShape) {
  auto res = Send(Post("/api/v1/openai/chat/completions", "{}", ""));
  EXPECT_EQ(res.result_int(), 401);
  EXPECT_EQ(res.body(),
            R"({"error":{"message":"Missing monitor token: send your llmgw monitor token in the )"
            R"(X-Monitor-Token header.","type":"invalid_request_error","param":null,)"
            R"("code":"invalid_api_key"}})");
  EXPECT_EQ(res["x-request-id"].size(), 36u);
  res = Send(Post("/api/v1/anthropic/v1/messages", "{}", "mon_sk_bad"));
  EXPECT_EQ(res.result_int(), 401);
  EXPECT_EQ(res.body(),
            R"({"type":"error","error":{"type":"authentication_error","message":"Invalid )"
            R"(monitor token provided in the X-Monitor-Token header."}})");
  EXPECT_EQ(res["request-id"].size(), 36u);
  EXPECT_TRUE(upstream_.requests().empty());
  EXPECT_EQ(sink_.size(), 0u);
}

TEST_P(GatewayServerTest, AuthIsCachedAndStaleAnswersServeWhileAccountsIsDown) {
  EXPECT_EQ(Send(Post("/api/v1/openai/chat/completions", "{}")).result_int(), 200);
  EXPECT_EQ(Send(Post("/api/v1/openai/chat/completions", "{}")).result_int(), 200);
  EXPECT_EQ(validator_.calls.load(), 1);
  validator_.unavailable = true;
  clock_.Advance(std::chrono::seconds(31));  // past the TTL: revalidation fails, stale serves
  EXPECT_EQ(Send(Post("/api/v1/openai/chat/completions", "{}")).result_int(), 200);
  EXPECT_EQ(validator_.calls.load(), 2);
  auto res = Send(Post("/api/v1/openai/chat/completions", "{}", "mon_sk_unknown"));
  EXPECT_EQ(res.result_int(), 503);
  EXPECT_EQ(res["Retry-After"], "1");
}

TEST_P(GatewayServerTest, UnroutablePathIs404) {
  auto res = Send(Post("/api/v1/nowhere/chat", "{}"));
  EXPECT_EQ(res.result_int(), 404);
  EXPECT_THAT(res.body(), HasSubstr(R"("code":"unknown_url")"));
  EXPECT_TRUE(upstream_.requests().empty());
}

TEST_P(GatewayServerTest, OversizedBodyIs413) {
  auto res = Send(Post("/api/v1/anthropic/v1/messages", std::string(kBodyLimit + 1, 'x')));
  EXPECT_EQ(res.result_int(), 413);
  EXPECT_THAT(res.body(), HasSubstr(R"("type":"request_too_large")"));
  EXPECT_TRUE(upstream_.requests().empty());
}

TEST_P(GatewayServerTest, TransferEncodingWithContentLengthIs400) {
  auto res = SendRaw(
      "POST /api/v1/openai/chat/completions HTTP/1.1\r\nHost: x\r\nX-Monitor-Token: mon_sk_good\r\n"
      "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  EXPECT_EQ(res.result_int(), 400);
  EXPECT_THAT(res.body(), HasSubstr(R"("type":"invalid_request_error")"));
  res = SendRaw(
      "POST /api/v1/openai/chat/completions HTTP/1.1\r\nHost: x\r\n"
      "Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}");
  EXPECT_EQ(res.result_int(), 400);
  EXPECT_TRUE(upstream_.requests().empty());
}

// Request smuggling: a transfer coding list whose last coding is not `chunked` (or any coding
// but one `chunked`) must not be read as "no body" with the body parsed as a second request
// (RFC 9112 §6.1: 400 and close). Each case sends, in one write, a POST whose body is a whole
// second request with another credential: one 400, the connection closed, nothing upstream.
TEST_P(GatewayServerTest, SmuggledSecondRequestIsRefusedAndTheConnectionClosed) {
  const std::string smuggled =
      "GET /api/v1/openai/models HTTP/1.1\r\nHost: x\r\nX-Monitor-Token: mon_sk_good\r\n"
      "Authorization: Bearer sk-someone-else\r\n\r\n";
  const std::vector<std::string> framings = {
      "Transfer-Encoding: chunked, identity\r\n",
      "Transfer-Encoding: xchunked\r\n",
      "Transfer-Encoding: identity\r\n",
      "Transfer-Encoding: gzip, chunked\r\n",
      "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n",
      "Transfer-Encoding: chunked\r\n ,identity\r\n",  // obs-fold
      "Transfer-Encoding:\r\n chunked\r\n",             // obs-fold
      "X-Padding: a\r\n\tb\r\nContent-Length: 0\r\n",  // obs-fold in any header
  };
  for (const std::string& framing : framings) {
    SCOPED_TRACE(framing);
    auto responses = SendRawUntilClosed(
        "POST /api/v1/openai/chat/completions HTTP/1.1\r\nHost: x\r\n"
        "X-Monitor-Token: mon_sk_good\r\n" + framing + "\r\n" + smuggled);
    ASSERT_EQ(responses.size(), 1u);
    EXPECT_EQ(responses[0].result_int(), 400);
    EXPECT_FALSE(responses[0].keep_alive());
    EXPECT_THAT(responses[0].body(), HasSubstr(R"("type":"invalid_request_error")"));
  }
  EXPECT_TRUE(upstream_.requests().empty());
}

TEST_P(GatewayServerTest, UpstreamDownIs502AndStillRecorded) {
  auto res = Send(Post("/api/v1/google/chat/completions", R"({"model":"gemini-1.5-pro"})"));
  EXPECT_EQ(res.result_int(), 502);
  EXPECT_THAT(res.body(), HasSubstr(R"("code":"upstream_unavailable")"));
  const std::string id(res["x-request-id"]);
  EXPECT_EQ(id.size(), 36u);
  auto e = sink_.WaitFor(1);
  EXPECT_EQ(e.provider(), "google");
  EXPECT_EQ(e.model(), "gemini-1.5-pro");
  EXPECT_EQ(e.status_code(), 502);
  EXPECT_EQ(e.input_tokens(), 0);
  EXPECT_TRUE(e.unpriced());
  EXPECT_EQ(e.request_id(), id);
}

TEST_P(GatewayServerTest, UpstreamTimeoutIs504) {
  auto res = Send(Post("/api/v1/openai/slow", "{}"));
  EXPECT_EQ(res.result_int(), 504);
  EXPECT_THAT(res.body(), HasSubstr(R"("type":"api_error")"));
  auto e = sink_.WaitFor(1);
  EXPECT_EQ(e.status_code(), 504);
  EXPECT_EQ(e.endpoint(), "/slow");
}

TEST_P(GatewayServerTest, ChunkedOversizedBodyIs413) {
  std::string chunk(kBodyLimit / 2 + 1, 'x');
  char size_hex[32];
  std::snprintf(size_hex, sizeof(size_hex), "%zx", chunk.size());
  std::string raw =
      "POST /api/v1/openai/chat/completions HTTP/1.1\r\nHost: x\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 2; ++i) raw += std::string(size_hex) + "\r\n" + chunk + "\r\n";
  raw += "0\r\n\r\n";
  auto res = SendRaw(raw);
  EXPECT_EQ(res.result_int(), 413);
  EXPECT_THAT(res.body(), HasSubstr(R"("code":"request_too_large")"));
}

TEST_P(GatewayServerTest, KeepAliveReusesTheUpstreamConnection) {
  asio::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
  beast::flat_buffer buffer;
  for (int i = 0; i < 3; ++i) {
    auto req = Post("/api/v1/openai/chat/completions", "{}");
    req.set(http::field::host, "x");
    req.prepare_payload();
    http::write(socket, req);
    http::response<http::string_body> res;
    http::read(socket, buffer, res);
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_TRUE(res.keep_alive());
  }
  auto recorded = upstream_.requests();
  EXPECT_EQ(recorded.size(), 3u);
  EXPECT_EQ(client_->idle_connections(), 1u);
}

// ---- CORS

constexpr char kOrigin[] = "http://localhost:3000";

http::request<http::string_body> Preflight(std::string target, std::string request_headers) {
  http::request<http::string_body> req(http::verb::options, target, 11);
  req.set(http::field::origin, kOrigin);
  req.set(http::field::access_control_request_method, "POST");
  if (!request_headers.empty()) {
    req.set(http::field::access_control_request_headers, request_headers);
  }
  return req;
}

TEST_P(GatewayServerTest, CorsPreflightAllowsTheListedHeadersWithoutAuthentication) {
  auto res =
      Send(Preflight("/api/v1/openai/chat/completions",
                     "Content-Type, authorization,x-monitor-token, X-Stainless-OS, "
                     "x-stainless-retry-count, accept, openai-organization, openai-project"));
  EXPECT_EQ(res.result_int(), 204);
  EXPECT_EQ(res[http::field::access_control_allow_origin], "*");
  EXPECT_EQ(res.count(http::field::access_control_allow_origin), 1u);
  EXPECT_EQ(res[http::field::access_control_allow_methods], "GET, POST, OPTIONS");
  EXPECT_EQ(res[http::field::access_control_allow_headers],
            "content-type, authorization, x-monitor-token, x-stainless-os, "
            "x-stainless-retry-count, accept, openai-organization, openai-project");
  EXPECT_EQ(res[http::field::access_control_max_age], "600");
  EXPECT_EQ(res[http::field::access_control_expose_headers], "x-request-id, request-id");
  EXPECT_EQ(res.count(http::field::access_control_allow_credentials), 0u);
  EXPECT_EQ(res.body(), "");

  res = Send(Preflight("/api/v1/anthropic/v1/messages",
                       "content-type,x-api-key,anthropic-version,anthropic-beta,x-monitor-token"));
  EXPECT_EQ(res.result_int(), 204);
  EXPECT_EQ(res[http::field::access_control_allow_headers],
            "content-type, x-api-key, anthropic-version, anthropic-beta, x-monitor-token");

  // No requested headers: nothing to allow.
  res = Send(Preflight("/api/v1/xai/models", ""));
  EXPECT_EQ(res.result_int(), 204);
  EXPECT_EQ(res.count(http::field::access_control_allow_headers), 0u);
  EXPECT_EQ(res[http::field::access_control_allow_methods], "GET, POST, OPTIONS");

  // Answered by the gateway: nothing went upstream, no credential was checked or recorded.
  // The reseller path (registered for POST).
  res = Send(Preflight("/api/v1/chat/completions", "authorization, content-type"));
  EXPECT_EQ(res.result_int(), 204);
  EXPECT_EQ(res[http::field::access_control_allow_headers], "authorization, content-type");

  // Answered by the gateway: nothing went upstream, no credential was checked or recorded.
  EXPECT_TRUE(upstream_.requests().empty());
  EXPECT_EQ(validator_.calls.load(), 0);
  EXPECT_EQ(sink_.size(), 0u);
}

TEST_P(GatewayServerTest, CorsPreflightWithAHeaderOutsideTheListIs403) {
  for (const char* headers : {"content-type, x-llmgw-internal-token", "cookie", "x-stainless-",
                              "authorization, x-custom"}) {
    SCOPED_TRACE(headers);
    auto res = Send(Preflight("/api/v1/openai/chat/completions", headers));
    EXPECT_EQ(res.result_int(), 403);
    EXPECT_EQ(res[http::field::content_type], "text/plain");
    EXPECT_EQ(res.count(http::field::access_control_allow_headers), 0u);
    EXPECT_EQ(res.count(http::field::access_control_allow_methods), 0u);
  }
  EXPECT_TRUE(upstream_.requests().empty());
}

TEST_P(GatewayServerTest, CorsPreflightOnAPathThatIsNotRoutedIs404) {
  auto res = Send(Preflight("/api/v1/nowhere/chat", "content-type"));
  EXPECT_EQ(res.result_int(), 404);
  EXPECT_EQ(res.count(http::field::access_control_allow_methods), 0u);
  EXPECT_EQ(res[http::field::access_control_allow_origin], "*");
  // No handler is registered for /api/v1/models in this fixture: not served.
  res = Send(Preflight("/api/v1/models", "authorization"));
  EXPECT_EQ(res.result_int(), 404);
  res = Send(Preflight("/healthz", ""));
  EXPECT_EQ(res.result_int(), 404);
}

TEST_P(GatewayServerTest, OptionsWithoutRequestMethodIsStillPassedThrough) {
  http::request<http::string_body> req(http::verb::options, "/api/v1/openai/models", 11);
  req.set(http::field::origin, kOrigin);
  req.set("X-Monitor-Token", "mon_sk_good");
  auto res = Send(req);
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res[http::field::access_control_allow_origin], "*");
  auto recorded = upstream_.requests();
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_EQ(recorded[0].method, "OPTIONS");
  EXPECT_EQ(recorded[0].target, "/v1/models");
  // Without a monitor token it is rejected as before (no preflight exemption).
  req.erase("X-Monitor-Token");
  EXPECT_EQ(Send(req).result_int(), 401);
}

TEST_P(GatewayServerTest, ResponsesToACrossOriginRequestCarryCorsHeaders) {
  // JSON: the upstream's own Allow-Origin (its echo of the origin, with credentials) is replaced.
  auto req = Post("/api/v1/openai/chat/completions", R"({"model":"gpt-4o-mini"})");
  req.set(http::field::origin, kOrigin);
  auto res = Send(req);
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), kChatJson);
  EXPECT_EQ(res.count(http::field::access_control_allow_origin), 1u);
  EXPECT_EQ(res[http::field::access_control_allow_origin], "*");
  EXPECT_EQ(res[http::field::access_control_expose_headers], "x-request-id, request-id");
  EXPECT_EQ(res.count(http::field::access_control_allow_credentials), 0u);
  EXPECT_EQ(res["x-request-id"], "req_upstream_1");

  // SSE.
  req = Post("/api/v1/openai/chat/completions", R"({"model":"gpt-4o","stream":true})");
  req.set(http::field::origin, kOrigin);
  res = Send(req);
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_TRUE(res.chunked());
  EXPECT_EQ(res.body(), kSseEvents[0] + kSseEvents[1] + kSseEvents[3]);
  EXPECT_EQ(res[http::field::access_control_allow_origin], "*");
  EXPECT_EQ(res[http::field::access_control_expose_headers], "x-request-id, request-id");

  // Any route handler's response (the writer adds the headers, not the handler).
  req = Post("/api/v1/chat/completions", "{}", "");
  req.set(http::field::origin, kOrigin);
  res = Send(req);
  EXPECT_EQ(res.body(), R"({"stub":true})");
  EXPECT_EQ(res[http::field::access_control_allow_origin], "*");
  EXPECT_EQ(res[http::field::access_control_expose_headers], "x-request-id, request-id");

  // The gateway's own errors, and the server's rejections.
  req = Post("/api/v1/anthropic/v1/messages", "{}", "");
  req.set(http::field::origin, kOrigin);
  res = Send(req);
  EXPECT_EQ(res.result_int(), 401);
  EXPECT_EQ(res[http::field::access_control_allow_origin], "*");
  EXPECT_EQ(res[http::field::access_control_expose_headers], "x-request-id, request-id");
  req = Post("/api/v1/openai/chat/completions", std::string(kBodyLimit + 1, 'x'));
  req.set(http::field::origin, kOrigin);
  res = Send(req);
  EXPECT_EQ(res.result_int(), 413);
  EXPECT_EQ(res[http::field::access_control_allow_origin], "*");
}

TEST_P(GatewayServerTest, NoCorsHeadersWithoutAnOrigin) {
  auto res = Send(Post("/api/v1/openai/chat/completions", R"({"model":"gpt-4o-mini"})"));
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.count(http::field::access_control_allow_origin), 0u);
  EXPECT_EQ(res.count(http::field::access_control_expose_headers), 0u);
  res = Send(Post("/api/v1/openai/chat/completions", R"({"model":"gpt-4o","stream":true})"));
  EXPECT_TRUE(res.chunked());
  EXPECT_EQ(res.count(http::field::access_control_allow_origin), 0u);
  EXPECT_EQ(res.count(http::field::access_control_expose_headers), 0u);
  res = Send(Post("/api/v1/openai/chat/completions", "{}", ""));
  EXPECT_EQ(res.result_int(), 401);
  EXPECT_EQ(res.count(http::field::access_control_allow_origin), 0u);
}

// Shutdown with a stream whose upstream has gone silent (and would stay so for 10 s, inside the
// upstream timeout): once the grace period is over, the upstream read is cancelled, the handler
// finishes and the usage event is recorded, incomplete, before Stop returns.
class GatewayShutdownTest : public GatewayServerTest {
 protected:
  std::chrono::milliseconds UpstreamTimeout() const override { return std::chrono::seconds(60); }
};

TEST_P(GatewayShutdownTest, AfterTheGracePeriodUpstreamWaitsAreCutAndRecorded) {
  asio::io_context ioc;
  tcp::socket socket(ioc);
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  OpenStream(socket, buffer, parser, "/api/v1/openai/chat/completions?stall=1");
  ASSERT_EQ(parser.get().result_int(), 200);

  const auto started = std::chrono::steady_clock::now();
  bool aborted = false;
  server_->Stop(std::chrono::milliseconds(300), [&] {
    aborted = true;
    client_->AbortInFlight();
  });
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_TRUE(aborted);
  EXPECT_LT(took, std::chrono::seconds(2));
  ASSERT_EQ(sink_.size(), 1u);  // recorded before Stop returned
  auto e = sink_.WaitFor(1);
  EXPECT_TRUE(e.is_streaming());
  EXPECT_TRUE(e.incomplete());
  EXPECT_EQ(e.status_code(), 200);
  EXPECT_EQ(e.model(), "gpt-4o");
  for (int i = 0; i < 300 && upstream_.stall_closed_after_ms.load() < 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GE(upstream_.stall_closed_after_ms.load(), 0);
  EXPECT_LT(upstream_.stall_closed_after_ms.load(), 3000);

  // Requests that begin after the abort are refused at once, never sent upstream.
  asio::io_context ioc2;
  absl::Status again;
  http::request<http::string_body> up(http::verb::post, "/v1/chat/completions", 11);
  up.body() = "{}";
  up.prepare_payload();
  asio::co_spawn(
      ioc2,
      [&]() -> asio::awaitable<void> {
        auto r = co_await client_->Start(endpoints_[0], up);
        again = r.status();
      },
      asio::detached);
  ioc2.run();
  EXPECT_EQ(again.code(), absl::StatusCode::kUnavailable) << again;
  EXPECT_EQ(upstream_.requests().size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(BusyPoll, GatewayServerTest, ::testing::Values(0, 200),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return info.param == 0 ? std::string("Sleeping")
                                                  : "BusyPoll" + std::to_string(info.param) + "us";
                         });
INSTANTIATE_TEST_SUITE_P(BusyPoll, GatewayShutdownTest, ::testing::Values(0, 200),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return info.param == 0 ? std::string("Sleeping")
                                                  : "BusyPoll" + std::to_string(info.param) + "us";
                         });

}  // namespace
}  // namespace llmgw::gateway

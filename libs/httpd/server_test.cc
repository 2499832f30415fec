// The shared server's connection limits seen from raw sockets: the header timeout closes a client
// trickling its header while an idle one stays, a refusal at the header comes before the body,
// CORS headers only where the options ask for them, and blocking work on the BlockingPool leaves
// the I/O thread free.

#include "libs/httpd/server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "libs/httpd/blocking_pool.h"

namespace llmgw::httpd {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// "/slow" sleeps 300 ms on the pool; everything else answers "ok" at once; a POST to /private
// is refused at its header.
class TestHandler : public HttpHandler {
 public:
  BlockingPool pool{1, 4, "test-pool"};

  asio::awaitable<void> Handle(HttpRequest& req, ResponseWriter& writer) override {
    if (req.target() == "/slow") {
      auto op = pool.Run([] { std::this_thread::sleep_for(300ms); });
      co_await std::move(op);
    }
    HttpResponse res(http::status::ok, req.version());
    res.body() = "ok";
    co_await writer.Write(res);
  }
  HttpResponse Reject(std::string_view, RejectReason reason) override {
    HttpResponse res(reason == RejectReason::kBodyTooLarge ? http::status::payload_too_large
                                                           : http::status::bad_request,
                     11);
    res.body() = "rejected";
    return res;
  }
  std::optional<HttpResponse> RefuseAtHeader(const HttpRequest& header) override {
    if (header.method() != http::verb::post || header.target() != "/private") return std::nullopt;
    HttpResponse res(http::status::unauthorized, 11);
    res.body() = "refused";
    return res;
  }
};

class HttpServerTest : public ::testing::Test {
 protected:
  void Start(HttpServerOptions options) {
    options.address = "127.0.0.1:0";
    options.threads = 1;
    auto server = HttpServer::Start(options, handler_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  tcp::socket Connect() {
    tcp::socket s(ioc_);
    s.connect({asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(server_->port())});
    return s;
  }
  // Everything the server sends until it closes (or 5 s pass).
  static std::string ReadAll(tcp::socket& s) {
    std::string out;
    char buf[4096];
    boost::system::error_code ec;
    const auto until = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < until) {
      size_t n = s.read_some(asio::buffer(buf), ec);
      if (ec) break;
      out.append(buf, n);
    }
    return out;
  }
  // Whether the server has closed `s` (a read returns EOF or a reset instead of blocking).
  static bool Closed(tcp::socket& s) {
    s.non_blocking(true);
    char c;
    boost::system::error_code ec;
    s.read_some(asio::buffer(&c, 1), ec);
    s.non_blocking(false);
    return ec && ec != asio::error::would_block;
  }

  asio::io_context ioc_;
  TestHandler handler_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, HeaderTimeoutClosesATricklingClientButNotAnIdleOne) {
  HttpServerOptions options;
  options.idle_timeout = 5s;
  options.header_timeout = 400ms;
  Start(options);
  tcp::socket idle = Connect();
  tcp::socket trickle = Connect();
  const std::string request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  for (size_t i = 0; i < 8; ++i) {  // one byte every 100 ms: 800 ms, past the header timeout
    boost::system::error_code ec;
    asio::write(trickle, asio::buffer(request.data() + i, 1), ec);
    if (ec) break;  // closed by the server already
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(Closed(trickle));
  EXPECT_FALSE(Closed(idle));
  // The idle connection still gets its answer.
  asio::write(idle, asio::buffer(request));
  char buf[512];
  size_t n = idle.read_some(asio::buffer(buf));
  EXPECT_EQ(std::string(buf, n).substr(0, 15), "HTTP/1.1 200 OK");
}

TEST_F(HttpServerTest, IdleTimeoutClosesAConnectionThatSendsNothing) {
  HttpServerOptions options;
  options.idle_timeout = 300ms;
  Start(options);
  tcp::socket idle = Connect();
  EXPECT_FALSE(Closed(idle));
  std::this_thread::sleep_for(700ms);
  EXPECT_TRUE(Closed(idle));
  EXPECT_EQ(server_->connections(), 0u);
}

TEST_F(HttpServerTest, ARefusalAtTheHeaderComesBeforeTheBodyLimit) {
  HttpServerOptions options;
  options.body_limit = 10;
  Start(options);
  tcp::socket s = Connect();
  const std::string req = "POST /private HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n";
  asio::write(s, asio::buffer(req));
  std::string out = ReadAll(s);
  EXPECT_EQ(out.substr(0, 12), "HTTP/1.1 401") << out;
  EXPECT_NE(out.find("refused"), std::string::npos);

  tcp::socket other = Connect();
  const std::string big = "POST /other HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n";
  asio::write(other, asio::buffer(big));
  EXPECT_EQ(ReadAll(other).substr(0, 12), "HTTP/1.1 413");
}

TEST_F(HttpServerTest, CorsHeadersOnlyWhenTheOptionsAskForThem) {
  const std::string req = "GET / HTTP/1.1\r\nHost: x\r\nOrigin: http://a.example\r\n"
                          "Connection: close\r\n\r\n";
  Start(HttpServerOptions{});
  tcp::socket plain = Connect();
  asio::write(plain, asio::buffer(req));
  EXPECT_EQ(ReadAll(plain).find("Access-Control-Allow-Origin"), std::string::npos);
  server_.reset();

  HttpServerOptions cors;
  cors.cors = true;
  Start(cors);
  tcp::socket with = Connect();
  asio::write(with, asio::buffer(req));
  EXPECT_NE(ReadAll(with).find("Access-Control-Allow-Origin: *"), std::string::npos);
}

// One I/O thread: while a request's work sleeps on the pool, another connection is answered.
TEST_F(HttpServerTest, BlockingWorkOnThePoolLeavesTheIoThreadFree) {
  Start(HttpServerOptions{});
  tcp::socket slow = Connect();
  asio::write(slow, asio::buffer(std::string("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")));
  std::this_thread::sleep_for(50ms);
  tcp::socket fast = Connect();
  const auto start = std::chrono::steady_clock::now();
  asio::write(fast, asio::buffer(std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
  char buf[512];
  size_t n = fast.read_some(asio::buffer(buf));
  const auto fast_done = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(std::string(buf, n).substr(0, 15), "HTTP/1.1 200 OK");
  n = slow.read_some(asio::buffer(buf));
  EXPECT_EQ(std::string(buf, n).substr(0, 15), "HTTP/1.1 200 OK");
  // The fast answer did not wait for the slow one's 300 ms.
  EXPECT_LT(fast_done, 250ms);
}

TEST(BlockingPoolTest, RefusesWorkBeyondItsQueue) {
  BlockingPool pool(1, 1, "test-pool");
  asio::io_context ioc;
  auto guard = asio::make_work_guard(ioc);  // poll() never finds the context out of work
  std::atomic<bool> release{false};
  std::atomic<int> ran{0};
  int refused = 0;
  auto spawn = [&](bool blocker) {
    asio::co_spawn(
        ioc,
        [&, blocker]() -> asio::awaitable<void> {
          auto op = pool.Run([&, blocker] {
            while (blocker && !release.load()) std::this_thread::sleep_for(1ms);
            ++ran;
          });
          if (!co_await std::move(op)) ++refused;
        },
        asio::detached);
  };
  spawn(true);
  ioc.poll();  // the blocker is posted
  while (pool.queued() > 0) std::this_thread::sleep_for(1ms);  // and taken by the worker
  for (int i = 0; i < 3; ++i) spawn(false);
  ioc.poll();  // one waits in the queue, two are refused
  EXPECT_EQ(refused, 2);
  release = true;
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (ran.load() < 2 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(1ms);
  }
  ioc.poll();
  EXPECT_EQ(ran.load(), 2);
  EXPECT_EQ(refused, 2);
}

}  // namespace
}  // namespace llmgw::httpd

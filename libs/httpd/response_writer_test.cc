// ResponseWriter's chunked responses as a client parses them, with and without a first chunk
// sent in the header's write.

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <string>

#include "libs/httpd/server.h"

namespace llmgw::httpd {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// A connected pair on 127.0.0.1: a plain client socket and the server side as a Beast stream.
struct Loopback {
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc, {asio::ip::make_address("127.0.0.1"), 0}};
  tcp::socket client{ioc};
  beast::tcp_stream server{Accept(acceptor, client)};

  static tcp::socket Accept(tcp::acceptor& a, tcp::socket& c) {
    c.connect(a.local_endpoint());
    return a.accept();
  }
};

// Writes a chunked response with `first` in the header's write, then "b", "c", end; returns what
// a Beast client parsed from the other end of a loopback connection.
http::response<http::string_body> WriteStream(std::string first, bool cors) {
  Loopback loop;
  asio::io_context& ioc = loop.ioc;
  tcp::socket& client = loop.client;
  beast::tcp_stream& server = loop.server;
  bool ok = false;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        ResponseWriter writer(server, std::chrono::seconds(5), /*keep_alive=*/true);
        if (cors) writer.EnableCors();
        HttpStreamHeader head(http::status::ok, 11);
        head.set(http::field::content_type, "text/event-stream");
        head.set("x-request-id", "req_1");
        ok = co_await writer.StartChunked(head, first);
        ok = ok && co_await writer.WriteChunk("data: b\n\n");
        ok = ok && co_await writer.WriteChunk("data: c\n\n");
        ok = ok && co_await writer.EndChunked();
      },
      asio::detached);
  ioc.run();
  EXPECT_TRUE(ok);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(client, buffer, res);
  return res;
}

TEST(ResponseWriterTest, FirstChunkInTheHeaderWriteParsesAsTheSameStream) {
  auto with = WriteStream("data: a\n\n", /*cors=*/true);
  EXPECT_EQ(with.result_int(), 200);
  EXPECT_TRUE(with.chunked());
  EXPECT_TRUE(with.keep_alive());
  EXPECT_EQ(with[http::field::content_type], "text/event-stream");
  EXPECT_EQ(with["x-request-id"], "req_1");
  EXPECT_EQ(with[http::field::access_control_allow_origin], "*");
  EXPECT_EQ(with.body(), "data: a\n\ndata: b\n\ndata: c\n\n");

  auto without = WriteStream("", /*cors=*/false);
  EXPECT_TRUE(without.chunked());
  EXPECT_EQ(without["x-request-id"], "req_1");
  EXPECT_EQ(without.count(http::field::access_control_allow_origin), 0u);
  EXPECT_EQ(without.body(), "data: b\n\ndata: c\n\n");
}

// The bytes on the wire: the header is byte for byte the same whether the first chunk goes in its
// write or not, for any status (a custom reason and an unknown code too). http_wire_test checks
// the header itself against Beast's serializer.
std::string WireHead(std::string first, http::status status, std::string reason) {
  Loopback loop;
  asio::io_context& ioc = loop.ioc;
  tcp::socket& client = loop.client;
  beast::tcp_stream& server = loop.server;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        ResponseWriter writer(server, std::chrono::seconds(5), /*keep_alive=*/false);
        writer.EnableCors();
        HttpStreamHeader head(status, 11);
        if (!reason.empty()) head.reason(reason);
        head.set(http::field::content_type, "text/event-stream");
        head.set("x-request-id", "req_1");
        head.insert("x-repeated", "1");
        head.insert("x-repeated", "2");
        co_await writer.StartChunked(head, first);
        server.close();
      },
      asio::detached);
  ioc.run();
  std::string raw;
  beast::error_code ec;
  char buf[4096];
  for (;;) {
    size_t n = client.read_some(asio::buffer(buf), ec);
    if (ec) break;
    raw.append(buf, n);
  }
  return raw.substr(0, raw.find("\r\n\r\n") + 4);
}

TEST(ResponseWriterTest, HeaderIsTheSameWithOrWithoutAFirstChunk) {
  const std::string ok = WireHead("data: a\n\n", http::status::ok, "");
  EXPECT_EQ(ok.substr(0, 17), "HTTP/1.1 200 OK\r\n");
  EXPECT_EQ(ok, WireHead("", http::status::ok, ""));
  EXPECT_EQ(WireHead("x", http::status::too_many_requests, ""),
            WireHead("", http::status::too_many_requests, ""));
  EXPECT_EQ(WireHead("x", http::status::ok, "Fine Thanks"),
            WireHead("", http::status::ok, "Fine Thanks"));
  EXPECT_EQ(WireHead("x", static_cast<http::status>(599), ""),
            WireHead("", static_cast<http::status>(599), ""));
}

// The end of the body in the same write as the last events: EndChunked then writes nothing, and
// the next response on the connection parses as its own message.
TEST(ResponseWriterTest, EndOfBodyLeavesWithTheLastEvents) {
  for (int variant = 0; variant < 3; ++variant) {
    Loopback loop;
    asio::io_context& ioc = loop.ioc;
    tcp::socket& client = loop.client;
    beast::tcp_stream& server = loop.server;
    bool ok = false;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          ResponseWriter writer(server, std::chrono::seconds(5), /*keep_alive=*/true);
          HttpStreamHeader head(http::status::ok, 11);
          head.set(http::field::content_type, "text/event-stream");
          if (variant == 0) {  // everything in the header's write
            ok = co_await writer.StartChunked(head, "data: a\n\n", /*last=*/true);
          } else if (variant == 1) {  // the last chunk carries the end
            ok = co_await writer.StartChunked(head, "data: a\n\n");
            ok = ok && co_await writer.WriteChunk("data: b\n\n", /*last=*/true);
          } else {  // an empty last write is the end alone
            ok = co_await writer.StartChunked(head, "data: a\n\n");
            ok = ok && co_await writer.WriteChunk("", /*last=*/true);
          }
          ok = ok && co_await writer.EndChunked();      // already ended: nothing written
          ok = ok && !co_await writer.WriteChunk("x");  // nothing after the end
          ResponseWriter next(server, std::chrono::seconds(5), /*keep_alive=*/true);
          HttpResponse res(http::status::ok, 11);
          res.body() = "second";
          ok = ok && co_await next.Write(res);
          server.close();
        },
        asio::detached);
    ioc.run();
    EXPECT_TRUE(ok) << variant;
    beast::flat_buffer buffer;
    http::response<http::string_body> first;
    http::response<http::string_body> second;
    http::read(client, buffer, first);
    http::read(client, buffer, second);
    EXPECT_TRUE(first.chunked());
    EXPECT_EQ(first.body(), variant == 1 ? "data: a\n\ndata: b\n\n" : "data: a\n\n") << variant;
    EXPECT_EQ(second.body(), "second") << variant;
    beast::error_code ec;
    http::response<http::string_body> none;
    http::read(client, buffer, none, ec);
    EXPECT_EQ(ec, http::error::end_of_stream) << variant;  // nothing stray after the second
  }
}

}  // namespace
}  // namespace llmgw::httpd

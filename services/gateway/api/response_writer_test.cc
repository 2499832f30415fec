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

#include "services/gateway/api/http_server.h"

namespace llmgw::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Writes a chunked response with `first` in the header's write, then "b", "c", end; returns what
// a Beast client parsed from the other end of a loopback connection.
http::response<http::string_body> WriteStream(std::string first, bool cors) {
  asio::io_context ioc;
  tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
  tcp::socket client(ioc);
  client.connect(acceptor.local_endpoint());
  beast::tcp_stream server(acceptor.accept());
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

}  // namespace
}  // namespace llmgw::gateway

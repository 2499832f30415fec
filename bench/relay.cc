// llmgw-bench-relay: the floor for the gateway's added latency on this machine.
//
// A do-nothing HTTP/1.1 reverse proxy on the same Boost.Beast/Asio base as the gateway: one
// thread, one keep-alive upstream connection per client connection, each request parsed,
// forwarded with its headers and body unchanged, and its response read whole and written back.
// No auth, no usage, no headers filtered, no ids. bench/gateway.sh measures it beside the
// gateway, so the figures separate what any proxy hop costs here (a second loopback round trip
// and two more process wake-ups) from what the gateway's own work costs.
//
//   llmgw-bench-relay --listen 127.0.0.1:0 --upstream 127.0.0.1:9000 --port-file FILE
//                     [--busy-poll-us N]   (the gateway's LLMGW_GATEWAY_BUSY_POLL_US: the same
//                                          RunEventLoop, libs/httpd/event_loop.h)
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "libs/httpd/event_loop.h"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

namespace {

tcp::endpoint ParseEndpoint(const std::string& s) {
  const size_t colon = s.rfind(':');
  if (colon == std::string::npos) {
    std::fprintf(stderr, "bad address %s (want host:port)\n", s.c_str());
    std::exit(2);
  }
  return {asio::ip::make_address(s.substr(0, colon)),
          static_cast<unsigned short>(std::atoi(s.c_str() + colon + 1))};
}

asio::awaitable<void> Relay(tcp::socket client_socket, tcp::endpoint upstream_ep) {
  beast::tcp_stream client(std::move(client_socket));
  beast::tcp_stream upstream(co_await asio::this_coro::executor);
  if (auto [ec] = co_await upstream.async_connect(upstream_ep, kTuple); ec) co_return;
  upstream.socket().set_option(tcp::no_delay(true));
  beast::flat_buffer client_buf;
  beast::flat_buffer upstream_buf;
  while (true) {
    http::request<http::string_body> req;
    if (auto [ec, n] = co_await http::async_read(client, client_buf, req, kTuple); ec) break;
    const bool keep_alive = req.keep_alive();
    req.keep_alive(true);
    if (auto [ec, n] = co_await http::async_write(upstream, req, kTuple); ec) break;
    http::response<http::string_body> res;
    if (auto [ec, n] = co_await http::async_read(upstream, upstream_buf, res, kTuple); ec) break;
    res.keep_alive(keep_alive);
    if (auto [ec, n] = co_await http::async_write(client, res, kTuple); ec || !keep_alive) break;
  }
  beast::error_code ignored;
  client.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

asio::awaitable<void> Accept(tcp::acceptor& acceptor, tcp::endpoint upstream_ep) {
  while (true) {
    auto [ec, socket] = co_await acceptor.async_accept(kTuple);
    if (ec) continue;
    socket.set_option(tcp::no_delay(true));
    asio::co_spawn(acceptor.get_executor(), Relay(std::move(socket), upstream_ep), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:0", upstream, port_file;
  long busy_poll_us = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--listen")
      listen = argv[i + 1];
    else if (flag == "--upstream")
      upstream = argv[i + 1];
    else if (flag == "--port-file")
      port_file = argv[i + 1];
    else if (flag == "--busy-poll-us")
      busy_poll_us = std::atol(argv[i + 1]);
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (upstream.empty()) {
    std::fprintf(stderr,
                 "usage: llmgw-bench-relay --upstream HOST:PORT [--listen HOST:PORT] "
                 "[--port-file FILE] [--busy-poll-us N]\n");
    return 2;
  }
  asio::io_context ctx(1);
  tcp::acceptor acceptor(ctx, ParseEndpoint(listen));
  if (!port_file.empty()) std::ofstream(port_file) << acceptor.local_endpoint().port() << "\n";
  asio::co_spawn(ctx, Accept(acceptor, ParseEndpoint(upstream)), asio::detached);
  llmgw::httpd::RunEventLoop(ctx, std::chrono::microseconds(busy_poll_us));
  return 0;
}

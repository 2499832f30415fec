#include "tools/mock-provider/server.h"

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <chrono>
#include <ctime>
#include <exception>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"
#include "tools/mock-provider/admin_reports.h"

namespace llmgw::mock {
namespace {
namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using boost::system::error_code;

constexpr int kListenBacklog = 4096;
constexpr size_t kBodyLimit = 64 * 1024 * 1024;

std::string ReasonLine(int status) {
  std::string_view reason = http::obsolete_reason(static_cast<http::status>(status));
  if (reason.empty() || reason == "<unknown-status>") reason = "Status";
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
}

void AppendChunk(std::string& out, std::string_view data) {
  if (data.empty()) return;
  char size[20];
  int n = std::snprintf(size, sizeof(size), "%zx\r\n", data.size());
  out.append(size, n);
  out.append(data);
  out.append("\r\n");
}

}  // namespace

void RequestLog::Add(Entry entry) {
  std::lock_guard<std::mutex> lock(mu_);
  if (entries_.size() >= kCapacity) entries_.pop_front();
  entries_.push_back(std::move(entry));
}

void RequestLog::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.clear();
}

std::string RequestLog::ToJson() const {
  nlohmann::json out = nlohmann::json::array();
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& e : entries_) {
    nlohmann::json headers = nlohmann::json::object();
    for (const auto& [k, v] : e.headers) headers[k] = v;
    out.push_back({{"method", e.method}, {"target", e.target}, {"headers", std::move(headers)}});
  }
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

struct MockServer::Impl {
  net::io_context io;
  tcp::acceptor acceptor{io};
  std::unique_ptr<net::ssl::context> tls;  // HTTPS when set
  Options options;
  RequestLog log;
  UsageLedger ledger;  // what the admin usage reports tell
  std::atomic<uint64_t> counter{0};

  MockResponse Introspect(const MockRequest& request) {
    if (auto admin = HandleAdminControl(request, ledger, std::time(nullptr))) return *admin;
    MockResponse r;
    std::string_view path = request.target;
    if (size_t q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
    if (request.method == "GET" && path == "/_mock/requests") {
      r.body = log.ToJson();
    } else if (request.method == "POST" && path == "/_mock/reset") {
      log.Clear();
      ledger.Clear();
      r.body = R"({"ok":true})";
    } else {
      r.status = 404;
      r.body = R"({"error":"unknown mock endpoint"})";
    }
    return r;
  }

  MockResponse Respond(MockRequest& request) {
    if (request.target.rfind("/_mock/", 0) == 0) return Introspect(request);
    Context context{counter.fetch_add(1, std::memory_order_relaxed) + 1,
                    static_cast<int64_t>(std::time(nullptr))};
    MockResponse r;
    try {
      if (auto report = HandleAdminReport(request, ledger, {options.report_page_buckets}, context,
                                          context.created)) {
        r = *std::move(report);
      } else {
        r = HandleRequest(request, options, context);
        RecordServed(request, r, ledger, context.created);
      }
    } catch (const std::exception&) {
      r = MockResponse();
      r.status = 500;
      r.body =
          R"({"error":{"message":"mock internal error","type":"server_error","param":null,"code":null}})";
    }
    log.Add({std::move(request.method), std::move(request.target), std::move(request.headers)});
    return r;
  }

  template <class Stream>
  net::awaitable<void> WaitUntil(Stream& socket, std::chrono::steady_clock::time_point t) {
    net::steady_timer timer(socket.get_executor());
    timer.expires_at(t);
    error_code ec;
    co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
  }

  net::awaitable<void> ServePlain(tcp::socket socket) {
    co_await Serve(socket);
    error_code ec;
    socket.shutdown(tcp::socket::shutdown_send, ec);
    socket.close(ec);
  }

  net::awaitable<void> ServeTls(tcp::socket socket) {
    net::ssl::stream<tcp::socket> stream(std::move(socket), *tls);
    error_code ec;
    co_await stream.async_handshake(net::ssl::stream_base::server,
                                    net::redirect_error(net::use_awaitable, ec));
    if (!ec) co_await Serve(stream);
    // No close_notify exchange: the client may be gone, and nothing here depends on it.
    stream.lowest_layer().shutdown(tcp::socket::shutdown_send, ec);
    stream.lowest_layer().close(ec);
  }

  // Requests on one connection, keep-alive, until the client closes or asks to.
  template <class Stream>
  net::awaitable<void> Serve(Stream& socket) {
    boost::beast::flat_buffer buffer;
    error_code ec;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(kBodyLimit);
      co_await http::async_read_header(socket, buffer, parser,
                                       net::redirect_error(net::use_awaitable, ec));
      if (ec) break;
      // curl sends "Expect: 100-continue" for large bodies and waits a second without an answer.
      if (boost::beast::iequals(parser.get()[http::field::expect], "100-continue")) {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        co_await net::async_write(socket, net::buffer(kContinue),
                                  net::redirect_error(net::use_awaitable, ec));
        if (ec) break;
      }
      co_await http::async_read(socket, buffer, parser,
                                net::redirect_error(net::use_awaitable, ec));
      if (ec) break;
      http::request<http::string_body>& req = parser.get();
      bool keep_alive = req.keep_alive();
      bool http10 = req.version() == 10;
      MockRequest request;
      request.method = std::string(req.method_string());
      request.target = std::string(req.target());
      request.headers.reserve(16);
      for (const auto& field : req) {
        std::string name(field.name_string());
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        request.headers.emplace_back(std::move(name), std::string(field.value()));
      }
      request.body = std::move(req.body());
      MockResponse response = Respond(request);
      // Deadlines count from the request, so slow writes do not stretch the stream.
      auto deadline = std::chrono::steady_clock::now();
      if (response.latency_ms > 0) {
        deadline += std::chrono::milliseconds(response.latency_ms);
        co_await WaitUntil(socket, deadline);
      }

      std::string head = ReasonLine(response.status);
      head += "Content-Type: " + response.content_type + "\r\n";
      for (const auto& [k, v] : response.headers) head += k + ": " + v + "\r\n";
      if (!keep_alive) head += "Connection: close\r\n";
      if (!response.streaming) {
        head += "Content-Length: " + std::to_string(response.body.size()) + "\r\n\r\n";
        std::array<net::const_buffer, 2> buffers{net::buffer(head), net::buffer(response.body)};
        co_await net::async_write(socket, buffers, net::redirect_error(net::use_awaitable, ec));
        if (ec) break;
      } else {
        // HTTP/1.0 has no chunked encoding: send raw and close.
        if (http10) {
          keep_alive = false;
          head += "Connection: close\r\n";
        } else {
          head += "Transfer-Encoding: chunked\r\n";
        }
        head += "\r\n";
        std::string pending = std::move(head);
        std::string group;
        auto flush = [&] {
          if (http10) {
            pending += group;
          } else {
            AppendChunk(pending, group);
          }
          group.clear();
        };
        for (auto& frame : response.frames) {
          if (frame.delay_ms > 0) {
            flush();
            if (!pending.empty()) {
              co_await net::async_write(socket, net::buffer(pending),
                                        net::redirect_error(net::use_awaitable, ec));
              if (ec) break;
              pending.clear();
            }
            deadline += std::chrono::milliseconds(frame.delay_ms);
            co_await WaitUntil(socket, deadline);
          }
          group += frame.bytes;
        }
        if (ec) break;
        flush();
        if (!http10) pending += "0\r\n\r\n";
        co_await net::async_write(socket, net::buffer(pending),
                                  net::redirect_error(net::use_awaitable, ec));
        if (ec) break;
      }
      if (!keep_alive) break;
    }
  }

  net::awaitable<void> Accept() {
    for (;;) {
      error_code ec;
      tcp::socket socket =
          co_await acceptor.async_accept(net::redirect_error(net::use_awaitable, ec));
      if (ec) {
        if (!acceptor.is_open() || ec == net::error::operation_aborted) co_return;
        // Out of descriptors and the like: back off briefly instead of spinning.
        net::steady_timer timer(io);
        timer.expires_after(std::chrono::milliseconds(10));
        co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      if (tls) {
        net::co_spawn(io, ServeTls(std::move(socket)), [](std::exception_ptr) {});
      } else {
        net::co_spawn(io, ServePlain(std::move(socket)), [](std::exception_ptr) {});
      }
    }
  }
};

MockServer::MockServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MockServer::~MockServer() { Stop(); }

absl::StatusOr<std::unique_ptr<MockServer>> MockServer::Start(const std::string& host,
                                                              uint16_t port, const Options& options,
                                                              int threads, const TlsIdentity* tls) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  error_code ec;
  if (tls != nullptr) {
    impl->tls = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
    impl->tls->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                           net::ssl::context::no_sslv3);
    impl->tls->use_certificate_chain(net::buffer(tls->cert_chain_pem), ec);
    if (!ec) impl->tls->use_private_key(net::buffer(tls->key_pem), net::ssl::context::pem, ec);
    if (ec) return absl::InvalidArgumentError("bad TLS certificate or key: " + ec.message());
  }
  net::ip::address address = net::ip::make_address(host, ec);
  if (ec) return absl::InvalidArgumentError("bad listen address: " + host);
  tcp::endpoint endpoint(address, port);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(kListenBacklog, ec);
  if (ec) {
    return absl::UnavailableError("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                                  ec.message());
  }
  uint16_t bound = impl->acceptor.local_endpoint().port();
  Impl* raw = impl.get();
  net::co_spawn(raw->io, raw->Accept(), [](std::exception_ptr) {});
  std::unique_ptr<MockServer> server(new MockServer(std::move(impl)));
  server->port_ = bound;
  for (int i = 0; i < std::max(1, threads); ++i) {
    server->threads_.emplace_back([raw] { raw->io.run(); });
  }
  return server;
}

void MockServer::Stop() {
  if (!impl_) return;
  impl_->io.stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

}  // namespace llmgw::mock

#include "services/gateway/clients/upstream_client.h"

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <array>
#include <cerrno>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "libs/httpd/http_wire.h"

namespace llmgw::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

class UpstreamConnection {
 public:
  // Beast reads at most max(512, free capacity) per call: a whole typical response head (and a
  // small body) in one recv.
  static constexpr size_t kReadBuffer = 4096;

  using Plain = beast::tcp_stream;
  using Tls = beast::ssl_stream<beast::tcp_stream>;

  UpstreamConnection(std::string key, Plain s) : key_(std::move(key)), stream_(std::move(s)) {
    buffer_.reserve(kReadBuffer);
  }
  UpstreamConnection(std::string key, Tls s) : key_(std::move(key)), stream_(std::move(s)) {
    buffer_.reserve(kReadBuffer);
  }

  beast::tcp_stream& lowest() {
    return std::visit([](auto& s) -> beast::tcp_stream& { return beast::get_lowest_layer(s); },
                      stream_);
  }
  template <typename F>
  auto Visit(F&& f) {
    return std::visit(std::forward<F>(f), stream_);
  }
  // The peer closed (or sent something unexpected) while the connection sat in the pool.
  bool LooksClosed() {
    auto& sock = lowest().socket();
    if (!sock.is_open()) return true;
    char c;
    ssize_t n = ::recv(sock.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) return true;
    if (n > 0) return true;  // unsolicited bytes (or a TLS alert): do not trust it
    return !(errno == EAGAIN || errno == EWOULDBLOCK);
  }
  void Close() {
    beast::error_code ec;
    lowest().socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    lowest().socket().close(ec);
  }

  const std::string& key() const { return key_; }
  beast::flat_buffer& buffer() { return buffer_; }
  Clock::time_point idle_since;
  bool reused = false;

 private:
  std::string key_;
  std::variant<Plain, Tls> stream_;
  beast::flat_buffer buffer_;
};

namespace {

absl::Status IoError(const beast::error_code& ec, const char* what) {
  if (ec == beast::error::timeout) {
    return absl::DeadlineExceededError(absl::StrCat("upstream timed out while ", what));
  }
  return absl::UnavailableError(absl::StrCat("upstream ", what, " failed: ", ec.message()));
}

std::chrono::milliseconds Remaining(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? left : std::chrono::milliseconds(1);
}

std::string PoolKeyOf(const void* context, const UpstreamEndpoint& ep) {
  return absl::StrCat(reinterpret_cast<uintptr_t>(context), "|", ep.tls ? "s|" : "p|", ep.host, "|",
                      ep.port);
}

}  // namespace

absl::StatusOr<UpstreamEndpoint> ParseBaseUrl(std::string_view url) {
  UpstreamEndpoint ep;
  std::string_view rest;
  if (url.substr(0, 8) == "https://") {
    ep.tls = true;
    rest = url.substr(8);
  } else if (url.substr(0, 7) == "http://") {
    ep.tls = false;
    rest = url.substr(7);
  } else {
    return absl::InvalidArgumentError(absl::StrCat("not an http(s) URL: ", std::string(url)));
  }
  if (rest.find_first_of("?#@") != std::string_view::npos) {
    return absl::InvalidArgumentError("base URL must not have a query, fragment or user info");
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    ep.host = std::string(authority.substr(0, colon));
    ep.port = std::string(authority.substr(colon + 1));
    if (ep.port.empty() || ep.port.find_first_not_of("0123456789") != std::string::npos) {
      return absl::InvalidArgumentError("bad port in base URL");
    }
  } else {
    ep.host = std::string(authority);
    ep.port = ep.tls ? "443" : "80";
  }
  if (ep.host.empty()) return absl::InvalidArgumentError("base URL has no host");
  ep.base_path = std::string(path);
  const bool default_port = ep.port == (ep.tls ? "443" : "80");
  ep.host_header = default_port ? ep.host : absl::StrCat(ep.host, ":", ep.port);
  return ep;
}

UpstreamClient::UpstreamClient(UpstreamOptions options)
    : options_(options), ssl_(asio::ssl::context::tls_client) {
  ssl_.set_default_verify_paths();
  ssl_.set_verify_mode(asio::ssl::verify_peer);
  ssl_.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1);
}

UpstreamClient::~UpstreamClient() = default;

size_t UpstreamClient::idle_connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& [k, v] : idle_) n += v.size();
  return n;
}

void UpstreamClient::CloseIdle() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  for (auto& [key, list] : idle_) {
    for (auto& c : list) c->Close();
  }
  idle_.clear();
}

void UpstreamClient::AbortInFlight() {
  std::lock_guard<std::mutex> lock(mu_);
  aborting_ = true;
  for (UpstreamExchange* x : in_flight_) {
    // The socket belongs to its I/O thread: cancel there, if the exchange still exists then.
    asio::post(x->conn_->lowest().get_executor(), [this, x] {
      std::lock_guard<std::mutex> lock(mu_);
      if (in_flight_.count(x) > 0) x->conn_->lowest().cancel();
    });
  }
}

std::unique_ptr<UpstreamConnection> UpstreamClient::TakeIdle(const std::string& key) {
  const auto now = Clock::now();
  while (true) {
    std::unique_ptr<UpstreamConnection> conn;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = idle_.find(key);
      if (it == idle_.end() || it->second.empty()) return nullptr;
      conn = std::move(it->second.back());
      it->second.pop_back();
    }
    if (now - conn->idle_since < options_.pool_idle && !conn->LooksClosed()) {
      conn->reused = true;
      return conn;
    }
    conn->Close();
  }
}

void UpstreamClient::Release(std::unique_ptr<UpstreamConnection> conn) {
  conn->idle_since = Clock::now();
  conn->lowest().expires_never();
  std::lock_guard<std::mutex> lock(mu_);
  auto& list = idle_[conn->key()];
  if (closed_ || list.size() >= options_.max_idle_per_host) {
    conn->Close();
    return;
  }
  list.push_back(std::move(conn));
}

asio::awaitable<absl::StatusOr<std::unique_ptr<UpstreamExchange>>> UpstreamClient::Start(
    const UpstreamEndpoint& ep, http::request<http::string_body>& req) {
  auto ex = co_await asio::this_coro::executor;
  const void* context = &asio::query(ex, asio::execution::context);
  const std::string key = PoolKeyOf(context, ep);
  const auto deadline = Clock::now() + options_.total_timeout;
  const bool head = req.method() == http::verb::head;
  // Prepared requests have a Content-Length (or no body): the head and the body go out as they
  // are. A chunked one is left to Beast to frame.
  const bool raw_write = !req.chunked();
  const std::string head_bytes = raw_write ? httpd::SerializeHead(req.base()) : std::string();

  constexpr auto kAborted = "upstream request abandoned: the gateway is shutting down";
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (aborting_.load()) co_return absl::UnavailableError(kAborted);
    std::unique_ptr<UpstreamConnection> conn = TakeIdle(key);
    if (conn == nullptr) {
      asio::ip::tcp::resolver resolver(ex);
      auto [rec, results] = co_await resolver.async_resolve(ep.host, ep.port, kTuple);
      if (rec) co_return IoError(rec, "resolve");
      beast::tcp_stream tcp(ex);
      tcp.expires_after(
          std::min<std::chrono::milliseconds>(options_.connect_timeout, Remaining(deadline)));
      auto [cec, _] = co_await tcp.async_connect(results, kTuple);
      if (cec) co_return IoError(cec, "connect");
      beast::error_code ignored;
      tcp.socket().set_option(asio::ip::tcp::no_delay(true), ignored);
      if (ep.tls) {
        UpstreamConnection::Tls tls(std::move(tcp), ssl_);
        if (!SSL_set_tlsext_host_name(tls.native_handle(), ep.host.c_str())) {
          co_return absl::UnavailableError("upstream TLS: cannot set SNI");
        }
        tls.set_verify_callback(asio::ssl::host_name_verification(ep.host));
        auto [hec] = co_await tls.async_handshake(asio::ssl::stream_base::client, kTuple);
        if (hec) co_return IoError(hec, "TLS handshake");
        conn = std::make_unique<UpstreamConnection>(key, std::move(tls));
      } else {
        conn = std::make_unique<UpstreamConnection>(key, std::move(tcp));
      }
    }

    conn->lowest().expires_after(Remaining(deadline));
    auto [wec, written] = co_await conn->Visit([&](auto& s) {
      return raw_write ? asio::async_write(s,
                                           std::array<asio::const_buffer, 2>{
                                               asio::buffer(head_bytes), asio::buffer(req.body())},
                                           kTuple)
                       : http::async_write(s, req, kTuple);
    });
    if (wec) {
      const bool retry = conn->reused && wec != beast::error::timeout;
      conn->Close();
      if (retry) continue;  // a stale pooled connection: the request never left
      co_return IoError(wec, "write");
    }
    auto exchange = std::make_unique<UpstreamExchange>(*this, std::move(conn), deadline, head);
    if (aborting_.load()) {  // began after AbortInFlight went through the exchanges
      exchange->failed_ = true;
      co_return absl::UnavailableError(kAborted);
    }
    auto& c = *exchange->conn_;
    c.lowest().expires_after(Remaining(deadline));
    auto [hec, n] = co_await c.Visit(
        [&](auto& s) { return http::async_read_header(s, c.buffer(), exchange->parser_, kTuple); });
    if (hec) {
      exchange->failed_ = true;
      co_return IoError(hec, "reading the response header");
    }
    co_return exchange;
  }
  co_return absl::UnavailableError("upstream connection failed");
}

UpstreamExchange::UpstreamExchange(UpstreamClient& client, std::unique_ptr<UpstreamConnection> conn,
                                   std::chrono::steady_clock::time_point deadline, bool head)
    : client_(client), conn_(std::move(conn)), deadline_(deadline) {
  parser_.body_limit(boost::none);
  parser_.header_limit(64 * 1024);
  if (head) parser_.skip(true);
  std::lock_guard<std::mutex> lock(client_.mu_);
  client_.in_flight_.insert(this);
}

UpstreamExchange::~UpstreamExchange() {
  {
    std::lock_guard<std::mutex> lock(client_.mu_);
    client_.in_flight_.erase(this);
  }
  if (!failed_ && parser_.is_done() && parser_.keep_alive() && conn_->buffer().size() == 0) {
    conn_->reused = false;
    client_.Release(std::move(conn_));
  } else {
    conn_->Close();
  }
}

bool UpstreamExchange::HasBufferedBody() const {
  return !parser_.is_done() && conn_->buffer().size() > 0;
}

beast::error_code UpstreamExchange::ParseBuffered() {
  beast::error_code ec;
  while (!parser_.is_done() && conn_->buffer().size() > 0) {
    const size_t used = parser_.put(conn_->buffer().data(), ec);
    conn_->buffer().consume(used);
    if (ec == http::error::need_buffer || ec == http::error::need_more) return {};
    if (ec || used == 0) break;
  }
  return ec;
}

asio::awaitable<absl::StatusOr<size_t>> UpstreamExchange::ReadSome(char* buf, size_t n) {
  parser_.get().body().data = buf;
  parser_.get().body().size = n;
  // Bytes already buffered (a small body comes with its header, a chunked body's end with its
  // last chunk) are parsed here, without a trip through the event loop; so the caller sees
  // done() as soon as the end of the body has arrived.
  beast::error_code ec = ParseBuffered();
  while (!ec) {
    const size_t got = n - parser_.get().body().size;
    if (got > 0 || parser_.is_done()) co_return got;
    if (client_.aborting_.load()) {
      failed_ = true;
      co_return absl::UnavailableError("upstream read abandoned: the gateway is shutting down");
    }
    auto idle = client_.options().idle_read_timeout;
    conn_->lowest().expires_after(std::min(idle, Remaining(deadline_)));
    auto [rec, _] = co_await conn_->Visit(
        [&](auto& s) { return http::async_read_some(s, conn_->buffer(), parser_, kTuple); });
    ec = rec == http::error::need_buffer ? beast::error_code() : rec;
    if (!ec) ec = ParseBuffered();
  }
  failed_ = true;
  co_return IoError(ec, "reading the response body");
}

}  // namespace llmgw::gateway

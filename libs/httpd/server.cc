#include "libs/httpd/server.h"

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_cat.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <cstdio>
#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/common/log.h"
#include "libs/common/thread.h"
#include "libs/httpd/event_loop.h"
#include "libs/httpd/framing.h"
#include "libs/httpd/http_wire.h"

namespace llmgw::httpd {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

struct HttpServer::Session {
  explicit Session(asio::ip::tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;
  bool idle = true;  // waiting for a request; touched only on the session's thread
};

namespace {
using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;
constexpr size_t kSessionReadBuffer = 4096;  // kept small: 8,000 idle streams hold one each

bool IsDisconnect(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
         ec == asio::error::bad_descriptor || ec == beast::error::timeout ||
         ec == asio::error::broken_pipe || ec == http::error::partial_message;
}

// Whether the request is a cross-origin one (browsers send Origin on every CORS request).
template <typename Fields>
bool HasOrigin(const Fields& fields) {
  return fields.find(http::field::origin) != fields.end();
}

template <typename Fields>
void SetCorsHeaders(Fields& fields) {
  fields.set(http::field::access_control_allow_origin, "*");
  fields.set(http::field::access_control_expose_headers, "x-request-id, request-id");
  fields.erase(http::field::access_control_allow_credentials);
}

// The header section at the front of `bytes` (up to and including the CRLF before the empty
// line; leading empty lines skipped), or nullopt while it has not all arrived.
std::optional<std::string_view> HeaderSection(std::string_view bytes) {
  size_t start = 0;
  while (bytes.substr(start, 2) == "\r\n") start += 2;
  const size_t end = bytes.find("\r\n\r\n", start);
  if (end == std::string_view::npos) return std::nullopt;
  return bytes.substr(start, end + 2 - start);
}

// http::async_read_header, but a header section that folds a line (HasObsFold) is refused
// with `obs_fold` set instead of being unfolded. Beast parses a header only once all of it is in
// the buffer, so the section is scanned before the parser sees it. Once the request's first byte
// is in, the rest of the header has `header_timeout` (when > 0) to arrive.
asio::awaitable<beast::error_code> ReadRequestHeader(beast::tcp_stream& stream,
                                                     beast::flat_buffer& buffer,
                                                     http::request_parser<http::string_body>& parser,
                                                     std::chrono::milliseconds header_timeout,
                                                     bool& obs_fold) {
  obs_fold = false;
  bool header_clock_started = false;
  while (true) {
    if (!header_clock_started && buffer.size() > 0 && header_timeout.count() > 0) {
      header_clock_started = true;
      stream.expires_after(header_timeout);
    }
    if (buffer.size() > 0) {
      const std::string_view bytes(static_cast<const char*>(buffer.data().data()), buffer.size());
      const std::optional<std::string_view> section = HeaderSection(bytes);
      if (section && HasObsFold(*section)) {
        obs_fold = true;
        co_return http::error::bad_value;
      }
      beast::error_code ec;
      buffer.consume(parser.put(buffer.data(), ec));
      if (ec != http::error::need_more) {
        if (ec || parser.is_header_done()) co_return ec;
      }
    }
    const size_t room = std::max<size_t>(512, buffer.capacity() - buffer.size());
    auto [ec, n] = co_await stream.async_read_some(buffer.prepare(room), kTuple);
    buffer.commit(n);
    if (ec == asio::error::eof) {
      co_return parser.got_some() || buffer.size() > 0 ? beast::error_code(http::error::partial_message)
                                                       : beast::error_code(http::error::end_of_stream);
    }
    if (ec) co_return ec;
  }
}

// Parses the body bytes that arrived with the header (a typical request comes in one segment)
// without another trip through the event loop, as Beast's async_read would before returning.
beast::error_code ParseBufferedBody(http::request_parser<http::string_body>& parser,
                                    beast::flat_buffer& buffer) {
  beast::error_code ec;
  while (!parser.is_done() && buffer.size() > 0) {
    const size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec == http::error::need_more) return {};
    if (ec || used == 0) break;
  }
  return ec;
}

}  // namespace

// ---- ResponseWriter

ResponseWriter::ResponseWriter(beast::tcp_stream& stream, std::chrono::milliseconds write_timeout,
                               bool keep_alive)
    : stream_(stream), write_timeout_(write_timeout), keep_alive_(keep_alive) {}

std::string ResponseWriter::remote_address() const {
  beast::error_code ec;
  auto endpoint = stream_.socket().remote_endpoint(ec);
  return ec ? std::string() : endpoint.address().to_string();
}

asio::awaitable<bool> ResponseWriter::Write(HttpResponse& res) {
  if (failed_ || started_) co_return false;
  started_ = true;
  if (cors_) SetCorsHeaders(res);
  res.keep_alive(keep_alive_);
  res.prepare_payload();
  stream_.expires_after(write_timeout_);
  if (res.chunked()) {  // not from our handlers; Beast frames it
    auto [ec, n] = co_await http::async_write(stream_, res, kTuple);
    failed_ = static_cast<bool>(ec);
    co_return !failed_;
  }
  const std::string head = SerializeHead(res.base());
  const std::array<asio::const_buffer, 2> buffers = {asio::buffer(head), asio::buffer(res.body())};
  auto [ec, n] = co_await asio::async_write(stream_, buffers, kTuple);
  failed_ = static_cast<bool>(ec);
  co_return !failed_;
}

asio::awaitable<bool> ResponseWriter::StartChunked(HttpStreamHeader& res,
                                                   std::string_view first_chunk, bool last) {
  if (failed_ || started_) co_return false;
  started_ = true;
  if (cors_) SetCorsHeaders(res);
  res.keep_alive(keep_alive_);
  res.chunked(true);
  co_return co_await SendChunk(SerializeHead(res.base()), first_chunk, last);
}

asio::awaitable<bool> ResponseWriter::WriteChunk(std::string_view data, bool last) {
  if (failed_ || ended_ || !started_) co_return false;
  if (data.empty() && !last) co_return true;  // an empty chunk would end the body
  co_return co_await SendChunk({}, data, last);
}

asio::awaitable<bool> ResponseWriter::EndChunked() {
  if (failed_ || !started_) co_return false;
  if (ended_) co_return true;
  co_return co_await SendChunk({}, {}, true);
}

asio::awaitable<bool> ResponseWriter::SendChunk(std::string prefix, std::string_view data,
                                                bool last) {
  // One write: [prefix][size CRLF data CRLF][0 CRLF CRLF]. Every write wakes the client up.
  constexpr std::string_view kCrlf = "\r\n";
  constexpr std::string_view kLast = "0\r\n\r\n";
  if (!data.empty()) {
    char size[20];
    const int n = std::snprintf(size, sizeof(size), "%zx\r\n", data.size());
    prefix.append(size, static_cast<size_t>(n));
  }
  std::array<asio::const_buffer, 4> buffers;  // unused ones stay empty
  buffers[0] = asio::buffer(prefix);
  if (!data.empty()) {
    buffers[1] = asio::buffer(data.data(), data.size());
    buffers[2] = asio::buffer(kCrlf.data(), kCrlf.size());
  }
  if (last) {
    buffers[3] = asio::buffer(kLast.data(), kLast.size());
    ended_ = true;
  }
  stream_.expires_after(write_timeout_);
  auto [ec, n] = co_await asio::async_write(stream_, buffers, kTuple);
  failed_ = static_cast<bool>(ec);
  co_return !failed_;
}

// ---- HttpServer

HttpServer::HttpServer(HttpServerOptions options, HttpHandler& handler)
    : options_(std::move(options)), handler_(handler) {}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options,
                                                              HttpHandler& handler) {
  std::string host = options.address;
  int port = 0;
  size_t colon = options.address.rfind(':');
  if (colon == std::string::npos || !absl::SimpleAtoi(options.address.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("bad listen address: ", options.address));
  }
  host = options.address.substr(0, colon);
  if (host.empty()) host = "0.0.0.0";
  int threads =
      options.threads > 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());

  std::unique_ptr<HttpServer> server(new HttpServer(std::move(options), handler));
  for (int i = 0; i < threads; ++i) {
    server->contexts_.push_back(std::make_unique<asio::io_context>(1));
  }
  beast::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("bad listen host: ", host));
  asio::ip::tcp::endpoint endpoint(addr, static_cast<uint16_t>(port));
  auto acceptor = std::make_unique<asio::ip::tcp::acceptor>(*server->contexts_[0]);
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(server->options_.backlog, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", server->options_.address, ": ", ec.message()));
  }
  server->port_ = acceptor->local_endpoint().port();
  server->acceptor_ = std::move(acceptor);

  asio::co_spawn(*server->contexts_[0], server->AcceptLoop(), asio::detached);
  for (size_t i = 0; i < server->contexts_.size(); ++i) {
    auto* c = server->contexts_[i].get();
    const auto spin = server->options_.busy_poll;
    const std::string name = absl::StrCat(server->options_.thread_name, "-", i);
    server->threads_.emplace_back([c, spin, name] {
      threads::NameThisThread(name.c_str());
      WorkGuard guard(c->get_executor());
      while (true) {
        try {
          RunEventLoop(*c, spin);
          return;
        } catch (const std::exception& e) {
          log::Error("http server thread: unexpected exception", {{"error", e.what()}});
        }
      }
    });
  }
  return server;
}

HttpServer::~HttpServer() { Stop(std::chrono::milliseconds(0)); }

size_t HttpServer::connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_.size();
}

asio::awaitable<void> HttpServer::AcceptLoop() {
  size_t next = 0;
  while (true) {
    auto& ctx = *contexts_[next++ % contexts_.size()];
    auto [ec, socket] = co_await acceptor_->async_accept(ctx, kTuple);
    if (ec) {
      if (!acceptor_->is_open() || draining_.load()) co_return;
      // Out of descriptors or a transient error: do not spin.
      asio::steady_timer t(acceptor_->get_executor(), std::chrono::milliseconds(50));
      co_await t.async_wait(kTuple);
      continue;
    }
    if (draining_.load()) {
      beast::error_code ignored;
      socket.close(ignored);
      co_return;
    }
    beast::error_code ignored;
    socket.set_option(asio::ip::tcp::no_delay(true), ignored);
    auto session = std::make_shared<Session>(std::move(socket));
    {
      std::lock_guard<std::mutex> lock(mu_);
      sessions_.insert(session);
    }
    asio::co_spawn(ctx, Serve(session), asio::detached);
  }
}

// Writes a response the server decided on itself (a rejection); the connection closes after it.
asio::awaitable<void> HttpServer::WriteAndClose(beast::tcp_stream& stream, HttpResponse& res,
                                                bool cors) {
  ResponseWriter w(stream, options_.write_timeout, false);
  if (cors) w.EnableCors();
  co_await w.Write(res);
}

std::optional<HttpResponse> HttpServer::RefusalAtHeader(
    const http::request_parser<http::string_body>& parser) {
  const auto& header = parser.get();
  HeaderList fields;
  fields.reserve(16);
  for (const auto& f : header) fields.emplace_back(f.name_string(), f.value());
  if (!CheckRequestFraming(fields).ok()) {
    return handler_.Reject(header.target(), RejectReason::kBadFraming);
  }
  if (std::optional<HttpResponse> refusal = handler_.RefuseAtHeader(header)) return refusal;
  if (auto cl = parser.content_length(); cl && *cl > options_.body_limit) {
    return handler_.Reject(header.target(), RejectReason::kBodyTooLarge);
  }
  return std::nullopt;
}

asio::awaitable<void> HttpServer::Serve(std::shared_ptr<Session> session) {
  auto& stream = session->stream;
  beast::flat_buffer buffer;
  // Beast reads at most max(512, free capacity) per call: room for a typical request's header
  // and body in one recv instead of several.
  buffer.reserve(kSessionReadBuffer);
  bool rejected = false;  // answered without reading the whole request
  try {
    while (!draining_.load()) {
      std::optional<http::request_parser<http::string_body>> parser;
      parser.emplace();
      parser->header_limit(options_.header_limit);
      // No limit while the header is read: a Content-Length over it is answered below, after
      // RefuseAtHeader had its say; the limit is set before any body byte is parsed.
      parser->body_limit(boost::none);

      session->idle = true;
      stream.expires_after(options_.idle_timeout);
      bool obs_fold = false;
      beast::error_code hec =
          co_await ReadRequestHeader(stream, buffer, *parser, options_.header_timeout, obs_fold);
      session->idle = false;
      if (hec) {
        if (IsDisconnect(hec) && hec != http::error::partial_message) break;
        RejectReason reason = obs_fold ? RejectReason::kFoldedHeader : RejectReason::kBadRequest;
        if (hec == http::error::header_limit) reason = RejectReason::kHeaderTooLarge;
        HttpResponse res = handler_.Reject(parser->get().target(), reason);
        rejected = true;  // CORS from what of the header was parsed
        co_await WriteAndClose(stream, res, options_.cors && HasOrigin(parser->get()));
        break;
      }
      const auto& header = parser->get();
      const std::string_view target = header.target();
      const bool cors = options_.cors && HasOrigin(header);
      if (std::optional<HttpResponse> refusal = RefusalAtHeader(*parser)) {
        rejected = true;
        co_await WriteAndClose(stream, *refusal, cors);
        break;
      }
      parser->body_limit(options_.body_limit);  // chunked bodies are counted as they come
      if (beast::iequals(header[http::field::expect], "100-continue")) {
        http::response<http::empty_body> cont(http::status::continue_, 11);
        stream.expires_after(options_.write_timeout);
        auto [cec, cn] = co_await http::async_write(stream, cont, kTuple);
        if (cec) break;
      }
      beast::error_code bec = ParseBufferedBody(*parser, buffer);
      if (!bec && !parser->is_done()) {
        stream.expires_after(options_.request_read_timeout);
        auto [ec, bn] = co_await http::async_read(stream, buffer, *parser, kTuple);
        bec = ec;
      }
      if (bec) {
        if (bec == http::error::body_limit) {
          HttpResponse res = handler_.Reject(target, RejectReason::kBodyTooLarge);
          rejected = true;
          co_await WriteAndClose(stream, res, cors);
        } else if (!IsDisconnect(bec)) {
          HttpResponse res = handler_.Reject(target, RejectReason::kBadRequest);
          rejected = true;
          co_await WriteAndClose(stream, res, cors);
        }
        break;
      }
      HttpRequest req = parser->release();
      parser.reset();
      stream.expires_never();
      ResponseWriter writer(stream, options_.write_timeout, req.keep_alive() && !draining_.load());
      if (cors) writer.EnableCors();
      bool internal_error = false;
      try {
        co_await handler_.Handle(req, writer);
      } catch (const std::exception& e) {
        internal_error = true;
        log::Error("request handler threw", {{"error", e.what()}});
      } catch (...) {
        internal_error = true;
        log::Error("request handler threw a non-exception");
      }
      if (internal_error) {
        if (!writer.started()) {
          HttpResponse res = handler_.Reject(req.target(), RejectReason::kInternal);
          rejected = true;
          co_await WriteAndClose(stream, res, cors);
        }
        break;
      }
      if (!writer.started()) {
        HttpResponse res = handler_.Reject(req.target(), RejectReason::kInternal);
        co_await writer.Write(res);
      }
      if (!writer.keep_alive()) break;
    }
  } catch (const std::exception& e) {
    log::Error("http session failed", {{"error", e.what()}});
  }
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  if (rejected) {
    // Read (and drop) what the client is still sending for a moment, so that closing does not
    // reset the connection before the client has read the error response.
    stream.expires_after(std::chrono::seconds(1));
    auto sink = std::make_unique<char[]>(16384);  // not in the coroutine frame of every session
    size_t drained = 0;
    while (drained < (1u << 20)) {
      auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink.get(), 16384), kTuple);
      if (ec) break;
      drained += n;
    }
  }
  stream.socket().close(ignored);
  {
    std::lock_guard<std::mutex> lock(mu_);
    sessions_.erase(session);
  }
  cv_.notify_all();
}

void HttpServer::CloseSessions(bool idle_only) {
  std::vector<std::shared_ptr<Session>> sessions;
  {
    std::lock_guard<std::mutex> lock(mu_);
    sessions.assign(sessions_.begin(), sessions_.end());
  }
  for (auto& s : sessions) {
    asio::post(s->stream.get_executor(), [s, idle_only] {
      if (idle_only && !s->idle) return;
      beast::error_code ignored;
      s->stream.socket().cancel(ignored);
      s->stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    });
  }
}

void HttpServer::Stop(std::chrono::milliseconds grace, const std::function<void()>& after_grace) {
  std::lock_guard<std::mutex> stop_lock(stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  if (!draining_.exchange(true)) handler_.OnDrain();
  asio::post(*contexts_[0], [this] {
    beast::error_code ignored;
    acceptor_->close(ignored);
  });
  // Idle keep-alive connections close now; busy ones after their response.
  CloseSessions(/*idle_only=*/true);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  {
    std::unique_lock<std::mutex> lock(mu_);
    while (!sessions_.empty() && std::chrono::steady_clock::now() < deadline) {
      cv_.wait_until(lock, std::min(deadline, std::chrono::steady_clock::now() +
                                                  std::chrono::milliseconds(200)));
      if (!sessions_.empty()) {
        lock.unlock();
        CloseSessions(true);  // sessions that went idle since
        lock.lock();
      }
    }
  }
  bool left;
  {
    std::lock_guard<std::mutex> lock(mu_);
    left = !sessions_.empty();
  }
  if (left && after_grace) after_grace();
  CloseSessions(/*idle_only=*/false);
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(2), [this] { return sessions_.empty(); });
  }
  for (auto& ctx : contexts_) ctx->stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  {
    std::lock_guard<std::mutex> lock(mu_);
    sessions_.clear();
  }
}

}  // namespace llmgw::httpd

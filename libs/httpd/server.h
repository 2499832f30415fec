#pragma once
// The HTTP/1.1 server of the gateway and the dashboard: Beast + Asio coroutines on a small pool of
// threads, one io_context per thread (a connection lives on one thread), keep-alive, limits,
// timeouts and a graceful drain. An idle or slow connection costs a coroutine frame and a
// descriptor, never a thread. What to answer is the HttpHandler's business.

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

#include "absl/status/statusor.h"

namespace llmgw::httpd {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;
using HttpStreamHeader = boost::beast::http::response<boost::beast::http::empty_body>;

// Writes the response of one request: either one whole message, or a header followed by chunks
// (chunked transfer-encoding, each chunk sent at once). Every write returns false when the
// client is gone; the connection is then closed.
//
// CORS (HttpServerOptions::cors, the gateway's): when the request carried an `Origin` header (the
// server calls EnableCors), every
// response also gets `Access-Control-Allow-Origin: *` and `Access-Control-Expose-Headers:
// x-request-id, request-id`, replacing any an upstream sent, and never
// `Access-Control-Allow-Credentials` (credentials are bearer headers, never cookies, so `*` is
// safe). Preflights are answered by the HttpHandler.
class ResponseWriter {
 public:
  ResponseWriter(boost::beast::tcp_stream& stream, std::chrono::milliseconds write_timeout,
                 bool keep_alive);

  void EnableCors() { cors_ = true; }

  boost::asio::awaitable<bool> Write(HttpResponse& res);
  // Writes the header of a chunked response; `first_chunk`, when not empty, goes out in the same
  // write (one segment, one wake-up of the client instead of two), and so does the end of the
  // body when `last`.
  boost::asio::awaitable<bool> StartChunked(HttpStreamHeader& res,
                                            std::string_view first_chunk = {}, bool last = false);
  // A chunk (none when empty) and, when `last`, the end of the body, in one write.
  boost::asio::awaitable<bool> WriteChunk(std::string_view data, bool last = false);
  // Ends the body unless a `last` write already did.
  boost::asio::awaitable<bool> EndChunked();

  // The client's IP address as text ("" when the socket is gone).
  std::string remote_address() const;

  bool started() const { return started_; }
  bool failed() const { return failed_; }
  bool keep_alive() const { return keep_alive_ && !failed_; }

 private:
  boost::beast::tcp_stream& stream_;
  std::chrono::milliseconds write_timeout_;
  bool keep_alive_;
  bool cors_ = false;
  bool started_ = false;
  bool ended_ = false;  // the chunked body's terminator was written
  bool failed_ = false;

  boost::asio::awaitable<bool> SendChunk(std::string prefix, std::string_view data, bool last);
};

// Why the server answered a request itself, before any handler ran.
enum class RejectReason {
  kBadRequest,
  kBadFraming,
  kFoldedHeader,
  kHeaderTooLarge,
  kBodyTooLarge,
  kInternal
};

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // Answers `req` through `writer`. Exceptions are caught by the server (500 without details).
  virtual boost::asio::awaitable<void> Handle(HttpRequest& req, ResponseWriter& writer) = 0;
  // The error response for a request the server rejects (its shape depends on the target).
  virtual HttpResponse Reject(std::string_view target, RejectReason reason) = 0;
  // Called with a request's header (its body not read yet) once its framing is checked: a
  // response here is sent instead of reading the body and calling Handle, and the connection
  // closes (the dashboard's 401 for a write without a session, before any other check).
  virtual std::optional<HttpResponse> RefuseAtHeader(const HttpRequest& header) {
    (void)header;
    return std::nullopt;
  }
  // Called once when the server starts draining (readiness turns false).
  virtual void OnDrain() {}
};

struct HttpServerOptions {
  std::string address = "0.0.0.0:8080";  // port 0 picks a free one
  int threads = 0;                       // 0: the number of cores
  // How long an I/O thread keeps polling for work before it sleeps (RunEventLoop); 0: at once.
  std::chrono::microseconds busy_poll{0};
  int backlog = 4096;
  uint32_t header_limit = 64 * 1024;
  uint64_t body_limit = 32ull << 20;
  // From the end of a response (or the accept) until a request's header is complete.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(75);
  // From a request's first byte until its header is complete (a client trickling a header byte
  // by byte is closed then); 0: only idle_timeout bounds it.
  std::chrono::milliseconds header_timeout{0};
  std::chrono::milliseconds request_read_timeout = std::chrono::seconds(60);  // header to body end
  std::chrono::milliseconds write_timeout = std::chrono::seconds(60);
  // The gateway's CORS rule (ResponseWriter) on every response to a request with an Origin.
  bool cors = false;
  std::string thread_name = "http-io";  // I/O threads are named <thread_name>-<n>
};

class HttpServer {
 public:
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(HttpServerOptions options,
                                                           HttpHandler& handler);
  ~HttpServer();  // Stop(0) if still running

  int port() const { return port_; }
  bool draining() const { return draining_.load(); }
  size_t connections() const;
  // Stops accepting, lets in-flight requests finish for up to `grace`, then calls `after_grace`
  // (when requests are left: it cancels what their handlers wait on, so they end and record what
  // they know), closes the connections left, gives their handlers up to 2 s to finish and joins
  // the threads. Idempotent.
  void Stop(std::chrono::milliseconds grace, const std::function<void()>& after_grace = {});

  struct Session;

 private:
  HttpServer(HttpServerOptions options, HttpHandler& handler);
  boost::asio::awaitable<void> AcceptLoop();
  boost::asio::awaitable<void> Serve(std::shared_ptr<Session> session);
  // What a request is refused with once its header is read, before any body byte: bad framing,
  // the handler's own refusal (RefuseAtHeader), or a Content-Length over the body limit.
  std::optional<HttpResponse> RefusalAtHeader(
      const boost::beast::http::request_parser<boost::beast::http::string_body>& parser);
  boost::asio::awaitable<void> WriteAndClose(boost::beast::tcp_stream& stream, HttpResponse& res,
                                             bool cors);
  void CloseSessions(bool idle_only);

  HttpServerOptions options_;
  HttpHandler& handler_;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<std::thread> threads_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  int port_ = 0;
  std::atomic<bool> draining_{false};
  bool stopped_ = false;
  std::mutex stop_mu_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_set<std::shared_ptr<Session>> sessions_;
};

}  // namespace llmgw::httpd

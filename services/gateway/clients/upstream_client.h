#pragma once
// HTTP/1.1 client to the providers: TLS (SNI, system CA store, host name verification) or plain
// TCP, keep-alive pools per (I/O thread, host, port, tls), deadlines, no redirects followed. The
// response body is read incrementally so a stream can be relayed as it arrives.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace llmgw::gateway {

// A provider base URL, split. Only these hosts are ever contacted.
struct UpstreamEndpoint {
  bool tls = true;
  std::string host;
  std::string port;         // "443"
  std::string base_path;    // "/v1"; "" for none; never a trailing '/'
  std::string host_header;  // "api.openai.com" or "localhost:9000"
};
// http:// or https:// URL without query or fragment.
absl::StatusOr<UpstreamEndpoint> ParseBaseUrl(std::string_view url);

struct UpstreamOptions {
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(10);
  std::chrono::milliseconds total_timeout = std::chrono::seconds(600);
  // Longest silence between two reads of a body.
  std::chrono::milliseconds idle_read_timeout = std::chrono::seconds(300);
  // Pooled connections idle longer than this are not reused (servers close idle ones).
  std::chrono::milliseconds pool_idle = std::chrono::seconds(20);
  size_t max_idle_per_host = 128;
};

class UpstreamConnection;
class UpstreamClient;

// One request/response on a connection. Destroying it returns the connection to the pool when
// the response was read completely and may be kept alive, and closes it otherwise.
class UpstreamExchange {
 public:
  using Response = boost::beast::http::response_parser<boost::beast::http::buffer_body>;
  UpstreamExchange(UpstreamClient& client, std::unique_ptr<UpstreamConnection> conn,
                   std::chrono::steady_clock::time_point deadline, bool head);
  ~UpstreamExchange();

  // The status line and headers (valid once Start returned).
  const Response::value_type& response() const { return parser_.get(); }
  bool done() const { return parser_.is_done(); }
  // Reads the next body bytes into buf (waits until there is at least one, or the end). Returns
  // 0 only at the end. kDeadlineExceeded on timeouts, kUnavailable on other I/O errors.
  boost::asio::awaitable<absl::StatusOr<size_t>> ReadSome(char* buf, size_t n);
  // Whether body bytes arrived with the header: ReadSome then returns them without waiting.
  bool HasBufferedBody() const;

 private:
  // Feeds the parser what the connection's buffer holds, into the body buffer set by ReadSome.
  boost::beast::error_code ParseBuffered();

  friend class UpstreamClient;
  UpstreamClient& client_;
  std::unique_ptr<UpstreamConnection> conn_;
  std::chrono::steady_clock::time_point deadline_;
  Response parser_;
  bool failed_ = false;
};

class UpstreamClient {
 public:
  explicit UpstreamClient(UpstreamOptions options = {});
  ~UpstreamClient();

  // Sends `req` (target, headers and prepared body set by the caller) and reads the response
  // header. kUnavailable: could not connect or the connection broke (502); kDeadlineExceeded:
  // timed out (504). Runs on the calling coroutine's executor.
  boost::asio::awaitable<absl::StatusOr<std::unique_ptr<UpstreamExchange>>> Start(
      const UpstreamEndpoint& endpoint,
      boost::beast::http::request<boost::beast::http::string_body>& req);

  const UpstreamOptions& options() const { return options_; }
  size_t idle_connections() const;
  // Closes the pooled connections and stops pooling. Call after the I/O threads stopped and
  // before their io_contexts are destroyed.
  void CloseIdle();
  // Cancels the reads of every response in progress (ReadSome then fails with kUnavailable) and
  // refuses new requests. For shutdown, when the grace period is over: handlers waiting on a
  // slow upstream finish now and record what they know, instead of being cut off unrecorded.
  // Call while the I/O threads still run; thread-safe.
  void AbortInFlight();

 private:
  friend class UpstreamExchange;
  std::unique_ptr<UpstreamConnection> TakeIdle(const std::string& key);
  void Release(std::unique_ptr<UpstreamConnection> conn);

  UpstreamOptions options_;
  boost::asio::ssl::context ssl_;
  mutable std::mutex mu_;
  bool closed_ = false;
  std::atomic<bool> aborting_{false};
  std::unordered_set<UpstreamExchange*> in_flight_;  // exchanges alive, for AbortInFlight
  // Pool key (I/O context, host, port, tls) -> idle connections, most recent last.
  std::unordered_map<std::string, std::vector<std::unique_ptr<UpstreamConnection>>> idle_;
};

}  // namespace llmgw::gateway

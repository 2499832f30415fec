#pragma once
// The HTTP side of llmgw-mock-provider: a Boost.Beast/Asio coroutine server (keep-alive,
// TCP_NODELAY, backlog 4096, N threads on one io_context), plain HTTP or HTTPS, that answers with
// HandleRequest and serves the test introspection endpoints:
//   GET  /_mock/requests  → [{method, target, headers:{lower-case name: value}}], last 200 received
//   POST /_mock/reset     → clears that list (and the admin reports' usage, see admin_reports.h).
// It also serves the providers' admin usage and cost reports of what it served
// (admin_reports.h) and their test controls (/_mock/admin-*).

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/mock-provider/providers.h"

namespace llmgw::mock {

// The last requests received, for tests (bounded; thread-safe).
class RequestLog {
 public:
  static constexpr size_t kCapacity = 200;
  struct Entry {
    std::string method;
    std::string target;
    HeaderList headers;
  };
  void Add(Entry entry);
  void Clear();
  std::string ToJson() const;

 private:
  mutable std::mutex mu_;
  std::deque<Entry> entries_;
};

// HTTPS instead of HTTP: the server's certificate chain and private key, PEM.
struct TlsIdentity {
  std::string cert_chain_pem;
  std::string key_pem;
};

class MockServer {
 public:
  // Binds host:port (port 0 picks one) and starts `threads` threads serving requests, over TLS
  // when `tls` is given.
  static absl::StatusOr<std::unique_ptr<MockServer>> Start(const std::string& host, uint16_t port,
                                                           const Options& options, int threads,
                                                           const TlsIdentity* tls = nullptr);
  ~MockServer();  // Stop()s.
  MockServer(const MockServer&) = delete;
  MockServer& operator=(const MockServer&) = delete;

  uint16_t port() const { return port_; }
  // Stops accepting and serving, and joins the threads. Idempotent.
  void Stop();

  struct Impl;

 private:
  explicit MockServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace llmgw::mock

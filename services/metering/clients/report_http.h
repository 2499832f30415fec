#pragma once
// What the provider sync needs from HTTP: one GET with headers. CurlReportHttp implements it over
// libcurl (HTTPS); tests use a fake.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace llmgw::metering {

struct HttpRequest {
  std::string url;
  // May hold a secret (the provider admin key): a request is never logged.
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds timeout{0};  // the whole request; 0: the client's default
};

struct HttpReply {
  int status = 0;  // 0: no HTTP answer (connect, TLS, timeout); `transport_error` says why
  std::string body;
  std::optional<int64_t> retry_after_ms;  // the Retry-After header, when present
  std::string transport_error;
};

class ReportHttp {
 public:
  virtual ~ReportHttp() = default;
  // Thread-safe.
  virtual HttpReply Get(const HttpRequest& request) = 0;
};

}  // namespace llmgw::metering

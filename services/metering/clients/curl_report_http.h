#pragma once
// ReportHttp over libcurl: HTTPS (or HTTP, for the mock provider) GETs with a deadline, no
// redirects, certificates and host names always verified. libcurl does not read OpenSSL's
// SSL_CERT_FILE / SSL_CERT_DIR (Debian's is built with a fixed CA bundle), so they are passed on
// here, as the gateway honours them. Easy handles are pooled so connections are kept alive.

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "services/metering/clients/report_http.h"

namespace llmgw::metering {

class CurlReportHttp final : public ReportHttp {
 public:
  struct Options {
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds timeout{60'000};  // the whole request
    size_t max_body_bytes = 64 << 20;
    std::string ca_file;  // "" : libcurl's default bundle
    std::string ca_dir;
  };
  // Options with ca_file / ca_dir from SSL_CERT_FILE / SSL_CERT_DIR.
  static Options FromEnvironment();

  explicit CurlReportHttp(Options options);
  ~CurlReportHttp() override;

  // ReportHttp
  HttpReply Get(const HttpRequest& request) override;

  // Ends every transfer in progress and refuses new ones (the service is stopping): they answer
  // status 0 at once.
  void Abort();

 private:
  void* Acquire();
  void Release(void* handle);

  Options options_;
  std::atomic<bool> aborted_{false};
  std::mutex mu_;
  std::vector<void*> idle_;  // CURL*
};

// Retry-After as milliseconds: `retry-after-ms`, else `retry-after` seconds; nullopt when
// neither is a number. Exposed for tests.
std::optional<int64_t> ParseRetryAfter(const std::string& retry_after_ms,
                                       const std::string& retry_after);

}  // namespace llmgw::metering

#include "services/metering/clients/curl_report_http.h"

#include <curl/curl.h>

#include <cctype>
#include <charconv>
#include <mutex>

#include "libs/common/config.h"

namespace llmgw::metering {
namespace {

constexpr size_t kMaxIdleHandles = 4;

struct Transfer {
  std::string body;
  size_t limit = 0;
  bool too_large = false;
  const std::atomic<bool>* aborted = nullptr;
  std::string retry_after;
  std::string retry_after_ms;
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t bytes = size * n;
  if (t->body.size() + bytes > t->limit) {
    t->too_large = true;
    return 0;  // aborts the transfer
  }
  t->body.append(data, bytes);
  return bytes;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<Transfer*>(user)->aborted->load() ? 1 : 0;  // non-zero aborts
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string line(data, size * n);
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = Lower(line.substr(0, colon));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) {
      value.pop_back();
    }
    // Only the final response's headers count (after a 100 Continue, say).
    if (name == "retry-after") t->retry_after = value;
    if (name == "retry-after-ms") t->retry_after_ms = value;
  } else if (line.rfind("HTTP/", 0) == 0) {
    t->retry_after.clear();
    t->retry_after_ms.clear();
  }
  return size * n;
}

std::optional<int64_t> Number(const std::string& s) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

}  // namespace

std::optional<int64_t> ParseRetryAfter(const std::string& retry_after_ms,
                                       const std::string& retry_after) {
  if (auto ms = Number(retry_after_ms)) return *ms;
  if (auto s = Number(retry_after); s && *s < 86'400) return *s * 1000;
  return std::nullopt;
}

CurlReportHttp::Options CurlReportHttp::FromEnvironment() {
  Options o;
  o.ca_file = config::String("SSL_CERT_FILE");
  o.ca_dir = config::String("SSL_CERT_DIR");
  return o;
}

CurlReportHttp::CurlReportHttp(Options options) : options_(std::move(options)) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

CurlReportHttp::~CurlReportHttp() {
  for (void* h : idle_) curl_easy_cleanup(static_cast<CURL*>(h));
}

void* CurlReportHttp::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      void* h = idle_.back();
      idle_.pop_back();
      return h;
    }
  }
  return curl_easy_init();
}

void CurlReportHttp::Release(void* handle) {
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < kMaxIdleHandles) {
    idle_.push_back(handle);
  } else {
    curl_easy_cleanup(static_cast<CURL*>(handle));
  }
}

void CurlReportHttp::Abort() { aborted_ = true; }

HttpReply CurlReportHttp::Get(const HttpRequest& request) {
  HttpReply reply;
  if (aborted_) {
    reply.transport_error = "stopping";
    return reply;
  }
  CURL* h = static_cast<CURL*>(Acquire());
  if (h == nullptr) {
    reply.transport_error = "libcurl could not start a transfer";
    return reply;
  }
  curl_easy_reset(h);  // options only: the handle keeps its live connections
  Transfer t;
  t.limit = options_.max_body_bytes;
  t.aborted = &aborted_;
  const std::chrono::milliseconds timeout =
      request.timeout.count() > 0 ? request.timeout : options_.timeout;
  char error[CURL_ERROR_SIZE] = {0};
  curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers) {
    headers = curl_slist_append(headers, (name + ": " + value).c_str());
  }
  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, OnProgress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");  // whatever libcurl decodes
  curl_easy_setopt(h, CURLOPT_USERAGENT, "llmgw-metering");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  if (!options_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (!options_.ca_dir.empty()) curl_easy_setopt(h, CURLOPT_CAPATH, options_.ca_dir.c_str());

  CURLcode rc = curl_easy_perform(h);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(headers);  // it held the admin key
  if (rc == CURLE_OK) {
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    reply.status = static_cast<int>(status);
    reply.body = std::move(t.body);
    reply.retry_after_ms = ParseRetryAfter(t.retry_after_ms, t.retry_after);
  } else if (rc == CURLE_ABORTED_BY_CALLBACK) {
    reply.transport_error = "stopping";
  } else if (t.too_large) {
    reply.transport_error =
        "the answer is larger than " + std::to_string(options_.max_body_bytes >> 20) + " MiB";
  } else {
    reply.transport_error = error[0] != '\0' ? error : curl_easy_strerror(rc);
  }
  Release(h);
  return reply;
}

}  // namespace llmgw::metering

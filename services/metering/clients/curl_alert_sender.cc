#include "services/metering/clients/curl_alert_sender.h"

#include <curl/curl.h>

#include <cstring>
#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "libs/common/config.h"

namespace llmgw::metering {
namespace {

struct EasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct ListDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;
using List = std::unique_ptr<curl_slist, ListDeleter>;

size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }

// CURLOPT_PREREQFUNCTION: the connection is made, nothing is sent yet.
int RefuseNonPublic(void*, char* conn_primary_ip, char*, int, int) {
  return IsNonPublicAddress(conn_primary_ip) ? CURL_PREREQFUNC_ABORT : CURL_PREREQFUNC_OK;
}

// The upload of an e-mail: libcurl pulls it in pieces.
struct Upload {
  std::string data;
  size_t at = 0;
};
size_t ReadUpload(char* out, size_t size, size_t n, void* user) {
  auto* u = static_cast<Upload*>(user);
  size_t len = std::min(size * n, u->data.size() - u->at);
  std::memcpy(out, u->data.data() + u->at, len);
  u->at += len;
  return len;
}

void CommonOptions(CURL* h, const CurlAlertSender::Options& o) {
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.timeout.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(o.timeout.count()));
  if (!o.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, o.ca_file.c_str());
  if (!o.ca_dir.empty()) curl_easy_setopt(h, CURLOPT_CAPATH, o.ca_dir.c_str());
}

// libcurl's reason only: its error buffer can hold the host or the URL.
absl::Status TransportError(CURLcode code) {
  return absl::UnavailableError(curl_easy_strerror(code));
}

}  // namespace

CurlAlertSender::Options CurlAlertSender::FromEnvironment() {
  Options o;
  o.smtp_url = config::String("LLMGW_SMTP_URL");
  std::string from = config::String("LLMGW_SMTP_FROM");
  if (!from.empty()) o.smtp_from = from;
  o.ca_file = config::String("SSL_CERT_FILE");
  o.ca_dir = config::String("SSL_CERT_DIR");
  o.allow_private_targets = config::String("LLMGW_ALERT_ALLOW_PRIVATE_TARGETS") == "true";
  return o;
}

CurlAlertSender::CurlAlertSender(Options options) : options_(std::move(options)) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

absl::Status CurlAlertSender::Send(const OutgoingAlert& alert) {
  return alert.channel == AlertChannel::kEmail ? SendEmail(alert) : PostWebhook(alert);
}

absl::Status CurlAlertSender::PostWebhook(const OutgoingAlert& alert) {
  Easy h(curl_easy_init());
  if (!h) return absl::InternalError("libcurl could not start a transfer");
  const std::string signature =
      absl::StrCat("x-llmgw-signature: ", WebhookSignature(alert.signing_secret, alert.payload));
  const std::string id = absl::StrCat("x-llmgw-delivery: ", alert.delivery_id);
  curl_slist* raw = nullptr;
  for (const std::string* header : {&signature, &id}) {
    raw = curl_slist_append(raw, header->c_str());
  }
  raw = curl_slist_append(raw, "content-type: application/json");
  List headers(raw);
  CommonOptions(h.get(), options_);
  curl_easy_setopt(h.get(), CURLOPT_URL, alert.target.c_str());
  curl_easy_setopt(h.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  // Checked on the address actually connected to (after DNS), before the request is sent: a
  // host name resolving to an internal address is refused like a literal one.
  if (!options_.allow_private_targets) {
    curl_easy_setopt(h.get(), CURLOPT_PREREQFUNCTION, RefuseNonPublic);
  }
  curl_easy_setopt(h.get(), CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h.get(), CURLOPT_POST, 1L);
  curl_easy_setopt(h.get(), CURLOPT_POSTFIELDS, alert.payload.data());
  curl_easy_setopt(h.get(), CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(alert.payload.size()));
  curl_easy_setopt(h.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h.get(), CURLOPT_USERAGENT, "llmgw-alerts");
  curl_easy_setopt(h.get(), CURLOPT_WRITEFUNCTION, Discard);
  CURLcode rc = curl_easy_perform(h.get());
  if (rc == CURLE_ABORTED_BY_CALLBACK) {
    return absl::FailedPreconditionError(
        "the webhook's host resolves to a private or internal address; webhooks go to public "
        "addresses only (LLMGW_ALERT_ALLOW_PRIVATE_TARGETS)");
  }
  if (rc != CURLE_OK) return TransportError(rc);
  long status = 0;
  curl_easy_getinfo(h.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status > 299) {
    return absl::UnavailableError(absl::StrCat("the webhook answered HTTP ", status));
  }
  return absl::OkStatus();
}

absl::Status CurlAlertSender::SendEmail(const OutgoingAlert& alert) {
  if (options_.smtp_url.empty()) {
    return absl::FailedPreconditionError("e-mail alerts are off: LLMGW_SMTP_URL is not set");
  }
  Easy h(curl_easy_init());
  if (!h) return absl::InternalError("libcurl could not start a transfer");
  const std::string message_id = absl::StrCat(alert.delivery_id, ".", alert.rule_id, "@llmgw");
  Upload upload{AlertEmail(options_.smtp_from, alert.target, alert.payload, message_id), 0};
  const std::string from = absl::StrCat("<", options_.smtp_from, ">");
  const std::string to = absl::StrCat("<", alert.target, ">");
  List rcpt(curl_slist_append(nullptr, to.c_str()));
  CommonOptions(h.get(), options_);
  curl_easy_setopt(h.get(), CURLOPT_URL, options_.smtp_url.c_str());
  curl_easy_setopt(h.get(), CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(h.get(), CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));
  curl_easy_setopt(h.get(), CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(h.get(), CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(h.get(), CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h.get(), CURLOPT_READFUNCTION, ReadUpload);
  curl_easy_setopt(h.get(), CURLOPT_READDATA, &upload);
  CURLcode rc = curl_easy_perform(h.get());
  if (rc == CURLE_OK) return absl::OkStatus();
  long reply = 0;
  curl_easy_getinfo(h.get(), CURLINFO_RESPONSE_CODE, &reply);
  if (reply != 0) {
    return absl::UnavailableError(
        absl::StrCat("the SMTP server answered ", reply, " (", curl_easy_strerror(rc), ")"));
  }
  return TransportError(rc);
}

}  // namespace llmgw::metering

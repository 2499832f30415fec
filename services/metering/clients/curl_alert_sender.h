#pragma once
// AlertSender over libcurl. Webhooks: POST of the payload as JSON with
// `x-llmgw-signature: sha256=<hex HMAC-SHA256 of the body>`, no redirects, certificates verified,
// a 2xx answer is delivered. E-mail: libcurl's SMTP client to LLMGW_SMTP_URL
// (smtp://[user:pass@]host:port, or smtps://), STARTTLS whenever the server offers it
// (CURLUSESSL_TRY), sender LLMGW_SMTP_FROM (default llmgw@localhost). Error messages name the
// HTTP status or libcurl's reason only: never the target URL, the SMTP URL or a secret.

#include <chrono>
#include <string>

#include "services/metering/domain/alert_engine.h"

namespace llmgw::metering {

class CurlAlertSender final : public AlertSender {
 public:
  struct Options {
    std::string smtp_url;  // "": e-mail alerts are off
    std::string smtp_from = "llmgw@localhost";
    std::chrono::milliseconds timeout{10'000};
    std::string ca_file;  // SSL_CERT_FILE / SSL_CERT_DIR, as CurlReportHttp
    std::string ca_dir;
    // LLMGW_ALERT_ALLOW_PRIVATE_TARGETS: webhooks may go to loopback, private and link-local
    // addresses (IsNonPublicAddress). Off: such a delivery is refused before anything is sent.
    bool allow_private_targets = false;
  };
  // LLMGW_SMTP_URL, LLMGW_SMTP_FROM, SSL_CERT_FILE, SSL_CERT_DIR.
  static Options FromEnvironment();

  explicit CurlAlertSender(Options options);

  bool email_enabled() const { return !options_.smtp_url.empty(); }

  // AlertSender
  absl::Status Send(const OutgoingAlert& alert) override;

 private:
  absl::Status PostWebhook(const OutgoingAlert& alert);
  absl::Status SendEmail(const OutgoingAlert& alert);

  Options options_;
};

}  // namespace llmgw::metering

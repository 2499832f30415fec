#pragma once
// Credential checks for the request path: the AuthCache in front of a CredentialValidator, the
// asynchronous validation bridged onto the calling coroutine's executor.

#include <boost/asio/awaitable.hpp>
#include <string_view>

#include "services/gateway/api/gateway_metrics.h"
#include "services/gateway/clients/credential_validator.h"
#include "services/gateway/domain/auth_cache.h"

namespace llmgw::gateway {

struct AuthResult {
  enum class Outcome { kValid, kInvalid, kUnavailable };
  Outcome outcome = Outcome::kUnavailable;
  Principal principal;  // when kValid
};

class Authenticator {
 public:
  // `metrics` (optional) counts how each check was answered.
  Authenticator(CredentialValidator& validator, AuthCache& cache,
                GatewayMetrics* metrics = nullptr)
      : validator_(validator), cache_(cache), metrics_(metrics) {}

  // Fresh cache hit: no call. Otherwise asks accounts; when accounts is unavailable (or the call
  // times out) a stale cached answer still serves, and an uncached credential is kUnavailable
  // (503), never kInvalid.
  boost::asio::awaitable<AuthResult> AuthenticateMonitorToken(std::string_view token);
  boost::asio::awaitable<AuthResult> AuthenticateApiKey(std::string_view key);

 private:
  boost::asio::awaitable<AuthResult> Authenticate(bool api_key, std::string_view secret);
  void Count(GatewayMetrics::AuthSource source) {
    if (metrics_ != nullptr) metrics_->CountAuth(source);
  }

  CredentialValidator& validator_;
  AuthCache& cache_;
  GatewayMetrics* metrics_;
};

}  // namespace llmgw::gateway

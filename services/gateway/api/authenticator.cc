#include "services/gateway/api/authenticator.h"

#include <string>
#include <utility>

#include "services/gateway/api/async_bridge.h"

namespace llmgw::gateway {

namespace asio = boost::asio;
using ValidationOr = absl::StatusOr<CredentialValidation>;

namespace {

AuthResult FromCache(AuthCache::Lookup&& hit) {
  AuthResult r;
  r.outcome = hit.valid ? AuthResult::Outcome::kValid : AuthResult::Outcome::kInvalid;
  if (hit.valid) r.principal = std::move(hit.principal);
  return r;
}

}  // namespace

asio::awaitable<AuthResult> Authenticator::AuthenticateMonitorToken(std::string_view token) {
  return Authenticate(false, token);
}

asio::awaitable<AuthResult> Authenticator::AuthenticateApiKey(std::string_view key) {
  return Authenticate(true, key);
}

asio::awaitable<AuthResult> Authenticator::Authenticate(bool api_key,
                                                        std::string_view secret_view) {
  const std::string key = AuthCache::KeyOf(api_key ? "key" : "mon", secret_view);
  AuthCache::Lookup hit = cache_.Get(key);
  if (hit.freshness == AuthCache::Freshness::kFresh) {
    Count(GatewayMetrics::AuthSource::kCacheHit);
    co_return FromCache(std::move(hit));
  }

  std::string secret(secret_view);  // the caller's buffer may not outlive the suspension

  // Named, not a temporary inside the co_await: GCC 12 destroys such temporaries twice.
  auto validate = [this, api_key,
                   secret = std::move(secret)](CredentialValidator::Done done) mutable {
    if (api_key) {
      validator_.ValidateApiKey(std::move(secret), std::move(done));
    } else {
      validator_.ValidateMonitorToken(std::move(secret), std::move(done));
    }
  };
  auto op = AwaitCallback<ValidationOr>(std::move(validate));
  ValidationOr result = co_await std::move(op);
  if (result.ok()) {
    Count(GatewayMetrics::AuthSource::kCacheMiss);
    AuthResult r;
    if (result->valid) {
      r.outcome = AuthResult::Outcome::kValid;
      r.principal = Principal{result->organization_id, result->credential_id, result->limits,
                              result->organization_limits};
      cache_.PutValid(key, r.principal);
    } else {
      r.outcome = AuthResult::Outcome::kInvalid;
      cache_.PutInvalid(key);
    }
    co_return r;
  }
  const auto code = result.status().code();
  const bool unreachable =
      code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kDeadlineExceeded;
  // Re-read: a concurrent request may have refreshed the entry meanwhile.
  hit = cache_.Get(key);
  if (hit.freshness == AuthCache::Freshness::kFresh ||
      (unreachable && hit.freshness == AuthCache::Freshness::kStale)) {
    Count(hit.freshness == AuthCache::Freshness::kFresh ? GatewayMetrics::AuthSource::kCacheHit
                                                        : GatewayMetrics::AuthSource::kStale);
    co_return FromCache(std::move(hit));
  }
  Count(GatewayMetrics::AuthSource::kUnavailable);
  co_return AuthResult{AuthResult::Outcome::kUnavailable, {}};
}

}  // namespace llmgw::gateway

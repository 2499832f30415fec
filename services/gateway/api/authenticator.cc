#include "services/gateway/api/authenticator.h"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <string>
#include <utility>

namespace llmgw::gateway {

namespace asio = boost::asio;
using ValidationOr = absl::StatusOr<CredentialValidation>;

namespace {

// Starts the validation and completes on the caller's executor, whatever thread gRPC calls back
// on: an I/O thread never blocks on accounts.
template <typename Token>
auto AsyncValidate(CredentialValidator& v, bool api_key, std::string secret, Token&& token) {
  return asio::async_initiate<Token, void(ValidationOr)>(
      [&v, api_key](auto handler, std::string secret) {
        auto ex = asio::get_associated_executor(handler);
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        CredentialValidator::Done done = [h, ex](ValidationOr result) {
          asio::post(ex, [h, r = std::move(result)]() mutable { (*h)(std::move(r)); });
        };
        if (api_key) {
          v.ValidateApiKey(std::move(secret), std::move(done));
        } else {
          v.ValidateMonitorToken(std::move(secret), std::move(done));
        }
      },
      token, std::move(secret));
}

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
  if (hit.freshness == AuthCache::Freshness::kFresh) co_return FromCache(std::move(hit));

  std::string secret(secret_view);  // the caller's buffer may not outlive the suspension

  ValidationOr result =
      co_await AsyncValidate(validator_, api_key, std::move(secret), asio::use_awaitable);
  if (result.ok()) {
    AuthResult r;
    if (result->valid) {
      r.outcome = AuthResult::Outcome::kValid;
      r.principal = Principal{result->organization_id, result->credential_id};
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
    co_return FromCache(std::move(hit));
  }
  co_return AuthResult{AuthResult::Outcome::kUnavailable, {}};
}

}  // namespace llmgw::gateway

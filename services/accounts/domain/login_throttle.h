#pragma once
// Login throttling rule (README "Sign-in security"): failed logins are counted per (email, client
// address) and per client address, each in a window counted from its first failure. After
// `max_failures` failures for one email from one address, or `max_address_failures` failures of
// any emails from one address, that pair (or address) is refused until its window passes. A
// successful login clears its (email, address) count only, so an attacker can lock out an
// account only from their own address: the owner still logs in from any other. The state lives
// in the store, so replicas share it.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "services/accounts/domain/types.h"

namespace llmgw::accounts {

enum class ThrottleScope { kEmailAndAddress, kAddress };

// "email_address" / "address": the metric label of a scope.
inline const char* ThrottleScopeName(ThrottleScope s) {
  return s == ThrottleScope::kEmailAndAddress ? "email_address" : "address";
}

// Told when a key enters its lockout and when a login is refused by one (the accounts service
// counts both in metrics). Called on the login's thread.
class LoginThrottleListener {
 public:
  virtual ~LoginThrottleListener() = default;
  virtual void OnLockout(ThrottleScope scope) = 0;
  virtual void OnRefused(ThrottleScope scope) = 0;
};

struct LoginThrottlePolicy {
  int max_failures = 5;           // per (email, address)
  int max_address_failures = 50;  // per address, any email
  std::chrono::milliseconds window = std::chrono::minutes(15);

  int MaxFor(ThrottleScope s) const {
    return s == ThrottleScope::kEmailAndAddress ? max_failures : max_address_failures;
  }
  // A window that started at or before this instant has passed.
  int64_t WindowCutoffMs(int64_t now_ms) const { return now_ms - window.count(); }
  bool IsBlocked(const LoginFailures& f, ThrottleScope s, int64_t now_ms) const {
    return f.count >= MaxFor(s) && f.window_start_ms > WindowCutoffMs(now_ms);
  }
};

// The store keys of a login attempt. `email_key` is the lower-case email; an empty address (a
// caller that did not say) is its own address.
inline std::string ThrottleKey(ThrottleScope s, std::string_view email_key,
                               std::string_view address) {
  std::string key = s == ThrottleScope::kEmailAndAddress ? "ea|" : "a|";
  key.append(address);
  if (s == ThrottleScope::kEmailAndAddress) {
    key.push_back('|');
    key.append(email_key);
  }
  return key;
}

}  // namespace llmgw::accounts

#pragma once
// Login throttling rule: after `max_failures` failed logins for one email within `window` (counted
// from the first failure of the window), further logins are refused until the window passes. A
// successful login clears the count. The state lives in the store, so replicas share it.

#include <chrono>
#include <cstdint>

#include "services/accounts/domain/types.h"

namespace llmgw::accounts {

struct LoginThrottlePolicy {
  int max_failures = 5;
  std::chrono::milliseconds window = std::chrono::minutes(15);

  // A window that started at or before this instant has passed.
  int64_t WindowCutoffMs(int64_t now_ms) const { return now_ms - window.count(); }
  bool IsBlocked(const LoginFailures& f, int64_t now_ms) const {
    return f.count >= max_failures && f.window_start_ms > WindowCutoffMs(now_ms);
  }
};

}  // namespace llmgw::accounts

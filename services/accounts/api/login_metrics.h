#pragma once
// Login throttling in Prometheus: llmgw_accounts_login_lockouts_total{scope} counts keys entering
// a lockout, llmgw_accounts_login_throttled_total{scope} the logins refused by one. `scope` is
// email_address or address (never the email or the address itself).

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "services/accounts/domain/login_throttle.h"

namespace llmgw::accounts {

class LoginThrottleMetrics final : public LoginThrottleListener {
 public:
  explicit LoginThrottleMetrics(prometheus::Registry& registry);

  // LoginThrottleListener
  void OnLockout(ThrottleScope scope) override;
  void OnRefused(ThrottleScope scope) override;

 private:
  prometheus::Family<prometheus::Counter>& lockouts_;
  prometheus::Family<prometheus::Counter>& throttled_;
};

}  // namespace llmgw::accounts

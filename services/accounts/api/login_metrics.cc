#include "services/accounts/api/login_metrics.h"

namespace llmgw::accounts {

LoginThrottleMetrics::LoginThrottleMetrics(prometheus::Registry& registry)
    : lockouts_(prometheus::BuildCounter()
                    .Name("llmgw_accounts_login_lockouts_total")
                    .Help("Login throttling keys that entered a lockout, by scope")
                    .Register(registry)),
      throttled_(prometheus::BuildCounter()
                     .Name("llmgw_accounts_login_throttled_total")
                     .Help("Logins refused by a lockout, by scope")
                     .Register(registry)) {
  for (ThrottleScope s : {ThrottleScope::kEmailAndAddress, ThrottleScope::kAddress}) {
    lockouts_.Add({{"scope", ThrottleScopeName(s)}});
    throttled_.Add({{"scope", ThrottleScopeName(s)}});
  }
}

void LoginThrottleMetrics::OnLockout(ThrottleScope scope) {
  lockouts_.Add({{"scope", ThrottleScopeName(scope)}}).Increment();
}

void LoginThrottleMetrics::OnRefused(ThrottleScope scope) {
  throttled_.Add({{"scope", ThrottleScopeName(scope)}}).Increment();
}

}  // namespace llmgw::accounts

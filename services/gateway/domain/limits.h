#pragma once
// The limits accounts keeps on a credential and on its organization (issue 16).

#include <cstdint>
#include <string>

#include "libs/common/money.h"

namespace llmgw::gateway {

// One credential's or organization's limits; 0 = unset.
struct Limits {
  int64_t rpm = 0;
  int64_t tpm = 0;
  money::Nano daily_budget = 0;
  money::Nano monthly_budget = 0;
  bool HasRate() const { return rpm > 0 || tpm > 0; }
  bool HasBudget() const { return daily_budget > 0 || monthly_budget > 0; }
  bool Any() const { return HasRate() || HasBudget(); }
  bool operator==(const Limits&) const = default;
};

// A budget as billing's hold takes it: scope "org" or "cred:<id>", period "day" or "month".
struct BudgetSpec {
  std::string scope;
  std::string period;
  money::Nano limit = 0;
  bool operator==(const BudgetSpec&) const = default;
};

}  // namespace llmgw::gateway

#include "services/billing/domain/billing_rules.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace llmgw::billing {

absl::StatusOr<Nano> HoldAmount(Nano provider_cost_bound, int64_t margin_percent) {
  if (provider_cost_bound <= 0 || provider_cost_bound > kMaxAmountNano) {
    return absl::InvalidArgumentError(
        absl::StrCat("provider_cost_bound_nano must be in (0, ", kMaxAmountNano, "]"));
  }
  absl::Status margin = ValidateMarginPercent(margin_percent);
  if (!margin.ok()) return margin;
  return provider_cost_bound + money::MarginOf(provider_cost_bound, margin_percent);
}

std::optional<Settlement> SettlementWithinHold(Nano provider_cost, int64_t margin_percent,
                                               Nano hold_amount) {
  Settlement s;
  s.provider_cost = std::max<Nano>(provider_cost, 0);
  s.margin = money::MarginOf(s.provider_cost, margin_percent);
  s.total = s.provider_cost + s.margin;
  if (s.total > hold_amount) return std::nullopt;
  s.charged = s.total;
  s.uncollected = 0;
  return s;
}

Settlement ComputeSettlement(Nano provider_cost, int64_t margin_percent, Nano balance, Nano held,
                             Nano hold_amount) {
  Settlement s;
  s.provider_cost = std::max<Nano>(provider_cost, 0);
  s.margin = money::MarginOf(s.provider_cost, margin_percent);
  s.total = s.provider_cost + s.margin;
  balance = std::max<Nano>(balance, 0);
  const Nano reserved_by_others = std::max<Nano>(held - std::max<Nano>(hold_amount, 0), 0);
  const Nano available = std::max<Nano>(balance - reserved_by_others, 0);
  s.charged = std::min(s.total, available);
  s.uncollected = s.total - s.charged;
  s.balance_after = balance - s.charged;
  return s;
}

absl::Status ValidateMarginPercent(int64_t margin_percent) {
  if (margin_percent < kMinMarginPercent || margin_percent > kMaxMarginPercent) {
    return absl::InvalidArgumentError(absl::StrCat("margin percent must be in [", kMinMarginPercent,
                                                   ", ", kMaxMarginPercent, "]"));
  }
  return absl::OkStatus();
}

absl::Status ValidateOrgId(std::string_view id) {
  auto bad = [] {
    return absl::InvalidArgumentError("organization_id must be a UUID (8-4-4-4-12 hex digits)");
  };
  if (id.size() != 36) return bad();
  for (size_t i = 0; i < id.size(); ++i) {
    char c = id[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return bad();
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return bad();
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateKey(std::string_view what, std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(what), " must be 1..", kMaxIdLength, " characters"));
  }
  for (char c : id) {
    if (c < 0x21 || c > 0x7e) {
      return absl::InvalidArgumentError(
          absl::StrCat(std::string(what), " must be printable ASCII without spaces"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateProviderCost(Nano cost) {
  if (cost < 0 || cost > kMaxAmountNano) {
    return absl::InvalidArgumentError(
        absl::StrCat("provider_cost_nano must be in [0, ", kMaxAmountNano, "]"));
  }
  return absl::OkStatus();
}

absl::Status ValidateChargeAmount(Nano amount) {
  if (amount <= 0 || amount > kMaxAmountNano) {
    return absl::InvalidArgumentError(
        absl::StrCat("amount_nano must be in (0, ", kMaxAmountNano, "]"));
  }
  return absl::OkStatus();
}

absl::Status ValidateDescription(std::string_view description) {
  if (description.size() > 1000) {
    return absl::InvalidArgumentError("description must be at most 1000 bytes");
  }
  return absl::OkStatus();
}

absl::StatusOr<int> ListLimit(int64_t requested) {
  if (requested < 0) return absl::InvalidArgumentError("limit must not be negative");
  if (requested == 0) return kDefaultListLimit;
  return static_cast<int>(std::min<int64_t>(requested, kMaxListLimit));
}

}  // namespace llmgw::billing

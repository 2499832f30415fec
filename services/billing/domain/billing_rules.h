#pragma once
// The money rules of billing, pure C++: what a hold reserves, what a settle debits, and what a
// valid request looks like. Storage applies these inside its transactions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/common/money.h"

namespace llmgw::billing {

using money::Nano;

inline constexpr int64_t kMinMarginPercent = 0;
inline constexpr int64_t kMaxMarginPercent = 1000;
inline constexpr int64_t kDefaultMarginPercent = 20;
// Longer than the gateway's default upstream timeout (600 s), so a request still legitimately
// running is never left without its reservation.
inline constexpr int64_t kDefaultHoldTtlSeconds = 900;
// The sweeper voids a hold only once it has been expired for this long: a settle arriving just
// after expiry (a request finishing right at the TTL, clock skew between replicas, a slow network
// hop) must still win instead of finding its hold voided and its cost unbilled.
inline constexpr int64_t kHoldSweepGraceSeconds = 60;
// One request or one top-up never exceeds $1,000,000: with a 1000% margin the total still fits
// an int64 many times over.
inline constexpr Nano kMaxAmountNano = 1'000'000 * money::kNanoPerUsd;
inline constexpr int kDefaultListLimit = 50;
inline constexpr int kMaxListLimit = 500;
inline constexpr size_t kMaxIdLength = 200;

// The outcome of settling one request.
struct Settlement {
  Nano provider_cost = 0;
  Nano margin = 0;
  Nano total = 0;        // provider_cost + margin
  Nano charged = 0;      // debited: min(total, what this hold may spend)
  Nano uncollected = 0;  // total - charged
  Nano balance_after = 0;
  bool operator==(const Settlement&) const = default;
};

// What Hold reserves for a provider cost bound: bound + MarginOf(bound, margin_percent).
// INVALID_ARGUMENT when the bound is not in (0, kMaxAmountNano].
absl::StatusOr<Nano> HoldAmount(Nano provider_cost_bound, int64_t margin_percent);

// Settles `provider_cost` for one open hold of `hold_amount`, when the organization has `balance`
// and `held` in total (held includes hold_amount). The margin is added; the settle may spend its
// own reservation plus the free balance but never what the organization's OTHER open holds
// reserve: available = balance - (held - hold_amount), charged = min(total, max(0, available)),
// and the rest is uncollected. Afterwards balance_after >= held - hold_amount, so the other holds
// stay fully covered. Requires provider_cost and balance >= 0 (checked by callers).
// The settlement of an open hold whose cost plus margin fits in it (total <= hold_amount), when the
// organization's balance covers everything it holds (balance >= held): then available >=
// hold_amount >= total, so ComputeSettlement charges the whole total, whatever the balance is.
// The caller checks balance >= held atomically with the debit and fills balance_after from it.
// nullopt when the total does not fit in the hold.
std::optional<Settlement> SettlementWithinHold(Nano provider_cost, int64_t margin_percent,
                                               Nano hold_amount);

Settlement ComputeSettlement(Nano provider_cost, int64_t margin_percent, Nano balance, Nano held,
                             Nano hold_amount);

// INVALID_ARGUMENT unless `margin_percent` is within [0, 1000].
absl::Status ValidateMarginPercent(int64_t margin_percent);
// INVALID_ARGUMENT unless `id` is a UUID in canonical 8-4-4-4-12 hex form.
absl::Status ValidateOrgId(std::string_view id);
// INVALID_ARGUMENT unless `id` is 1..200 printable ASCII characters (request ids, idempotency
// keys).
absl::Status ValidateKey(std::string_view what, std::string_view id);
// INVALID_ARGUMENT unless 0 <= cost <= kMaxAmountNano.
absl::Status ValidateProviderCost(Nano cost);
// INVALID_ARGUMENT unless 0 < amount <= kMaxAmountNano.
absl::Status ValidateChargeAmount(Nano amount);
// INVALID_ARGUMENT when longer than 1000 bytes.
absl::Status ValidateDescription(std::string_view description);
// 0 → the default (50); above 500 → 500; negative → INVALID_ARGUMENT.
absl::StatusOr<int> ListLimit(int64_t requested);

}  // namespace llmgw::billing

#pragma once
// Rate limits (rpm, tpm) as GCRA, the generic cell rate algorithm: one number per limited
// dimension, the theoretical arrival time (TAT), instead of a window of counters. Pure: the caller
// reads the TATs (process memory, or Redis), passes the time, and stores what comes back. The
// Redis Lua script in clients/rate_limiter.cc mirrors CheckRateLimits / CorrectRateLimits line
// for line, so one replica alone and several sharing Redis decide the same way.
//
// Arithmetic (all times in microseconds, integers):
//   cost c against a limit L per minute moves the TAT by Increment(c, L) = ceil(c * 60 s / L);
//   a request is admitted when max(TAT, now) + Increment - now <= 60 s + kRateSlackUs,
// so L units may arrive at once (the burst tolerance is one minute) and then L per minute.
// Rounding the increment up never admits more than L a minute; kRateSlackUs (1 ms) absorbs the
// rounding so a burst of exactly L is admitted (exact for L <= 1000 units a burst; above that a
// burst may fall one unit short, the steady rate is unaffected).

#include <cstdint>
#include <string>
#include <vector>

namespace llmgw::gateway {

struct RateLimits {
  int64_t rpm = 0;  // requests per minute; 0 = unset (no limit)
  int64_t tpm = 0;  // input + output tokens per minute; 0 = unset
};

struct LimitScope {
  std::string key;  // e.g. "cred:<uuid>", "org:<uuid>"
  RateLimits limits;
};

struct RateDecision {
  bool allowed = true;
  bool limits_requests = false, limits_tokens = false;  // whether any scope sets rpm / tpm
  // Of the most constraining scope (smallest remaining) for each dimension, counted AFTER this
  // request (refused: as it stands, nothing was charged).
  int64_t limit_requests = 0, remaining_requests = 0;
  int64_t reset_requests_ms = 0;  // ms until the bucket is full again
  int64_t limit_tokens = 0, remaining_tokens = 0;
  int64_t reset_tokens_ms = 0;
  int64_t retry_after_ms = 0;  // refused: when this request would be admitted
  bool fallback = false;       // decided by the local fallback because Redis was unreachable
  std::string refused_by;      // refused: the scope key and dimension, e.g. "cred:…/requests"
  // Refused because the request's token bound exceeds a scope's tpm: it can never be admitted
  // (retry_after_ms 0, refused_by "<key>/tokens"); answer with a non-retryable error.
  bool exceeds_limit = false;
};

inline constexpr int64_t kRateWindowUs = 60'000'000;  // the limits are per minute
inline constexpr int64_t kRateSlackUs = 1'000;
// An overcharge (Correct with actual > reserved) pushes a TAT at most this far ahead of now.
inline constexpr int64_t kRateMaxDebtUs = 24LL * 3600 * 1'000'000;

// The TAT moved by `cost` units against `limit` per minute: ceil(cost * 60 s / limit) µs,
// saturating at kRateMaxDebtUs + kRateWindowUs. cost >= 0, limit > 0.
int64_t GcraIncrementUs(int64_t cost, int64_t limit);

struct GcraResult {
  bool allowed = false;
  int64_t tat_us = 0;          // the TAT to store when every dimension admits
  int64_t remaining = 0;       // units that could still be admitted right after (0..limit)
  int64_t reset_us = 0;        // until the bucket is full again
  int64_t retry_after_us = 0;  // refused: until this cost would be admitted
};

// One dimension of one scope: `tat_us` as stored (0 or anything <= now: idle), `cost` units
// against `limit` per minute (> 0). Does not look at cost > limit (CheckRateLimits does).
GcraResult GcraCheck(int64_t tat_us, int64_t now_us, int64_t cost, int64_t limit);

// After the response: `reserved` units were charged, `actual` were used. A refund moves the TAT
// back by floor(refund * 60 s / limit) but never below now; an overcharge moves it forward (never
// refused) by the increment, at most kRateMaxDebtUs ahead of now.
int64_t GcraCorrect(int64_t tat_us, int64_t now_us, int64_t reserved, int64_t actual,
                    int64_t limit);

// The stored state of one scope: a TAT per dimension, 0 = none.
struct ScopeTats {
  int64_t requests_tat_us = 0;
  int64_t tokens_tat_us = 0;
  bool operator==(const ScopeTats&) const = default;
};

struct RateCheck {
  RateDecision decision;
  // The TATs to store, one per scope (as given where a dimension is unset). Only when allowed:
  // a refusal charges nothing anywhere.
  std::vector<ScopeTats> tats;
};

// Charges one request and `token_bound` tokens against every scope's rpm and tpm, all or nothing.
// `tats[i]` belongs to `scopes[i]` (same size). Unset (<= 0) limits are ignored.
RateCheck CheckRateLimits(const std::vector<LimitScope>& scopes, const std::vector<ScopeTats>& tats,
                          int64_t token_bound, int64_t now_us);

// The token TATs after correcting an admitted request's reservation (requests are not corrected).
std::vector<ScopeTats> CorrectRateLimits(const std::vector<LimitScope>& scopes,
                                         const std::vector<ScopeTats>& tats,
                                         int64_t reserved_tokens, int64_t actual_tokens,
                                         int64_t now_us);

// Limits divided among `divisor` replicas, rounded up, at least 1 where set (the fallback share).
RateLimits ShareOfLimits(RateLimits limits, int64_t divisor);

// The whole state may be forgotten (it equals a fresh one) once now reaches this: the later TAT.
inline int64_t IdleAfterUs(const ScopeTats& t) {
  return t.requests_tat_us > t.tokens_tat_us ? t.requests_tat_us : t.tokens_tat_us;
}

}  // namespace llmgw::gateway

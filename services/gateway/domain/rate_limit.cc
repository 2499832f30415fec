#include "services/gateway/domain/rate_limit.h"

#include <algorithm>
#include <limits>

namespace llmgw::gateway {
namespace {

using Wide = __int128;

constexpr int64_t kTauUs = kRateWindowUs + kRateSlackUs;

int64_t Saturate(Wide v) {
  constexpr Wide kMax = std::numeric_limits<int64_t>::max();
  constexpr Wide kMin = std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(std::clamp(v, kMin, kMax));
}

int64_t CeilMs(int64_t us) { return us <= 0 ? 0 : us / 1000 + (us % 1000 != 0); }

// Units that could still be admitted at once when the TAT is `tat_us`: the largest cost whose
// increment fits what is left of the tolerance, and at most the limit less what the TAT holds
// (rounded to the nearest unit, so the µs rounding of the increments does not show).
int64_t RemainingUnits(int64_t tat_us, int64_t now_us, int64_t limit) {
  const Wide ahead = std::max<Wide>(Wide{tat_us} - now_us, 0);
  const Wide avail = Wide{kTauUs} - ahead;
  if (avail <= 0) return 0;
  const Wide fits = avail * limit / kRateWindowUs;
  const Wide held = (ahead * limit + kRateWindowUs / 2) / kRateWindowUs;
  return Saturate(std::clamp<Wide>(std::min<Wide>(fits, Wide{limit} - held), 0, limit));
}

// One limited dimension of one scope, as CheckRateLimits sees it.
struct Dimension {
  size_t scope;
  bool tokens;
  int64_t limit;
  GcraResult result;
};

void Report(const std::vector<Dimension>& dims, bool tokens, bool charged,
            const std::vector<ScopeTats>& before, int64_t now_us, RateDecision& d) {
  bool first = true;
  for (const Dimension& dim : dims) {
    if (dim.tokens != tokens) continue;
    int64_t remaining = dim.result.remaining, reset_us = dim.result.reset_us;
    if (!charged) {  // refused: report the bucket as it stands
      const ScopeTats& t = before[dim.scope];
      const int64_t tat = tokens ? t.tokens_tat_us : t.requests_tat_us;
      remaining = RemainingUnits(tat, now_us, dim.limit);
      reset_us = std::max<int64_t>(Saturate(Wide{tat} - now_us), 0);
    }
    int64_t& d_remaining = tokens ? d.remaining_tokens : d.remaining_requests;
    int64_t& d_reset = tokens ? d.reset_tokens_ms : d.reset_requests_ms;
    int64_t& d_limit = tokens ? d.limit_tokens : d.limit_requests;
    const int64_t reset_ms = CeilMs(reset_us);
    if (first || remaining < d_remaining || (remaining == d_remaining && reset_ms > d_reset)) {
      d_remaining = remaining;
      d_reset = reset_ms;
      d_limit = dim.limit;
      first = false;
    }
  }
}

}  // namespace

int64_t GcraIncrementUs(int64_t cost, int64_t limit) {
  if (cost <= 0 || limit <= 0) return 0;
  const Wide inc = (Wide{cost} * kRateWindowUs + limit - 1) / limit;
  return Saturate(std::min<Wide>(inc, Wide{kRateMaxDebtUs} + kRateWindowUs));
}

GcraResult GcraCheck(int64_t tat_us, int64_t now_us, int64_t cost, int64_t limit) {
  GcraResult r;
  const Wide base = std::max<Wide>(tat_us, now_us);
  const Wide new_tat = base + GcraIncrementUs(cost, limit);
  r.allowed = new_tat - now_us <= kTauUs;
  if (r.allowed) {
    r.tat_us = Saturate(new_tat);
  } else {
    r.tat_us = tat_us;
    r.retry_after_us = Saturate(new_tat - now_us - kTauUs);
  }
  r.remaining = RemainingUnits(r.tat_us, now_us, limit);
  r.reset_us = Saturate(std::max<Wide>(Wide{r.tat_us} - now_us, 0));
  return r;
}

int64_t GcraCorrect(int64_t tat_us, int64_t now_us, int64_t reserved, int64_t actual,
                    int64_t limit) {
  reserved = std::max<int64_t>(reserved, 0);
  actual = std::max<int64_t>(actual, 0);
  if (limit <= 0 || actual == reserved) return tat_us;
  if (actual < reserved) {
    if (tat_us <= now_us) return tat_us;  // already idle: nothing left to give back
    const Wide back = Wide{reserved - actual} * kRateWindowUs / limit;
    return Saturate(std::max<Wide>(Wide{tat_us} - back, now_us));
  }
  const Wide base = std::max<Wide>(tat_us, now_us);
  const Wide pushed = std::min<Wide>(base + GcraIncrementUs(actual - reserved, limit),
                                     Wide{now_us} + kRateMaxDebtUs);
  return Saturate(std::max<Wide>(pushed, tat_us));
}

RateCheck CheckRateLimits(const std::vector<LimitScope>& scopes, const std::vector<ScopeTats>& tats,
                          int64_t token_bound, int64_t now_us) {
  RateCheck out;
  RateDecision& d = out.decision;
  out.tats = tats;
  out.tats.resize(scopes.size());
  token_bound = std::max<int64_t>(token_bound, 0);
  std::vector<Dimension> dims;
  for (size_t i = 0; i < scopes.size(); ++i) {
    const RateLimits& l = scopes[i].limits;
    const ScopeTats& t = out.tats[i];
    if (l.rpm > 0) {
      d.limits_requests = true;
      dims.push_back({i, false, l.rpm, GcraCheck(t.requests_tat_us, now_us, 1, l.rpm)});
    }
    if (l.tpm > 0) {
      d.limits_tokens = true;
      if (token_bound > l.tpm && !d.exceeds_limit) {
        d.exceeds_limit = true;
        d.refused_by = scopes[i].key + "/tokens";
      }
      dims.push_back({i, true, l.tpm, GcraCheck(t.tokens_tat_us, now_us, token_bound, l.tpm)});
    }
  }
  int64_t retry_us = 0;
  for (const Dimension& dim : dims) {
    if (dim.result.allowed) continue;
    d.allowed = false;
    if (!d.exceeds_limit && dim.result.retry_after_us > retry_us) {
      retry_us = dim.result.retry_after_us;
      d.refused_by = scopes[dim.scope].key + (dim.tokens ? "/tokens" : "/requests");
    }
  }
  if (d.exceeds_limit) {
    d.allowed = false;
    retry_us = 0;
  }
  d.retry_after_ms = d.allowed ? 0 : std::max<int64_t>(CeilMs(retry_us), d.exceeds_limit ? 0 : 1);
  if (d.allowed) {
    for (const Dimension& dim : dims) {
      ScopeTats& t = out.tats[dim.scope];
      (dim.tokens ? t.tokens_tat_us : t.requests_tat_us) = dim.result.tat_us;
    }
  }
  Report(dims, false, d.allowed, out.tats, now_us, d);
  Report(dims, true, d.allowed, out.tats, now_us, d);
  return out;
}

std::vector<ScopeTats> CorrectRateLimits(const std::vector<LimitScope>& scopes,
                                         const std::vector<ScopeTats>& tats,
                                         int64_t reserved_tokens, int64_t actual_tokens,
                                         int64_t now_us) {
  std::vector<ScopeTats> out = tats;
  out.resize(scopes.size());
  for (size_t i = 0; i < scopes.size(); ++i) {
    const int64_t tpm = scopes[i].limits.tpm;
    if (tpm <= 0) continue;
    out[i].tokens_tat_us =
        GcraCorrect(out[i].tokens_tat_us, now_us, reserved_tokens, actual_tokens, tpm);
  }
  return out;
}

RateLimits ShareOfLimits(RateLimits limits, int64_t divisor) {
  if (divisor <= 1) return limits;
  auto share = [divisor](int64_t v) -> int64_t {
    if (v <= 0) return 0;
    return std::max<int64_t>(1, v / divisor + (v % divisor != 0));
  };
  return {share(limits.rpm), share(limits.tpm)};
}

}  // namespace llmgw::gateway

#pragma once
// The controls of a request (issue 16): the rate limits and spend budgets of its credential and
// of its organization, as accounts keeps them, turned into what the rate limiter and billing's
// hold take; and the headers a rate decision shows in each surface.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "libs/common/money.h"
#include "services/gateway/domain/limits.h"
#include "services/gateway/domain/provider.h"
#include "services/gateway/domain/rate_limit.h"

namespace llmgw::gateway {

// The budgets a request of `credential_id` must fit: the credential's, then the organization's.
std::vector<BudgetSpec> BudgetsOf(const std::string& credential_id, const Limits& credential,
                                  const Limits& organization);

// The rate-limit scopes of a request: "cred:<id>" and "org:<id>", those with a limit set.
std::vector<LimitScope> RateScopesOf(const std::string& organization_id,
                                     const std::string& credential_id, const Limits& credential,
                                     const Limits& organization);

// The tokens a request may use at most, for its tpm reservation: input bound + output bound.
int64_t TokenBound(int64_t input_tokens, int64_t output_tokens);

using HeaderValues = std::vector<std::pair<std::string, std::string>>;

// The rate-limit headers of a decision, "remaining" counted after the request:
//  - reseller (`native` true): OpenAI x-ratelimit-{limit,remaining,reset}-{requests,tokens}
//    (reset as a duration, "1s", "6m0s", "250ms"); Anthropic anthropic-ratelimit-{requests,
//    tokens}-{limit,remaining,reset} (reset as an RFC 3339 UTC time from `now_unix_ms`);
//  - pass-through (`native` false): x-llmgw-ratelimit-remaining-{requests,tokens} only, the
//    provider's own headers being left as they are.
// Only the dimensions that have a limit appear.
HeaderValues RateLimitHeaders(Surface surface, const RateDecision& d, bool native,
                              int64_t now_unix_ms);

// The retry-after of a refusal in whole seconds, at least 1 (the SDKs read seconds).
int64_t RetryAfterSeconds(const RateDecision& d);

// "1s", "6m0s", "1.5s", "250ms": OpenAI's reset duration format.
std::string OpenAIDuration(int64_t ms);

// What billing's "budget_exceeded: the day budget of cred:… is spent" means for the customer:
// "the daily budget of this key is spent".
std::string BudgetRefusalText(std::string_view billing_message);

// What a refused decision names, for the error message ("requests per minute of this key").
std::string RefusalText(const RateDecision& d);

}  // namespace llmgw::gateway

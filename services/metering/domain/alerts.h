#pragma once
// Alert rules and their evaluation (README "Alerts"): pure functions from a rule and what was
// observed (balance, per-provider request counts, reconciliation drift, budgets) to the alerts it
// fires, each with a period key that makes it fire once per rule and period; the message (a
// Slack-compatible `text` plus structured fields), its signature, the e-mail around it and the
// retry schedule of deliveries.
//
// Thresholds are fixed point with 9 decimals (threshold_nano = threshold × 1e9): nano-USD for
// balance, a percentage for the others. No floating point decides anything.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "services/metering/domain/reconciliation.h"

namespace llmgw::metering {

enum class AlertKind { kBudget, kBalance, kErrorRate, kDrift };
enum class AlertChannel { kWebhook, kEmail };

std::string_view AlertKindName(AlertKind kind);
std::string_view AlertChannelName(AlertChannel channel);
// InvalidArgument naming the accepted values.
absl::StatusOr<AlertKind> ParseAlertKind(std::string_view name);
absl::StatusOr<AlertChannel> ParseAlertChannel(std::string_view name);

inline constexpr int64_t kThresholdScale = 1'000'000'000;
inline constexpr int kMaxAlertRulesPerOrganization = 50;
inline constexpr size_t kMaxAlertTargetBytes = 2048;

// The error-rate window and the fewest requests in it that can fire (fewer say nothing: two
// failures of three requests are not a failing provider).
inline constexpr int64_t kErrorRateWindowMs = 5 * 60 * 1000;
inline constexpr int64_t kErrorRateMinRequests = 10;
// Reconciliation drift is looked at over the last days (UTC), today included.
inline constexpr int kDriftLookbackDays = 7;

// InvalidArgument with a message for the user: threshold > 0 (and <= 100 for a percentage), a
// webhook target an http(s) URL with a host, an e-mail target one address.
absl::Status ValidateAlertRule(AlertKind kind, int64_t threshold_nano, AlertChannel channel,
                               std::string_view target);

struct AlertRule {
  std::string id;  // UUID
  std::string organization_id;
  AlertKind kind = AlertKind::kBalance;
  int64_t threshold_nano = 0;
  AlertChannel channel = AlertChannel::kWebhook;
  std::string target;
  int64_t created_at_unix_ms = 0;
  // Rules that fire once until their condition clears (balance): the current episode, and
  // whether its alert has fired.
  int64_t episode = 0;
  bool firing = false;
  bool operator==(const AlertRule&) const = default;
};

// One alert to deliver: period_key is unique per rule (the outbox's key).
struct AlertFiring {
  std::string period_key;
  std::string text;      // one line for people (Slack's `text`, the e-mail's body)
  nlohmann::json facts;  // the numbers behind it
  bool operator==(const AlertFiring&) const = default;
};

// Balance: fires once when the balance is below the threshold, then not again until it has been
// at or above it (the next episode).
struct BalanceVerdict {
  bool below = false;
  std::optional<AlertFiring> firing;  // set when below
};
BalanceVerdict EvaluateBalance(const AlertRule& rule, int64_t balance_nano);

// Requests to one provider in the error-rate window. Errors: status >= 500 or 429 (a provider
// failing or refusing under load; other 4xx are the caller's).
struct ProviderRequestCounts {
  std::string provider;
  int64_t requests = 0;
  int64_t errors = 0;
};
bool IsProviderError(int status_code);
// Per provider with at least kErrorRateMinRequests whose error share is above the threshold; at
// most once per provider and UTC hour (period key "error_rate:<provider>:<YYYY-MM-DDTHH>").
std::vector<AlertFiring> EvaluateErrorRate(const AlertRule& rule,
                                           const std::vector<ProviderRequestCounts>& counts,
                                           int64_t now_unix_ms);

// A day's reconciliation for one provider (summed over its models).
struct ProviderDrift {
  int64_t day_unix_ms = 0;
  std::string provider;
  int64_t provider_cost_nano = 0;
  int64_t drift_cost_nano = 0;  // provider − metered
};
// The reconciliation's rows summed per (day, provider), in the rows' order.
std::vector<ProviderDrift> DriftByProviderDay(const std::vector<ReconciliationRow>& rows);
// Per day and provider whose |drift| is above the threshold share of the provider-reported cost
// (days the provider reported no cost are skipped); once per provider and day.
std::vector<AlertFiring> EvaluateDrift(const AlertRule& rule,
                                       const std::vector<ProviderDrift>& days);

// A budget and what was spent against it in its current period.
struct BudgetUsage {
  std::string scope;         // organization | key | token
  std::string scope_id;      // "" for the organization
  std::string period;        // day | month
  std::string period_start;  // e.g. "2026-12-06" or "2026-12": the current period
  int64_t limit_nano = 0;
  int64_t spent_nano = 0;
};
// A scope's budget limits as accounts keeps them (scope "org" or "cred:<credential id>", as
// billing's budget counters name it); 0: no such limit.
struct ScopeBudgetLimits {
  std::string scope;
  int64_t daily_nano = 0;
  int64_t monthly_nano = 0;
};
// A budget counter of billing's (ListBudgets): settled spend in the period from period_start.
struct BudgetCounter {
  std::string scope;
  std::string period;  // day | month
  std::string period_start;
  int64_t spent_nano = 0;
};
// Every limit beside its current counter (a limit with no counter has spent nothing and is left
// out). Settled spend only: an in-flight hold's reservation is not yet money spent.
std::vector<BudgetUsage> BudgetUsages(const std::vector<ScopeBudgetLimits>& limits,
                                      const std::vector<BudgetCounter>& counters);

// Per budget whose spend reached the threshold share of its limit (50, 80, 100 %: one rule per
// step); once per budget and period.
std::vector<AlertFiring> EvaluateBudgets(const AlertRule& rule,
                                         const std::vector<BudgetUsage>& budgets);

// The webhook body, stored in the outbox and delivered byte for byte on every attempt:
// {"text": ..., "alert": {id, kind, threshold, organization_id, period_key, fired_at, facts}}.
std::string AlertPayload(const AlertRule& rule, const AlertFiring& firing, int64_t now_unix_ms);
// "sha256=<hex HMAC-SHA256 of body under secret>" (the x-llmgw-signature header).
std::string WebhookSignature(std::string_view secret, std::string_view body);
// A new webhook signing secret: "whsec_" + 43 base62 characters.
std::string NewSigningSecret();

// The e-mail (RFC 5322, CRLF line ends, dot-stuffing left to the SMTP client) carrying the
// payload's text and its JSON; X-Llmgw-Fired-At is the payload's fired_at.
std::string AlertEmail(std::string_view from, std::string_view to, std::string_view payload,
                       std::string_view message_id);

// Delivery retries: the delay after `attempts` failed attempts (1, 2, ...): 2 s doubling, at most
// one hour; a delivery not done a day after it fired is given up.
int64_t AlertRetryDelayMs(int attempts);
inline constexpr int64_t kAlertGiveUpAfterMs = 24LL * 3600 * 1000;

// A webhook URL is itself a credential (a Slack or Teams incoming-webhook URL posts to the
// channel for anyone who has it), so it is sealed with the signing secret and stored in clear
// only as WebhookDisplay: the scheme and host, the rest hidden ("https://hooks.slack.com/…").
std::string WebhookDisplay(std::string_view url);
// What a webhook rule seals, and its opening. A plaintext that is not this JSON (none is written
// so) is refused.
struct WebhookSecrets {
  std::string signing_secret;
  std::string url;
};
std::string SealableWebhook(std::string_view signing_secret, std::string_view url);
absl::StatusOr<WebhookSecrets> OpenedWebhook(std::string_view plaintext);

// Whether `ip` (as libcurl reports the address it connected to) is not on the public internet:
// loopback, private (RFC 1918, fc00::/7), link-local, CGNAT (100.64/10), unspecified, multicast,
// broadcast, reserved, or one of these mapped into IPv6. Webhooks are never sent there unless
// the operator allows it (LLMGW_ALERT_ALLOW_PRIVATE_TARGETS): an admin's URL must not reach the
// deployment's internal services. Anything that does not parse counts as non-public.
bool IsNonPublicAddress(std::string_view ip);

// The threshold as a decimal ("5", "12.5"), for messages and JSON.
std::string FormatThreshold(int64_t threshold_nano);

}  // namespace llmgw::metering

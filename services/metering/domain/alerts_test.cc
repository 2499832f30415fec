#include "services/metering/domain/alerts.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/crypto.h"

namespace llmgw::metering {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr int64_t kUsd = kThresholdScale;
constexpr int64_t k2026_12_06_10h30 = 1'796'553'000'000;  // 2026-12-06T10:30:00Z

AlertRule Rule(AlertKind kind, int64_t threshold_nano) {
  AlertRule r;
  r.id = "11111111-1111-4111-8111-111111111111";
  r.organization_id = "org-1";
  r.kind = kind;
  r.threshold_nano = threshold_nano;
  return r;
}

TEST(AlertNames, RoundTripAndRefuseOthers) {
  for (AlertKind k :
       {AlertKind::kBudget, AlertKind::kBalance, AlertKind::kErrorRate, AlertKind::kDrift}) {
    EXPECT_EQ(*ParseAlertKind(AlertKindName(k)), k);
  }
  EXPECT_EQ(ParseAlertKind("spend").status().message(),
            "kind must be one of budget, balance, error_rate, drift");
  EXPECT_EQ(*ParseAlertChannel("email"), AlertChannel::kEmail);
  EXPECT_EQ(*ParseAlertChannel("webhook"), AlertChannel::kWebhook);
  EXPECT_FALSE(ParseAlertChannel("slack").ok());
}

TEST(ValidateAlertRule, ThresholdsAndTargets) {
  const auto kB = AlertKind::kBalance;
  const auto kE = AlertKind::kErrorRate;
  const auto kHook = AlertChannel::kWebhook;
  const auto kMail = AlertChannel::kEmail;
  EXPECT_TRUE(ValidateAlertRule(kB, 5 * kUsd, kHook, "https://hooks.example.com/x").ok());
  EXPECT_TRUE(ValidateAlertRule(kB, 5000 * kUsd, kMail, "ops@example.com").ok());
  EXPECT_TRUE(ValidateAlertRule(kE, 100 * kUsd, kHook, "http://127.0.0.1:8080/hook").ok());
  EXPECT_EQ(ValidateAlertRule(kB, 0, kHook, "https://a.example").message(),
            "threshold must be greater than 0");
  EXPECT_EQ(ValidateAlertRule(kE, 100 * kUsd + 1, kHook, "https://a.example").message(),
            "threshold is a percentage for error_rate: at most 100");
  EXPECT_EQ(ValidateAlertRule(AlertKind::kBudget, 101 * kUsd, kHook, "https://a.example").code(),
            absl::StatusCode::kInvalidArgument);
  for (const char* bad : {"ftp://a.example", "https://", "https://user:pw@a.example/x",
                          "https://a.example/ x", "a.example"}) {
    EXPECT_EQ(ValidateAlertRule(kB, kUsd, kHook, bad).code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }
  for (const char* bad : {"ops", "@example.com", "ops@", "a@b@c.com", "ops@example.com\r\nBcc: x",
                          "Ops <ops@example.com>", "a@example.com,b@example.com"}) {
    EXPECT_EQ(ValidateAlertRule(kB, kUsd, kMail, bad).code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_EQ(ValidateAlertRule(kB, kUsd, kMail, "").message(), "target is required");
  EXPECT_EQ(
      ValidateAlertRule(kB, kUsd, kHook, "https://a.example/" + std::string(3000, 'x')).code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(EvaluateBalance, FiresBelowOncePerEpisode) {
  AlertRule rule = Rule(AlertKind::kBalance, 5 * kUsd);
  EXPECT_FALSE(EvaluateBalance(rule, 5 * kUsd).below);  // at the threshold: not below
  EXPECT_FALSE(EvaluateBalance(rule, 5 * kUsd).firing.has_value());
  BalanceVerdict v = EvaluateBalance(rule, 5 * kUsd - 1);
  ASSERT_TRUE(v.below);
  ASSERT_TRUE(v.firing.has_value());
  EXPECT_EQ(v.firing->period_key, "balance:0");
  EXPECT_EQ(v.firing->text, "llmgw: the balance is $5.00, below the alert's $5.00");
  EXPECT_EQ(v.firing->facts["balance_nano"], 5 * kUsd - 1);
  EXPECT_EQ(v.firing->facts["threshold_usd"], "5.000000000");
  EXPECT_EQ(EvaluateBalance(rule, 320'000'000).firing->text,
            "llmgw: the balance is $0.32, below the alert's $5.00");
  rule.episode = 3;  // recovered three times since
  EXPECT_EQ(EvaluateBalance(rule, 0).firing->period_key, "balance:3");
}

TEST(EvaluateErrorRate, NeedsTheMinimumSampleAndAShareAboveTheThreshold) {
  AlertRule rule = Rule(AlertKind::kErrorRate, 50 * kUsd);
  std::vector<ProviderRequestCounts> counts = {
      {"openai", 9, 9},      // too few requests to say anything
      {"anthropic", 10, 5},  // exactly 50 %: not above
      {"google", 10, 6},     // 60 %
      {"xai", 1000, 1000},   // 100 %
  };
  std::vector<AlertFiring> fired = EvaluateErrorRate(rule, counts, k2026_12_06_10h30);
  ASSERT_THAT(fired, SizeIs(2));
  EXPECT_EQ(fired[0].period_key, "error_rate:google:2026-12-06T10");
  EXPECT_EQ(fired[0].text,
            "llmgw: google failed 6 of 10 requests in the last 5 minutes (60.0 %, alert above "
            "50 %)");
  EXPECT_EQ(fired[0].facts["errors"], 6);
  EXPECT_EQ(fired[1].period_key, "error_rate:xai:2026-12-06T10");
  // The next hour is a new period.
  EXPECT_EQ(EvaluateErrorRate(rule, counts, k2026_12_06_10h30 + 1'800'000)[0].period_key,
            "error_rate:google:2026-12-06T11");
  // Fractional thresholds compare exactly: 12.5 % of 16 is 2.
  AlertRule fine = Rule(AlertKind::kErrorRate, 12'500'000'000);
  EXPECT_THAT(EvaluateErrorRate(fine, {{"openai", 16, 2}}, 0), IsEmpty());
  EXPECT_THAT(EvaluateErrorRate(fine, {{"openai", 16, 3}}, 0), SizeIs(1));
}

TEST(IsProviderError, ServerErrorsAndRateLimits) {
  EXPECT_TRUE(IsProviderError(500));
  EXPECT_TRUE(IsProviderError(503));
  EXPECT_TRUE(IsProviderError(429));
  EXPECT_FALSE(IsProviderError(400));
  EXPECT_FALSE(IsProviderError(401));
  EXPECT_FALSE(IsProviderError(200));
}

TEST(EvaluateDrift, PerProviderAndDayAboveTheShare) {
  constexpr int64_t kDay = 1'796'515'200'000;  // 2026-12-06
  std::vector<ReconciliationRow> rows(3);
  rows[0].day_unix_ms = kDay;
  rows[0].provider = "openai";
  rows[0].provider_cost_nano = 6 * kUsd;
  rows[0].drift_cost_nano = 1 * kUsd;
  rows[1].day_unix_ms = kDay;
  rows[1].provider = "openai";
  rows[1].provider_cost_nano = 4 * kUsd;
  rows[1].drift_cost_nano = -2 * kUsd;
  rows[2].day_unix_ms = kDay;
  rows[2].provider = "anthropic";
  rows[2].provider_cost_nano = 0;
  rows[2].drift_cost_nano = -3 * kUsd;  // nothing reported: no share to take
  std::vector<ProviderDrift> days = DriftByProviderDay(rows);
  ASSERT_THAT(days, SizeIs(2));
  EXPECT_EQ(days[0].provider_cost_nano, 10 * kUsd);
  EXPECT_EQ(days[0].drift_cost_nano, -1 * kUsd);  // 10 %
  EXPECT_THAT(EvaluateDrift(Rule(AlertKind::kDrift, 10 * kUsd), days), IsEmpty());
  std::vector<AlertFiring> fired = EvaluateDrift(Rule(AlertKind::kDrift, 9 * kUsd), days);
  ASSERT_THAT(fired, SizeIs(1));
  EXPECT_EQ(fired[0].period_key, "drift:openai:2026-12-06");
  EXPECT_EQ(fired[0].text,
            "llmgw: on 2026-12-06 openai reported $10.00, -$1.00 away from what llmgw metered "
            "(10.0 %, alert above 9 %)");
}

TEST(EvaluateBudgets, AtTheStepOncePerBudgetAndPeriod) {
  std::vector<BudgetUsage> budgets = {
      {"organization", "", "month", "2026-12", 100 * kUsd, 80 * kUsd},
      {"key", "k1", "day", "2026-12-06", 10 * kUsd, 7 * kUsd},
      {"token", "t1", "day", "2026-12-06", 0, 7 * kUsd},  // no limit
  };
  std::vector<AlertFiring> at80 = EvaluateBudgets(Rule(AlertKind::kBudget, 80 * kUsd), budgets);
  ASSERT_THAT(at80, SizeIs(1));
  EXPECT_EQ(at80[0].period_key, "budget:organization::month:2026-12");
  EXPECT_EQ(at80[0].text,
            "llmgw: the monthly budget of organization is 80.0 % spent ($80.00 of $100.00; alert "
            "at 80 %)");
  std::vector<AlertFiring> at50 = EvaluateBudgets(Rule(AlertKind::kBudget, 50 * kUsd), budgets);
  ASSERT_THAT(at50, SizeIs(2));
  EXPECT_EQ(at50[1].period_key, "budget:key:k1:day:2026-12-06");
  EXPECT_THAT(at50[1].text, HasSubstr("daily budget of key k1 is 70.0 % spent"));
  EXPECT_THAT(EvaluateBudgets(Rule(AlertKind::kBudget, 100 * kUsd), budgets), IsEmpty());
}

TEST(BudgetUsages, LimitsBesideTheirCurrentCounters) {
  std::vector<ScopeBudgetLimits> limits = {
      {"org", 0, 100 * kUsd},
      {"cred:k1", 10 * kUsd, 0},
      {"cred:k2", 5 * kUsd, 0},  // nothing spent: no counter
  };
  std::vector<BudgetCounter> counters = {
      {"org", "day", "2026-12-06", 3 * kUsd},  // no daily limit
      {"org", "month", "2026-12-01", 80 * kUsd},
      {"cred:k1", "day", "2026-12-06", 7 * kUsd},
      {"cred:k9", "day", "2026-12-06", 7 * kUsd},  // no limit any more
  };
  std::vector<BudgetUsage> u = BudgetUsages(limits, counters);
  ASSERT_THAT(u, SizeIs(2));
  EXPECT_EQ(u[0].scope, "organization");
  EXPECT_EQ(u[0].scope_id, "");
  EXPECT_EQ(u[0].period, "month");
  EXPECT_EQ(u[0].period_start, "2026-12-01");
  EXPECT_EQ(u[0].limit_nano, 100 * kUsd);
  EXPECT_EQ(u[0].spent_nano, 80 * kUsd);
  EXPECT_EQ(u[1].scope, "credential");
  EXPECT_EQ(u[1].scope_id, "k1");
  EXPECT_EQ(u[1].period, "day");
  EXPECT_EQ(EvaluateBudgets(Rule(AlertKind::kBudget, 80 * kUsd), u)[0].period_key,
            "budget:organization::month:2026-12-01");
}

TEST(AlertPayload, SlackTextAndStructuredFields) {
  AlertRule rule = Rule(AlertKind::kBalance, 5 * kUsd);
  AlertFiring f = *EvaluateBalance(rule, kUsd).firing;
  nlohmann::json p = nlohmann::json::parse(AlertPayload(rule, f, k2026_12_06_10h30));
  EXPECT_EQ(p["text"], "llmgw: the balance is $1.00, below the alert's $5.00");
  EXPECT_EQ(p["alert"]["id"], rule.id);
  EXPECT_EQ(p["alert"]["kind"], "balance");
  EXPECT_EQ(p["alert"]["threshold"], "5");
  EXPECT_EQ(p["alert"]["organization_id"], "org-1");
  EXPECT_EQ(p["alert"]["period_key"], "balance:0");
  EXPECT_EQ(p["alert"]["fired_at"], "2026-12-06T10:30:00Z");
  EXPECT_EQ(p["alert"]["facts"]["balance_nano"], kUsd);
}

TEST(WebhookSignature, HmacSha256OfTheBody) {
  EXPECT_EQ(WebhookSignature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  std::string a = NewSigningSecret();
  EXPECT_EQ(a.size(), 6u + 43u);
  EXPECT_EQ(a.substr(0, 6), "whsec_");
  EXPECT_NE(a, NewSigningSecret());
}

TEST(AlertEmail, HeadersAndCrlfBody) {
  std::string payload =
      R"({"text":"llmgw: low\nbalance","alert":{"kind":"balance","fired_at":"2026-12-06T10:30:00Z"}})";
  std::string mail = AlertEmail("llmgw@localhost", "ops@example.com", payload, "id@llmgw");
  EXPECT_THAT(mail, HasSubstr("From: llmgw@localhost\r\nTo: ops@example.com\r\n"
                              "Subject: [llmgw] balance alert\r\nMessage-ID: <id@llmgw>\r\n"));
  EXPECT_THAT(mail, HasSubstr("X-Llmgw-Fired-At: 2026-12-06T10:30:00Z\r\n"));
  EXPECT_THAT(mail, HasSubstr("\r\n\r\nllmgw: low\r\nbalance\r\n\r\n{\r\n"));
  for (size_t i = 0; i < mail.size(); ++i) {
    if (mail[i] == '\n') EXPECT_EQ(mail[i - 1], '\r') << "bare LF at " << i;
  }
}

TEST(AlertRetryDelayMs, DoublesFromTwoSecondsUpToAnHour) {
  EXPECT_EQ(AlertRetryDelayMs(0), 2000);
  EXPECT_EQ(AlertRetryDelayMs(1), 2000);
  EXPECT_EQ(AlertRetryDelayMs(2), 4000);
  EXPECT_EQ(AlertRetryDelayMs(5), 32000);
  EXPECT_EQ(AlertRetryDelayMs(11), 2'048'000);
  EXPECT_EQ(AlertRetryDelayMs(12), 3'600'000);
  EXPECT_EQ(AlertRetryDelayMs(1000), 3'600'000);
}

TEST(FormatThreshold, DecimalWithoutTrailingZeros) {
  EXPECT_EQ(FormatThreshold(5 * kUsd), "5");
  EXPECT_EQ(FormatThreshold(12'500'000'000), "12.5");
  EXPECT_EQ(FormatThreshold(1), "0.000000001");
}

TEST(WebhookDisplay, SchemeAndHostOnly) {
  EXPECT_EQ(WebhookDisplay("https://hooks.slack.com/services/T000/B000/XXXXSECRET"),
            "https://hooks.slack.com/…");
  EXPECT_EQ(WebhookDisplay("http://user:pass@example.com:8080/x?token=abc"),
            "http://example.com:8080/…");
  EXPECT_EQ(WebhookDisplay("https://example.com"), "https://example.com/…");
  EXPECT_EQ(WebhookDisplay("nonsense"), "…");
}

TEST(SealableWebhook, RoundTripsAndRefusesAnythingElse) {
  auto opened = OpenedWebhook(SealableWebhook("whsec_abc", "https://h.example/p?q=\"x\""));
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->signing_secret, "whsec_abc");
  EXPECT_EQ(opened->url, "https://h.example/p?q=\"x\"");
  EXPECT_FALSE(OpenedWebhook("whsec_abc").ok());
  EXPECT_FALSE(OpenedWebhook(R"({"signing_secret":"s"})").ok());
}

TEST(IsNonPublicAddress, InternalRangesAreRefused) {
  for (const char* ip :
       {"127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
        "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "198.18.0.1", "::1", "::",
        "fe80::1", "fd00::1", "fc00::5", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
        "2001:db8::1", "not an address", ""}) {
    EXPECT_TRUE(IsNonPublicAddress(ip)) << ip;
  }
  for (const char* ip : {"8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "192.169.0.1",
                         "2606:4700:4700::1111", "::ffff:8.8.8.8"}) {
    EXPECT_FALSE(IsNonPublicAddress(ip)) << ip;
  }
}

}  // namespace
}  // namespace llmgw::metering

#include "services/metering/domain/alert_engine.h"

#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/crypto.h"

namespace llmgw::metering {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr int64_t kUsd = kThresholdScale;
constexpr int64_t kStart = 1'796'553'000'000;  // 2026-12-06T10:30:00Z

// An AlertStore in memory, with the Pg store's semantics for what the engine uses.
class FakeAlertStore final : public AlertStore {
 public:
  struct Row {
    int64_t id;
    std::string rule_id, period_key, payload;
    int attempts = 0;
    int64_t created = 0, next = 0;
    bool delivered = false, gave_up = false;
    std::string last_error;
  };
  std::vector<AlertRule> rules;
  std::map<std::string, crypto::SealedSecret> secrets;
  std::vector<Row> outbox;
  std::vector<ProviderRequestCounts> counts;

  // AlertStore
  absl::StatusOr<AlertRule> CreateRule(const NewAlertRule&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<std::vector<AlertRuleView>> ListRules(const std::string&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<AlertRule> DeleteRule(const std::string&, const std::string&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<std::vector<AlertRule>> AllRules() override { return rules; }
  absl::StatusOr<bool> Fire(const AlertRule& rule, const std::string& key,
                            const std::string& payload, int64_t now) override {
    for (const Row& r : outbox) {
      if (r.rule_id == rule.id && r.period_key == key) return false;
    }
    outbox.push_back({static_cast<int64_t>(outbox.size() + 1), rule.id, key, payload, 0, now, now});
    if (rule.kind == AlertKind::kBalance) Rule(rule.id).firing = true;
    return true;
  }
  absl::Status ClearFiring(const std::string& rule_id, int64_t episode) override {
    AlertRule& r = Rule(rule_id);
    if (r.firing && r.episode == episode) {
      r.firing = false;
      ++r.episode;
    }
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<ProviderRequestCounts>> CountProviderRequests(const std::string&,
                                                                           int64_t,
                                                                           int64_t) override {
    return counts;
  }
  absl::StatusOr<std::vector<LeasedDelivery>> LeaseDue(int64_t now, int64_t lease, int) override {
    std::vector<LeasedDelivery> out;
    for (Row& r : outbox) {
      if (r.delivered || r.gave_up || r.next > now) continue;
      r.next = now + lease;
      AlertRule& rule = Rule(r.rule_id);
      std::optional<crypto::SealedSecret> secret;
      if (secrets.count(rule.id)) secret = secrets[rule.id];
      out.push_back(
          {r.id, r.rule_id, rule.channel, rule.target, secret, r.payload, r.attempts, r.created});
    }
    return out;
  }
  absl::Status RecordAttempt(int64_t id, const DeliveryAttempt& a, int64_t) override {
    Row& r = outbox[id - 1];
    ++r.attempts;
    r.delivered = a.delivered;
    r.gave_up = a.give_up;
    r.last_error = a.error;
    r.next = a.next_attempt_at_unix_ms;
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<StoredAlertSecret>> ListSealedSecrets() override {
    return absl::UnimplementedError("");
  }
  absl::Status ReplaceSealedSecret(const std::string&, const crypto::SealedSecret&,
                                   const crypto::SealedSecret&) override {
    return absl::UnimplementedError("");
  }

  AlertRule& Rule(const std::string& id) {
    for (AlertRule& r : rules) {
      if (r.id == id) return r;
    }
    std::abort();
  }
};

class FakeSources final : public AlertSources {
 public:
  absl::StatusOr<int64_t> balance = 100 * kUsd;
  int balance_calls = 0;
  absl::StatusOr<int64_t> Balance(const std::string&) override {
    ++balance_calls;
    return balance;
  }
  absl::StatusOr<std::vector<ReconciliationRow>> Reconciliation(const std::string&,
                                                                DayWindow) override {
    return std::vector<ReconciliationRow>{};
  }
  absl::StatusOr<std::vector<BudgetUsage>> Budgets(const std::string&) override {
    return absl::UnimplementedError("no budgets");
  }
};

class FakeSender final : public AlertSender {
 public:
  std::vector<OutgoingAlert> sent;
  absl::Status next = absl::OkStatus();
  absl::Status Send(const OutgoingAlert& a) override {
    sent.push_back(a);
    return next;
  }
};

class AlertEngineTest : public ::testing::Test {
 protected:
  AlertEngineTest()
      : ring_(*crypto::SecretBox::FromKey(std::string(32, 'k')), {}),
        engine_(store_, sources_, sender_, &ring_, clock_, {}) {}

  AlertRule& AddRule(AlertKind kind, int64_t threshold, AlertChannel channel) {
    AlertRule r;
    r.id = crypto::RandomUuid();
    r.organization_id = "org-1";
    r.kind = kind;
    r.threshold_nano = threshold;
    r.channel = channel;
    r.target = channel == AlertChannel::kEmail ? "ops@example.com" : "https://h.example/…";
    if (channel == AlertChannel::kWebhook) {
      store_.secrets[r.id] = ring_.current().Seal(
          SealableWebhook("whsec_test", "https://h.example/hook/secret-path"), AlertSecretAad(r.id));
    }
    store_.rules.push_back(r);
    return store_.rules.back();
  }

  FakeClock clock_{kStart};
  FakeAlertStore store_;
  FakeSources sources_;
  FakeSender sender_;
  crypto::SecretKeyring ring_;
  AlertEngine engine_;
};

TEST_F(AlertEngineTest, BalanceFiresOnceUntilItRecovers) {
  AddRule(AlertKind::kBalance, 5 * kUsd, AlertChannel::kWebhook);
  AddRule(AlertKind::kBalance, 10 * kUsd, AlertChannel::kEmail);
  EXPECT_EQ(engine_.Evaluate(), 0);
  EXPECT_EQ(sources_.balance_calls, 1);  // once per organization and pass
  sources_.balance = 4 * kUsd;
  EXPECT_EQ(engine_.Evaluate(), 2);
  EXPECT_EQ(engine_.Evaluate(), 0);  // still below: nothing new
  EXPECT_EQ(engine_.Evaluate(), 0);
  sources_.balance = 7 * kUsd;  // above the first rule, below the second
  EXPECT_EQ(engine_.Evaluate(), 0);
  sources_.balance = 3 * kUsd;
  EXPECT_EQ(engine_.Evaluate(), 1);  // the first rule's next episode
  ASSERT_THAT(store_.outbox, SizeIs(3));
  EXPECT_EQ(store_.outbox[2].period_key, "balance:1");
  // Billing down: skipped, nothing cleared or fired.
  sources_.balance = absl::UnavailableError("billing down");
  EXPECT_EQ(engine_.Evaluate(), 0);
  EXPECT_TRUE(store_.rules[0].firing);
}

TEST_F(AlertEngineTest, ErrorRateFiresOncePerProviderAndHour) {
  AddRule(AlertKind::kErrorRate, 50 * kUsd, AlertChannel::kEmail);
  store_.counts = {{"openai", 20, 15}, {"anthropic", 20, 1}};
  EXPECT_EQ(engine_.Evaluate(), 1);
  clock_.Advance(std::chrono::minutes(20));
  EXPECT_EQ(engine_.Evaluate(), 0);
  clock_.Advance(std::chrono::minutes(20));  // 11:10: the next hour
  EXPECT_EQ(engine_.Evaluate(), 1);
}

TEST_F(AlertEngineTest, WebhookDeliveryCarriesTheOpenedSecretAndRetriesWithBackoff) {
  AlertRule& rule = AddRule(AlertKind::kBalance, 5 * kUsd, AlertChannel::kWebhook);
  sources_.balance = 0;
  ASSERT_EQ(engine_.Evaluate(), 1);
  sender_.next = absl::UnavailableError("connection refused");
  std::vector<DeliveryOutcome> out = engine_.DeliverDue();
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_STREQ(out[0].result, "retry");
  ASSERT_THAT(sender_.sent, SizeIs(1));
  EXPECT_EQ(sender_.sent[0].signing_secret, "whsec_test");
  EXPECT_EQ(sender_.sent[0].target, "https://h.example/hook/secret-path");  // opened, not shown
  EXPECT_EQ(sender_.sent[0].rule_id, rule.id);
  EXPECT_THAT(sender_.sent[0].payload, HasSubstr("below the alert's $5.00"));
  EXPECT_EQ(store_.outbox[0].last_error, "connection refused");
  EXPECT_EQ(store_.outbox[0].next, kStart + 2000);

  EXPECT_THAT(engine_.DeliverDue(), SizeIs(0));  // not due yet
  clock_.Advance(std::chrono::milliseconds(2000));
  EXPECT_THAT(engine_.DeliverDue(), SizeIs(1));  // second failure: 4 s
  EXPECT_EQ(store_.outbox[0].next, kStart + 2000 + 4000);
  clock_.Advance(std::chrono::milliseconds(4000));
  sender_.next = absl::OkStatus();
  out = engine_.DeliverDue();
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_STREQ(out[0].result, "delivered");
  EXPECT_TRUE(store_.outbox[0].delivered);
  EXPECT_EQ(store_.outbox[0].attempts, 3);
  EXPECT_EQ(sender_.sent[2].payload, sender_.sent[0].payload);  // byte for byte
  clock_.Advance(std::chrono::hours(2));
  EXPECT_THAT(engine_.DeliverDue(), SizeIs(0));
}

TEST_F(AlertEngineTest, GivesUpADayAfterItFired) {
  AddRule(AlertKind::kBalance, 5 * kUsd, AlertChannel::kEmail);
  sources_.balance = 0;
  ASSERT_EQ(engine_.Evaluate(), 1);
  sender_.next = absl::UnavailableError("SMTP server refused");
  clock_.Advance(std::chrono::hours(24));
  std::vector<DeliveryOutcome> out = engine_.DeliverDue();
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_STREQ(out[0].result, "failed");
  EXPECT_TRUE(store_.outbox[0].gave_up);
}

TEST_F(AlertEngineTest, AWebhookWithoutTheKeyIsNotSentUnsigned) {
  AlertRule& rule = AddRule(AlertKind::kBalance, 5 * kUsd, AlertChannel::kWebhook);
  // Sealed under a key this metering does not have.
  store_.secrets[rule.id] =
      crypto::SecretBox::FromKey(std::string(32, 'z'))->Seal("whsec_x", AlertSecretAad(rule.id));
  sources_.balance = 0;
  ASSERT_EQ(engine_.Evaluate(), 1);
  std::vector<DeliveryOutcome> out = engine_.DeliverDue();
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_STREQ(out[0].result, "retry");
  EXPECT_THAT(sender_.sent, SizeIs(0));
  EXPECT_THAT(store_.outbox[0].last_error, HasSubstr("LLMGW_SECRET_KEY"));
}

}  // namespace
}  // namespace llmgw::metering

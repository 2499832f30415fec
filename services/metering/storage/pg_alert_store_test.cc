#include "services/metering/storage/pg_alert_store.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/crypto.h"
#include "libs/pg/migrate.h"
#include "libs/testing/pg_test_db.h"
#include "libs/testing/status_matchers.h"
#include "services/metering/storage/pg_usage_store.h"

namespace llmgw::metering {
namespace {

using test::IsOk;
using test::IsOkAndHolds;
using test::StatusIs;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

constexpr int64_t kNow = 1'722'513'600'000;  // 2024-08-01T12:00:00Z
constexpr char kOrgA[] = "org-a";
constexpr char kOrgB[] = "org-b";
constexpr char kSecret[] = "whsec_PLAINTEXT-must-never-be-stored";

class PgAlertStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = test::PgTestDb::Create();
    auto pool = pg::PgPool::Create({.url = db_->url(), .size = 4});
    ASSERT_THAT(pool, IsOk());
    pool_ = std::move(*pool);
    ASSERT_THAT(pg::ApplyMigrations(*pool_, "metering", meteringMigrations()), IsOk());
    store_ = std::make_unique<PgAlertStore>(*pool_);
    box_ = *crypto::SecretBox::FromKey(std::string(32, 's'));
  }

  AlertRule Create(const std::string& org, AlertKind kind, AlertChannel channel,
                   int64_t now = kNow) {
    NewAlertRule n;
    n.id = crypto::RandomUuid();
    n.organization_id = org;
    n.kind = kind;
    n.threshold_nano = 5 * kThresholdScale;
    n.channel = channel;
    n.target = channel == AlertChannel::kEmail ? "ops@example.com" : "https://h.example/x";
    if (channel == AlertChannel::kWebhook) n.sealed_secret = box_->Seal(kSecret, n.id);
    n.now_unix_ms = now;
    absl::StatusOr<AlertRule> r = store_->CreateRule(n);
    EXPECT_THAT(r, IsOk());
    return *r;
  }

  std::string Dump(const std::string& sql) {
    return *pool_->Run([&](pqxx::connection& c) -> absl::StatusOr<std::string> {
      pqxx::read_transaction tx(c);
      std::string out;
      for (const pqxx::row& r : tx.exec(sql)) {
        for (const pqxx::field& f : r) absl::StrAppend(&out, f.is_null() ? "" : f.c_str(), "|");
      }
      return out;
    });
  }

  std::unique_ptr<test::PgTestDb> db_;
  std::unique_ptr<pg::PgPool> pool_;
  std::unique_ptr<PgAlertStore> store_;
  std::optional<crypto::SecretBox> box_;
};

TEST_F(PgAlertStoreTest, RulesBelongToTheirOrganizationAndTheSecretIsSealed) {
  AlertRule hook = Create(kOrgA, AlertKind::kBalance, AlertChannel::kWebhook);
  AlertRule mail = Create(kOrgA, AlertKind::kErrorRate, AlertChannel::kEmail, kNow + 1);
  Create(kOrgB, AlertKind::kDrift, AlertChannel::kEmail);
  EXPECT_EQ(hook.organization_id, kOrgA);
  EXPECT_EQ(hook.threshold_nano, 5 * kThresholdScale);
  EXPECT_EQ(hook.created_at_unix_ms, kNow);
  EXPECT_FALSE(hook.firing);

  auto list = store_->ListRules(kOrgA);
  ASSERT_THAT(list, IsOk());
  ASSERT_THAT(*list, SizeIs(2));
  EXPECT_EQ((*list)[0].rule, hook);
  EXPECT_EQ((*list)[1].rule, mail);
  EXPECT_FALSE((*list)[0].last_delivery.has_value());
  EXPECT_THAT(store_->AllRules(), IsOkAndHolds(SizeIs(3)));

  // Only the sealed secret is stored; it opens with the row's id.
  EXPECT_EQ(Dump("SELECT * FROM metering.alert_rules").find("PLAINTEXT"), std::string::npos);
  store_->Fire(hook, "balance:0", "{}", kNow);
  auto leased = store_->LeaseDue(kNow, 60'000, 10);
  ASSERT_THAT(leased, IsOkAndHolds(SizeIs(1)));
  ASSERT_TRUE((*leased)[0].sealed_secret.has_value());
  EXPECT_THAT(box_->Open(*(*leased)[0].sealed_secret, hook.id), IsOkAndHolds(kSecret));

  // Another organization's id is not found, nor is a malformed one.
  EXPECT_THAT(store_->DeleteRule(kOrgB, hook.id), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->DeleteRule(kOrgA, "x"), StatusIs(absl::StatusCode::kNotFound));
  auto removed = store_->DeleteRule(kOrgA, hook.id);
  ASSERT_THAT(removed, IsOk());
  EXPECT_EQ(removed->id, hook.id);
  EXPECT_TRUE(removed->firing);  // the Fire above marked its episode
  EXPECT_THAT(store_->ListRules(kOrgA), IsOkAndHolds(SizeIs(1)));
  EXPECT_EQ(Dump("SELECT count(*) FROM metering.alert_outbox"), "0|");  // deliveries went too
}

TEST_F(PgAlertStoreTest, AtMostFiftyRulesPerOrganization) {
  for (int i = 0; i < kMaxAlertRulesPerOrganization; ++i) {
    Create(kOrgA, AlertKind::kBalance, AlertChannel::kEmail);
  }
  NewAlertRule n;
  n.id = crypto::RandomUuid();
  n.organization_id = kOrgA;
  n.threshold_nano = 1;
  n.channel = AlertChannel::kEmail;
  n.target = "a@b.example";
  EXPECT_THAT(store_->CreateRule(n), StatusIs(absl::StatusCode::kFailedPrecondition));
  n.organization_id = kOrgB;
  EXPECT_THAT(store_->CreateRule(n), IsOk());
}

TEST_F(PgAlertStoreTest, FiresOncePerPeriodAndBalanceEpisodes) {
  AlertRule rule = Create(kOrgA, AlertKind::kBalance, AlertChannel::kEmail);
  EXPECT_THAT(store_->Fire(rule, "balance:0", R"({"n":1})", kNow), IsOkAndHolds(true));
  EXPECT_THAT(store_->Fire(rule, "balance:0", R"({"n":2})", kNow + 1000), IsOkAndHolds(false));
  auto list = store_->ListRules(kOrgA);
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE((*list)[0].rule.firing);
  ASSERT_TRUE((*list)[0].last_delivery.has_value());
  EXPECT_EQ((*list)[0].last_delivery->status, "pending");
  EXPECT_EQ((*list)[0].last_delivery->fired_at_unix_ms, kNow);
  EXPECT_EQ(Dump("SELECT payload FROM metering.alert_outbox"), R"({"n":1}|)");

  // Cleared once, however many replicas clear it: the next episode.
  EXPECT_THAT(store_->ClearFiring(rule.id, 0), IsOk());
  EXPECT_THAT(store_->ClearFiring(rule.id, 0), IsOk());
  list = store_->ListRules(kOrgA);
  EXPECT_FALSE((*list)[0].rule.firing);
  EXPECT_EQ((*list)[0].rule.episode, 1);
  // A rule deleted meanwhile fires nothing.
  ASSERT_THAT(store_->DeleteRule(kOrgA, rule.id), IsOk());
  EXPECT_THAT(store_->Fire(rule, "balance:1", "{}", kNow), IsOkAndHolds(false));
}

TEST_F(PgAlertStoreTest, LeasesRetriesAndDeliveryStatus) {
  AlertRule rule = Create(kOrgA, AlertKind::kErrorRate, AlertChannel::kWebhook);
  ASSERT_THAT(store_->Fire(rule, "p1", "{}", kNow), IsOkAndHolds(true));
  auto leased = store_->LeaseDue(kNow, 60'000, 10);
  ASSERT_THAT(leased, IsOkAndHolds(SizeIs(1)));
  const LeasedDelivery d = (*leased)[0];
  EXPECT_EQ(d.rule_id, rule.id);
  EXPECT_EQ(d.target, "https://h.example/x");
  EXPECT_EQ(d.attempts, 0);
  EXPECT_EQ(d.created_at_unix_ms, kNow);
  // Leased: nobody else takes it before the lease runs out.
  EXPECT_THAT(store_->LeaseDue(kNow + 59'000, 60'000, 10), IsOkAndHolds(IsEmpty()));

  ASSERT_THAT(store_->RecordAttempt(d.id, {false, "HTTP 503", kNow + 2000, false}, kNow), IsOk());
  auto list = store_->ListRules(kOrgA);
  EXPECT_EQ((*list)[0].last_delivery->status, "retrying");
  EXPECT_EQ((*list)[0].last_delivery->attempts, 1);
  EXPECT_EQ((*list)[0].last_delivery->last_error, "HTTP 503");
  EXPECT_EQ((*list)[0].last_delivery->next_attempt_at_unix_ms, kNow + 2000);
  EXPECT_THAT(store_->LeaseDue(kNow + 1999, 60'000, 10), IsOkAndHolds(IsEmpty()));
  leased = store_->LeaseDue(kNow + 2000, 60'000, 10);
  ASSERT_THAT(leased, IsOkAndHolds(SizeIs(1)));
  EXPECT_EQ((*leased)[0].attempts, 1);

  ASSERT_THAT(store_->RecordAttempt(d.id, {true, "", 0, false}, kNow + 2500), IsOk());
  list = store_->ListRules(kOrgA);
  EXPECT_EQ((*list)[0].last_delivery->status, "delivered");
  EXPECT_EQ((*list)[0].last_delivery->attempts, 2);
  EXPECT_EQ((*list)[0].last_delivery->last_error, "");
  EXPECT_EQ((*list)[0].last_delivery->delivered_at_unix_ms, kNow + 2500);
  EXPECT_THAT(store_->LeaseDue(kNow + 10'000'000, 60'000, 10), IsOkAndHolds(IsEmpty()));

  // A newer period shows instead; given up, it is "failed" and never leased again.
  ASSERT_THAT(store_->Fire(rule, "p2", "{}", kNow + 3000), IsOkAndHolds(true));
  leased = store_->LeaseDue(kNow + 3000, 60'000, 10);
  ASSERT_THAT(leased, IsOkAndHolds(SizeIs(1)));
  ASSERT_THAT(store_->RecordAttempt((*leased)[0].id, {false, "timeout", 0, true}, kNow + 4000),
              IsOk());
  list = store_->ListRules(kOrgA);
  EXPECT_EQ((*list)[0].last_delivery->status, "failed");
  EXPECT_EQ((*list)[0].last_delivery->fired_at_unix_ms, kNow + 3000);
  EXPECT_THAT(store_->LeaseDue(kNow + 10'000'000, 60'000, 10), IsOkAndHolds(IsEmpty()));
}

TEST_F(PgAlertStoreTest, CountsProviderRequestsAndErrorsInTheWindow) {
  PgUsageStore usage(*pool_);
  std::vector<UsageEvent> events;
  auto add = [&](const std::string& org, const std::string& provider, int status, int64_t at) {
    UsageEvent e;
    e.event_id = crypto::RandomUuid();
    e.organization_id = org;
    e.mode = Mode::kPassthrough;
    e.provider = provider;
    e.model = "m";
    e.status_code = status;
    e.requested_at_unix_ms = at;
    events.push_back(e);
  };
  add(kOrgA, "openai", 200, kNow - 1000);
  add(kOrgA, "openai", 500, kNow - 2000);
  add(kOrgA, "openai", 429, kNow - 3000);
  add(kOrgA, "openai", 400, kNow - 4000);            // the caller's error
  add(kOrgA, "openai", 503, kNow - 10 * 60 * 1000);  // before the window
  add(kOrgA, "anthropic", 502, kNow - 1000);
  add(kOrgB, "openai", 500, kNow - 1000);
  ASSERT_THAT(usage.Ingest(events), IsOk());
  auto counts = store_->CountProviderRequests(kOrgA, kNow - kErrorRateWindowMs, kNow);
  ASSERT_THAT(counts, IsOkAndHolds(SizeIs(2)));
  EXPECT_EQ((*counts)[0].provider, "anthropic");
  EXPECT_EQ((*counts)[0].requests, 1);
  EXPECT_EQ((*counts)[0].errors, 1);
  EXPECT_EQ((*counts)[1].provider, "openai");
  EXPECT_EQ((*counts)[1].requests, 4);
  EXPECT_EQ((*counts)[1].errors, 2);
}

}  // namespace
}  // namespace llmgw::metering

// AlertService over in-process gRPC on real PostgreSQL: rules per organization, the webhook
// signing secret answered once and stored only sealed, channels that are not enabled refused, and
// the secrets' key rotation (reencrypt-secrets).
#include "services/metering/api/alert_service.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/pg/migrate.h"
#include "libs/pg/pool.h"
#include "libs/testing/pg_test_db.h"
#include "libs/testing/status_matchers.h"
#include "services/metering/api/reencrypt_command.h"
#include "services/metering/storage/pg_alert_store.h"
#include "services/metering/storage/pg_usage_store.h"

namespace llmgw::metering {
namespace {

namespace pb = ::llmgw::metering::v1;
using test::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr char kToken[] = "alert-service-test-token-0123456789";
constexpr char kOrg[] = "org-a";
constexpr char kOther[] = "org-b";

class AlertServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = test::PgTestDb::Create();
    auto pool = pg::PgPool::Create({.url = db_->url(), .size = 4});
    ASSERT_THAT(pool, IsOk());
    pool_ = std::move(*pool);
    ASSERT_THAT(pg::ApplyMigrations(*pool_, "metering", meteringMigrations()), IsOk());
    store_ = std::make_unique<PgAlertStore>(*pool_);
    keyring_.emplace(*crypto::SecretBox::FromKey(std::string(32, 'K')),
                     std::vector<crypto::SecretBox>{});
    Start(&*keyring_, true);
  }
  void Start(const crypto::SecretKeyring* ring, bool email) {
    Stop();
    service_ = std::make_unique<AlertService>(AlertService::Deps{*store_, ring, email, clock_},
                                              grpcutil::HandlerEnv{kToken, &workers_, nullptr});
    auto server = grpcutil::GrpcServer::Start("127.0.0.1:0", {service_.get()});
    ASSERT_THAT(server, IsOk());
    server_ = std::move(*server);
    stub_ = pb::AlertService::NewStub(
        grpcutil::MakeChannel("127.0.0.1:" + std::to_string(server_->port())));
  }
  void Stop() {
    stub_.reset();
    if (server_) server_->Shutdown(std::chrono::seconds(2));
    server_.reset();
  }
  void TearDown() override {
    Stop();
    workers_.join();
  }
  grpc::Status Create(const std::string& org, const std::string& kind, int64_t threshold_nano,
                      const std::string& channel, const std::string& target,
                      pb::CreateAlertRuleResponse* out) {
    grpc::ClientContext ctx;
    grpcutil::PrepareClientContext(ctx, kToken, std::chrono::seconds(10));
    pb::CreateAlertRuleRequest req;
    req.set_organization_id(org);
    req.set_kind(kind);
    req.set_threshold_nano(threshold_nano);
    req.set_channel(channel);
    req.set_target(target);
    return stub_->CreateAlertRule(&ctx, req, out);
  }
  pb::ListAlertRulesResponse List(const std::string& org) {
    grpc::ClientContext ctx;
    grpcutil::PrepareClientContext(ctx, kToken, std::chrono::seconds(10));
    pb::ListAlertRulesRequest req;
    req.set_organization_id(org);
    pb::ListAlertRulesResponse resp;
    EXPECT_TRUE(stub_->ListAlertRules(&ctx, req, &resp).ok());
    return resp;
  }
  grpc::Status Delete(const std::string& org, const std::string& id) {
    grpc::ClientContext ctx;
    grpcutil::PrepareClientContext(ctx, kToken, std::chrono::seconds(10));
    pb::DeleteAlertRuleRequest req;
    req.set_organization_id(org);
    req.set_id(id);
    pb::DeleteAlertRuleResponse resp;
    return stub_->DeleteAlertRule(&ctx, req, &resp);
  }

  FakeClock clock_;
  boost::asio::thread_pool workers_{2};
  std::unique_ptr<test::PgTestDb> db_;
  std::unique_ptr<pg::PgPool> pool_;
  std::unique_ptr<PgAlertStore> store_;
  std::optional<crypto::SecretKeyring> keyring_;
  std::unique_ptr<AlertService> service_;
  std::unique_ptr<grpcutil::GrpcServer> server_;
  std::unique_ptr<pb::AlertService::Stub> stub_;
};

TEST_F(AlertServiceTest, WebhookSecretIsAnsweredOnceAndStoredSealed) {
  pb::CreateAlertRuleResponse created;
  ASSERT_TRUE(
      Create(kOrg, "balance", 5'000'000'000, "webhook", "https://h.example/x", &created).ok());
  const std::string secret = created.signing_secret();
  EXPECT_THAT(secret, ::testing::StartsWith("whsec_"));
  EXPECT_EQ(created.rule().kind(), "balance");
  EXPECT_EQ(created.rule().threshold_nano(), 5'000'000'000);
  EXPECT_EQ(created.rule().created_at_unix_ms(), clock_.NowUnixMs());
  EXPECT_FALSE(created.rule().has_last_delivery());

  auto secrets = store_->ListSealedSecrets();
  ASSERT_THAT(secrets, IsOk());
  ASSERT_THAT(*secrets, SizeIs(1));
  EXPECT_EQ((*secrets)[0].rule_id, created.rule().id());
  // The secret and the URL (a credential too) are sealed together; the URL is listed only as
  // its scheme and host.
  auto opened = OpenedWebhook(
      keyring_->Open((*secrets)[0].sealed_secret, AlertSecretAad(created.rule().id())).value());
  ASSERT_THAT(opened, IsOk());
  EXPECT_EQ(opened->signing_secret, secret);
  EXPECT_EQ(opened->url, "https://h.example/x");
  EXPECT_EQ(created.rule().target(), "https://h.example/…");
  EXPECT_THAT(List(kOrg).DebugString(), Not(HasSubstr(secret)));
  EXPECT_THAT(List(kOrg).DebugString(), Not(HasSubstr("/x")));
  EXPECT_THAT(List(kOrg).rules(), SizeIs(1));
  EXPECT_THAT(List(kOther).rules(), SizeIs(0));

  pb::CreateAlertRuleResponse mail;
  ASSERT_TRUE(Create(kOrg, "error_rate", 50'000'000'000, "email", "ops@example.com", &mail).ok());
  EXPECT_EQ(mail.signing_secret(), "");
  EXPECT_EQ(Delete(kOther, created.rule().id()).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(Delete(kOrg, created.rule().id()).ok());
  EXPECT_THAT(List(kOrg).rules(), SizeIs(1));
}

TEST_F(AlertServiceTest, RefusesBadRulesAndChannelsNotEnabled) {
  pb::CreateAlertRuleResponse out;
  grpc::Status s = Create(kOrg, "error_rate", 101'000'000'000, "email", "ops@example.com", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "threshold is a percentage for error_rate: at most 100");
  EXPECT_EQ(Create(kOrg, "balance", 1, "sms", "x", &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Create("", "balance", 1, "email", "a@b.example", &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  Start(nullptr, false);
  s = Create(kOrg, "balance", 1, "webhook", "https://h.example/", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("LLMGW_SECRET_KEY"));
  s = Create(kOrg, "balance", 1, "email", "a@b.example", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("LLMGW_SMTP_URL"));
}

// Rotation: signing secrets sealed under the old key move to the new one and still open.
TEST_F(AlertServiceTest, ReencryptMovesSigningSecretsToTheNewKey) {
  pb::CreateAlertRuleResponse created;
  ASSERT_TRUE(
      Create(kOrg, "drift", 10'000'000'000, "webhook", "https://h.example/", &created).ok());
  NewAlertRule lost;
  lost.id = "aaaaaaaa-0000-4000-8000-00000000000f";
  lost.organization_id = kOther;
  lost.kind = AlertKind::kBalance;
  lost.threshold_nano = 1;
  lost.channel = AlertChannel::kWebhook;
  lost.target = "https://h.example/";
  lost.sealed_secret =
      crypto::SecretBox::FromKey(std::string(32, 'L'))->Seal("whsec_lost", AlertSecretAad(lost.id));
  ASSERT_THAT(store_->CreateRule(lost), IsOk());

  crypto::SecretKeyring rotated(*crypto::SecretBox::FromKey(std::string(32, 'N')),
                                {keyring_->current()});
  auto result = ReencryptAlertSecrets(*store_, rotated);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->resealed, 1);
  EXPECT_THAT(result->unreadable, ElementsAre(lost.id));
  auto again = ReencryptAlertSecrets(*store_, rotated);
  EXPECT_EQ(again->resealed, 0);
  EXPECT_EQ(again->already_current, 1);
  crypto::SecretKeyring only_new(rotated.current(), {});
  for (const StoredAlertSecret& s : *store_->ListSealedSecrets()) {
    if (s.rule_id != created.rule().id()) continue;
    EXPECT_EQ(only_new.Open(s.sealed_secret, AlertSecretAad(s.rule_id)).value(),
              created.signing_secret());
  }
}

}  // namespace
}  // namespace llmgw::metering

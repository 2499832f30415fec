// ProviderSyncService over in-process gRPC on real PostgreSQL, with a scripted provider: keys
// checked once and stored sealed, connections per organization, CSV import, the reconciliation
// of synced reports with ingested usage, and key rotation.

#include "services/metering/api/provider_sync_service.h"

#include <functional>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/crypto.h"
#include "libs/pg/migrate.h"
#include "libs/pg/pool.h"
#include "libs/testing/pg_test_db.h"
#include "libs/testing/status_matchers.h"
#include "services/metering/api/reencrypt_command.h"
#include "services/metering/storage/pg_provider_store.h"
#include "services/metering/storage/pg_usage_store.h"

namespace llmgw::metering {
namespace {

namespace pb = ::llmgw::metering::v1;
using test::IsOk;
using test::IsOkAndHolds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kToken[] = "provider-sync-test-token-0123456789";
constexpr int64_t kNow = 1'722'513'600'000;  // 2024-08-01T12:00:00Z
constexpr int64_t kDay = 1'722'470'400'000;  // 2024-08-01T00:00:00Z
constexpr char kOrg[] = "0b7c2f4e-0000-4000-8000-00000000000a";
constexpr char kOther[] = "0b7c2f4e-0000-4000-8000-00000000000b";
constexpr char kAdminKey[] = "sk-admin-SERVICE-TEST-a1b2c3d4e5f6";

// The provider: every GET answered by `answer`, every request kept.
class ScriptedHttp final : public ReportHttp {
 public:
  std::function<HttpReply(const HttpRequest&)> answer;
  HttpReply Get(const HttpRequest& r) override {
    std::lock_guard<std::mutex> lock(mu_);
    requests.push_back(r);
    return answer(r);
  }
  std::vector<HttpRequest> requests;

 private:
  std::mutex mu_;
};

std::string EmptyPage() {
  return R"({"object":"page","data":[],"has_more":false,"next_page":null})";
}

// Today's OpenAI report: gpt-4o-mini, 1300 input / 160 output tokens over two keys; costs at
// 150 / 600 nano-USD per token.
HttpReply TodaysReport(const HttpRequest& r) {
  std::string day = std::to_string(kDay / 1000);
  if (r.url.find("/organization/usage/completions") != std::string::npos) {
    return {200,
            absl::StrCat(
                R"({"object":"page","data":[{"start_time":)", day,
                R"(,"results":[{"input_tokens":1000,"output_tokens":120,)"
                R"("num_model_requests":4,"model":"gpt-4o-mini-2024-07-18","api_key_id":"key_gw"},)"
                R"({"input_tokens":300,"output_tokens":40,"num_model_requests":1,)"
                R"("model":"gpt-4o-mini-2024-07-18","api_key_id":"key_direct"}]}],)"
                R"("has_more":false,"next_page":null})"),
            std::nullopt, ""};
  }
  return {200,
          absl::StrCat(R"({"object":"page","data":[{"start_time":)", day,
                       R"(,"results":[{"amount":{"value":0.000195,"currency":"usd"},)"
                       R"("line_item":"gpt-4o-mini-2024-07-18, input"},)"
                       R"({"amount":{"value":9.6e-05,"currency":"usd"},)"
                       R"("line_item":"gpt-4o-mini-2024-07-18, output"}]}],)"
                       R"("has_more":false,"next_page":null})"),
          std::nullopt, ""};
}

class ProviderSyncServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = test::PgTestDb::Create();
    auto pool = pg::PgPool::Create({.url = db_->url(), .size = 4});
    ASSERT_THAT(pool, IsOk());
    pool_ = std::move(*pool);
    ASSERT_THAT(pg::ApplyMigrations(*pool_, "metering", meteringMigrations()), IsOk());
    usage_ = std::make_unique<PgUsageStore>(*pool_);
    providers_ = std::make_unique<PgProviderStore>(*pool_);
    keyring_.emplace(*crypto::SecretBox::FromKey(std::string(32, 'K')),
                     std::vector<crypto::SecretBox>{});
    http_.answer = [](const HttpRequest&) { return HttpReply{200, EmptyPage(), std::nullopt, ""}; };
    Start(&*keyring_);
  }
  void Start(const crypto::SecretKeyring* ring) {
    Stop();
    syncer_ = std::make_unique<ProviderSyncer>(*providers_, http_, ring, clock_, sleeper_,
                                               SyncSettings{});
    service_ = std::make_unique<ProviderSyncService>(
        ProviderSyncService::Deps{*providers_, *usage_, *syncer_, nullptr, ring, clock_},
        grpcutil::HandlerEnv{kToken, workers_.get(), nullptr});
    auto server = grpcutil::GrpcServer::Start("127.0.0.1:0", {service_.get()});
    ASSERT_THAT(server, IsOk());
    server_ = std::move(*server);
    stub_ = pb::ProviderSyncService::NewStub(
        grpcutil::MakeChannel("127.0.0.1:" + std::to_string(server_->port())));
  }
  void Stop() {
    stub_.reset();
    if (server_) server_->Shutdown(std::chrono::seconds(2));
    server_.reset();
  }
  void TearDown() override {
    Stop();
    workers_->join();
  }

  std::unique_ptr<grpc::ClientContext> Ctx() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    grpcutil::PrepareClientContext(*ctx, kToken, std::chrono::seconds(10));
    return ctx;
  }

  grpc::Status Create(const std::string& org, const std::string& provider, const std::string& key,
                      pb::ProviderConnection* out = nullptr) {
    pb::CreateProviderConnectionRequest req;
    req.set_organization_id(org);
    req.set_provider(provider);
    req.set_admin_key(key);
    pb::CreateProviderConnectionResponse resp;
    grpc::Status s = stub_->CreateProviderConnection(Ctx().get(), req, &resp);
    if (out != nullptr) *out = resp.connection();
    return s;
  }

  std::vector<pb::ProviderConnection> List(const std::string& org) {
    pb::ListProviderConnectionsRequest req;
    req.set_organization_id(org);
    pb::ListProviderConnectionsResponse resp;
    EXPECT_TRUE(stub_->ListProviderConnections(Ctx().get(), req, &resp).ok());
    return {resp.connections().begin(), resp.connections().end()};
  }

  pb::GetReconciliationResponse Reconciliation(const std::string& org, int64_t from, int64_t to,
                                               grpc::Status* status = nullptr) {
    pb::GetReconciliationRequest req;
    req.set_organization_id(org);
    req.set_from_day_unix_ms(from);
    req.set_to_day_unix_ms(to);
    pb::GetReconciliationResponse resp;
    grpc::Status s = stub_->GetReconciliation(Ctx().get(), req, &resp);
    if (status != nullptr) {
      *status = s;
    } else {
      EXPECT_TRUE(s.ok()) << s.error_message();
    }
    return resp;
  }

  std::string Dump() {
    auto text = pool_->Run([](pqxx::connection& c) -> absl::StatusOr<std::string> {
      pqxx::work tx(c);
      std::string all;
      for (const auto& row :
           tx.exec("SELECT p::text FROM metering.provider_connections p UNION ALL "
                   "SELECT u::text FROM metering.provider_usage u")) {
        all += row[0].as<std::string>() + "\n";
      }
      return all;
    });
    EXPECT_THAT(text, IsOk());
    return text.value_or("");
  }

  FakeClock clock_{kNow};
  ScriptedHttp http_;
  InterruptibleSleeper sleeper_;
  std::unique_ptr<test::PgTestDb> db_;
  std::unique_ptr<pg::PgPool> pool_;
  std::unique_ptr<PgUsageStore> usage_;
  std::unique_ptr<PgProviderStore> providers_;
  std::optional<crypto::SecretKeyring> keyring_;
  std::unique_ptr<boost::asio::thread_pool> workers_ =
      std::make_unique<boost::asio::thread_pool>(2);
  std::unique_ptr<ProviderSyncer> syncer_;
  std::unique_ptr<ProviderSyncService> service_;
  std::unique_ptr<grpcutil::GrpcServer> server_;
  std::unique_ptr<pb::ProviderSyncService::Stub> stub_;
};

TEST_F(ProviderSyncServiceTest, AKeyIsCheckedOnceThenStoredSealed) {
  pb::ProviderConnection c;
  grpc::Status s = Create(kOrg, "openai", kAdminKey, &c);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(http_.requests.size(), 1u);  // the check
  EXPECT_THAT(http_.requests[0].url, HasSubstr("/organization/usage/completions?"));
  EXPECT_THAT(http_.requests[0].url, HasSubstr("&limit=1"));
  EXPECT_EQ(c.provider(), "openai");
  EXPECT_EQ(c.key_prefix(), "sk-admin-SE");  // a third of this short key
  EXPECT_EQ(c.status(), pb::CONNECTION_STATUS_PENDING);
  EXPECT_EQ(c.created_at_unix_ms(), kNow);
  EXPECT_EQ(c.last_sync_at_unix_ms(), 0);
  EXPECT_THAT(c.DebugString(), Not(HasSubstr(kAdminKey)));

  // In the table: the ciphertext under the key's id, bound to the row; never the key.
  EXPECT_THAT(Dump(), Not(HasSubstr(kAdminKey)));
  auto keys = providers_->ListSealedKeys();
  ASSERT_THAT(keys, IsOk());
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].sealed_key.key_id, keyring_->current().key_id());
  EXPECT_THAT(keyring_->Open((*keys)[0].sealed_key, ConnectionKeyAad(c.id())),
              IsOkAndHolds(kAdminKey));

  // The same key again: refused without asking the provider.
  s = Create(kOrg, "openai", kAdminKey);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(s.error_message(), "this admin key is already connected to this organization");
  EXPECT_EQ(http_.requests.size(), 1u);
  EXPECT_THAT(List(kOrg), ElementsAre(::testing::Property(&pb::ProviderConnection::id, c.id())));
  EXPECT_THAT(List(kOther), IsEmpty());
}

TEST_F(ProviderSyncServiceTest, ARefusedKeyIsNotStored) {
  http_.answer = [](const HttpRequest&) {
    return HttpReply{
        401,
        R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}})",
        std::nullopt, ""};
  };
  grpc::Status s = Create(kOrg, "anthropic", "sk-ant-admin01-refused-key-123");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "Anthropic refused the admin key (HTTP 401: invalid x-api-key)");
  EXPECT_THAT(List(kOrg), IsEmpty());
  // Bad input never reaches the provider, and its message never repeats the key.
  size_t asked = http_.requests.size();
  s = Create(kOrg, "google", "sk-google-admin-key-0123");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("provider must be openai or anthropic"));
  s = Create(kOrg, "openai", "sk-admin with a space in it");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), Not(HasSubstr("space in it")));
  s = Create("", "openai", kAdminKey);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(http_.requests.size(), asked);
}

TEST_F(ProviderSyncServiceTest, WithoutASecretKeyNothingIsStored) {
  Start(nullptr);
  grpc::Status s = Create(kOrg, "openai", kAdminKey);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("LLMGW_SECRET_KEY"));
  EXPECT_TRUE(http_.requests.empty());
}

TEST_F(ProviderSyncServiceTest, ConnectionsAreTheOrganizationsOwn) {
  pb::ProviderConnection c;
  ASSERT_TRUE(Create(kOrg, "openai", kAdminKey, &c).ok());
  for (const std::string& id :
       {c.id(), std::string("not-a-uuid"), std::string("aaaaaaaa-0000-4000-8000-000000000009")}) {
    pb::SyncProviderConnectionRequest sync;
    sync.set_organization_id(kOther);
    sync.set_id(id);
    pb::SyncProviderConnectionResponse sync_resp;
    EXPECT_EQ(stub_->SyncProviderConnection(Ctx().get(), sync, &sync_resp).error_code(),
              grpc::StatusCode::NOT_FOUND);
    pb::DeleteProviderConnectionRequest del;
    del.set_organization_id(kOther);
    del.set_id(id);
    pb::DeleteProviderConnectionResponse del_resp;
    EXPECT_EQ(stub_->DeleteProviderConnection(Ctx().get(), del, &del_resp).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  pb::SyncProviderConnectionRequest sync;
  sync.set_organization_id(kOrg);
  sync.set_id(c.id());
  pb::SyncProviderConnectionResponse sync_resp;
  EXPECT_TRUE(stub_->SyncProviderConnection(Ctx().get(), sync, &sync_resp).ok());
  EXPECT_EQ(sync_resp.connection().id(), c.id());
  pb::DeleteProviderConnectionRequest del;
  del.set_organization_id(kOrg);
  del.set_id(c.id());
  pb::DeleteProviderConnectionResponse del_resp;
  EXPECT_TRUE(stub_->DeleteProviderConnection(Ctx().get(), del, &del_resp).ok());
  EXPECT_EQ(del_resp.connection().id(), c.id());
  EXPECT_THAT(List(kOrg), IsEmpty());
}

TEST_F(ProviderSyncServiceTest, CsvImportAllOrNothing) {
  pb::ImportProviderUsageRequest req;
  req.set_organization_id(kOrg);
  req.set_csv(
      "date,provider,model,input_tokens,cached_input_tokens,output_tokens,cost_usd\n"
      "2024-08-01,google,gemini-1.5-flash,1000,0,100,0.000105\n"
      "2024-08-01,xai,grok-beta,ten,0,1,1\n");
  pb::ImportProviderUsageResponse resp;
  ASSERT_TRUE(stub_->ImportProviderUsage(Ctx().get(), req, &resp).ok());
  EXPECT_EQ(resp.imported_rows(), 0);
  EXPECT_EQ(resp.rejected().line(), 3);
  EXPECT_THAT(resp.rejected().message(), HasSubstr("line 3: input_tokens must be a whole number"));
  EXPECT_THAT(Reconciliation(kOrg, kDay, kDay + kDayMs).rows(), IsEmpty());

  req.set_csv(
      "date,provider,model,input_tokens,cached_input_tokens,output_tokens,cost_usd\n"
      "2024-08-01,google,gemini-1.5-flash,1000,0,100,0.000105\n");
  resp.Clear();
  ASSERT_TRUE(stub_->ImportProviderUsage(Ctx().get(), req, &resp).ok());
  EXPECT_EQ(resp.imported_rows(), 1);
  EXPECT_FALSE(resp.has_rejected());
  pb::GetReconciliationResponse r = Reconciliation(kOrg, kDay, kDay + kDayMs);
  ASSERT_EQ(r.rows_size(), 1);
  EXPECT_EQ(r.rows(0).provider(), "google");
  EXPECT_EQ(r.rows(0).provider_cost_nano(), 105'000);
  EXPECT_EQ(r.rows(0).unmetered_cost_nano(), 105'000);  // zero integration: llmgw saw none
  EXPECT_THAT(Reconciliation(kOther, kDay, kDay + kDayMs).rows(), IsEmpty());
}

// Synced provider usage beside ingested gateway usage: the metered part matches to the token,
// the bypassing key's part is unmetered, exactly.
TEST_F(ProviderSyncServiceTest, ReconcilesSyncedReportsWithMeteredUsage) {
  pb::ProviderConnection c;
  ASSERT_TRUE(Create(kOrg, "openai", kAdminKey, &c).ok());
  http_.answer = TodaysReport;
  SyncOutcome o = syncer_->Sync(c.id(), false);
  ASSERT_EQ(o.state, SyncState::kSynced) << o.error;
  // What the gateway metered: the key_gw traffic, 4 pass-through requests.
  std::vector<UsageEvent> events;
  for (int i = 0; i < 4; ++i) {
    UsageEvent e;
    e.event_id = absl::StrCat("0190f000-0000-7000-8000-00000000000", i);
    e.organization_id = kOrg;
    e.mode = Mode::kPassthrough;
    e.provider = "openai";
    e.model = "gpt-4o-mini";
    e.input_tokens = 250;
    e.output_tokens = 30;
    e.cost_nano = 250 * 150 + 30 * 600;
    e.status_code = 200;
    e.requested_at_unix_ms = kDay + 3'600'000 + i;
    events.push_back(e);
  }
  ASSERT_THAT(usage_->Ingest(events), IsOk());

  pb::GetReconciliationResponse r = Reconciliation(kOrg, kDay - 6 * kDayMs, kDay + kDayMs);
  ASSERT_EQ(r.rows_size(), 1);
  const pb::ReconciliationRow& row = r.rows(0);
  EXPECT_EQ(row.day_unix_ms(), kDay);
  EXPECT_EQ(row.provider(), "openai");
  EXPECT_EQ(row.model(), "gpt-4o-mini");
  EXPECT_EQ(row.provider_input_tokens(), 1300);
  EXPECT_EQ(row.provider_output_tokens(), 160);
  EXPECT_EQ(row.provider_cost_nano(), 1300 * 150 + 160 * 600);
  EXPECT_EQ(row.metered_input_tokens(), 1000);
  EXPECT_EQ(row.metered_output_tokens(), 120);
  EXPECT_EQ(row.metered_requests(), 4);
  EXPECT_EQ(row.metered_cost_nano(), 1000 * 150 + 120 * 600);
  EXPECT_EQ(row.unmetered_input_tokens(), 300);
  EXPECT_EQ(row.unmetered_output_tokens(), 40);
  EXPECT_EQ(row.unmetered_cost_nano(), 300 * 150 + 40 * 600);
  EXPECT_EQ(row.drift_cost_nano(), 300 * 150 + 40 * 600);

  grpc::Status bad;
  Reconciliation(kOrg, kDay + 5, kDay + kDayMs, &bad);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  Reconciliation(kOrg, kDay, kDay, &bad);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  Reconciliation(kOrg, kDay - 400 * kDayMs, kDay, &bad);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// Rotation: keys sealed under the old key are re-sealed under the new one and still sync.
TEST_F(ProviderSyncServiceTest, ReencryptMovesKeysToTheNewKey) {
  pb::ProviderConnection c;
  ASSERT_TRUE(Create(kOrg, "openai", kAdminKey, &c).ok());
  // A key sealed under a key nobody has any more.
  NewConnection lost;
  lost.id = "aaaaaaaa-0000-4000-8000-00000000000f";
  lost.organization_id = kOther;
  lost.key_prefix = "sk-admin-los";
  lost.key_sha256 = crypto::Sha256Hex("lost");
  lost.sealed_key = crypto::SecretBox::FromKey(std::string(32, 'L'))
                        ->Seal("sk-admin-lost", ConnectionKeyAad(lost.id));
  lost.now_unix_ms = kNow;
  ASSERT_THAT(providers_->CreateConnection(lost), IsOk());

  crypto::SecretKeyring rotated(*crypto::SecretBox::FromKey(std::string(32, 'N')),
                                {keyring_->current()});
  auto result = ReencryptSealedKeys(*providers_, rotated);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->resealed, 1);
  EXPECT_EQ(result->already_current, 0);
  EXPECT_THAT(result->unreadable, ElementsAre(lost.id));
  auto again = ReencryptSealedKeys(*providers_, rotated);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->resealed, 0);
  EXPECT_EQ(again->already_current, 1);

  // Only the new key now: the connection still syncs.
  crypto::SecretKeyring only_new(rotated.current(), {});
  ProviderSyncer syncer(*providers_, http_, &only_new, clock_, sleeper_, SyncSettings{});
  EXPECT_EQ(syncer.Sync(c.id(), true).state, SyncState::kSynced);
  EXPECT_EQ(http_.requests.back().headers[0].second, std::string("Bearer ") + kAdminKey);
}

}  // namespace
}  // namespace llmgw::metering

#include "services/metering/storage/pg_provider_store.h"

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/crypto.h"
#include "libs/pg/migrate.h"
#include "libs/testing/pg_test_db.h"
#include "libs/testing/status_matchers.h"
#include "services/metering/domain/provider_syncer.h"
#include "services/metering/storage/pg_usage_store.h"

namespace llmgw::metering {
namespace {

using test::IsOk;
using test::IsOkAndHolds;
using test::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr int64_t kNow = 1'722'513'600'000;  // 2024-08-01T12:00:00Z
constexpr int64_t kDay = 1'722'470'400'000;  // 2024-08-01T00:00:00Z
constexpr char kOrgA[] = "6f1c1c3e-1111-4aaa-8aaa-000000000001";
constexpr char kOrgB[] = "6f1c1c3e-2222-4bbb-8bbb-000000000002";
constexpr char kConn1[] = "aaaaaaaa-0000-4000-8000-000000000001";
constexpr char kConn2[] = "aaaaaaaa-0000-4000-8000-000000000002";
constexpr char kAdminKey[] = "sk-admin-PLAINTEXT-must-never-be-stored";

class PgProviderStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = test::PgTestDb::Create();
    pool_ = MakePool();
    ASSERT_THAT(pg::ApplyMigrations(*pool_, "metering", meteringMigrations()), IsOk());
    store_ = std::make_unique<PgProviderStore>(*pool_);
    box_ = *crypto::SecretBox::FromKey(std::string(32, 's'));
  }

  std::unique_ptr<pg::PgPool> MakePool() {
    auto pool = pg::PgPool::Create({.url = db_->url(), .size = 4});
    EXPECT_THAT(pool, IsOk());
    return std::move(*pool);
  }

  NewConnection Conn(const std::string& id, const std::string& org, std::string key = kAdminKey,
                     int64_t now = kNow) {
    NewConnection n;
    n.id = id;
    n.organization_id = org;
    n.provider = ReportProvider::kOpenAi;
    n.key_prefix = key.substr(0, 12);
    n.key_sha256 = crypto::Sha256Hex(key);
    n.sealed_key = box_->Seal(key, ConnectionKeyAad(id));
    n.now_unix_ms = now;
    return n;
  }

  int64_t Scalar(const std::string& sql) {
    auto n = pool_->Run([&](pqxx::connection& c) -> absl::StatusOr<int64_t> {
      pqxx::work tx(c);
      return tx.exec(sql)[0][0].as<int64_t>();
    });
    EXPECT_THAT(n, IsOk());
    return n.ok() ? *n : -1;
  }

  // Replaces the window's buckets and records success, as a sync does.
  absl::StatusOr<bool> SyncIn(PgProviderStore& store, const std::string& id, DayWindow w,
                              std::vector<ReportedBucket> buckets) {
    return store.WithSyncLock(id, [&](SyncSession& s) -> absl::Status {
      absl::Status st = s.ReplaceBuckets(w, buckets);
      if (!st.ok()) return st;
      return s.RecordSuccess(kNow, w, kNow + 3'600'000);
    });
  }

  std::vector<ReportedRow> Reported(const std::string& org) {
    auto rows = store_->ReportedUsage(org, {kDay - 60 * kDayMs, kDay + 2 * kDayMs});
    EXPECT_THAT(rows, IsOk());
    return rows.ok() ? *rows : std::vector<ReportedRow>{};
  }

  std::unique_ptr<test::PgTestDb> db_;
  std::unique_ptr<pg::PgPool> pool_;
  std::unique_ptr<PgProviderStore> store_;
  std::optional<crypto::SecretBox> box_;
};

TEST_F(PgProviderStoreTest, ConnectionsBelongToTheirOrganization) {
  auto created = store_->CreateConnection(Conn(kConn1, kOrgA));
  ASSERT_THAT(created, IsOk());
  EXPECT_EQ(created->id, kConn1);
  EXPECT_EQ(created->organization_id, kOrgA);
  EXPECT_EQ(created->provider, ReportProvider::kOpenAi);
  EXPECT_EQ(created->key_prefix, "sk-admin-PLA");
  EXPECT_EQ(created->status, ConnectionStatus::kPending);
  EXPECT_EQ(created->last_sync_at_unix_ms, 0);
  EXPECT_EQ(created->created_at_unix_ms, kNow);
  EXPECT_EQ(created->next_sync_at_unix_ms, kNow);  // the first sync is due at once
  EXPECT_EQ(created->synced_from_day_ms, 0);

  // The same key again in this organization is refused; another organization may add it.
  EXPECT_THAT(store_->CreateConnection(Conn(kConn2, kOrgA)),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(store_->HasKey(kOrgA, crypto::Sha256Hex(kAdminKey)), IsOkAndHolds(true));
  EXPECT_THAT(store_->HasKey(kOrgB, crypto::Sha256Hex(kAdminKey)), IsOkAndHolds(false));
  ASSERT_THAT(store_->CreateConnection(Conn(kConn2, kOrgB, kAdminKey, kNow + 1)), IsOk());

  auto list = store_->ListConnections(kOrgA);
  ASSERT_THAT(list, IsOk());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0], *created);
  EXPECT_THAT(store_->GetConnection(kOrgB, kConn1), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->GetConnection(kOrgA, "not-a-uuid"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->DeleteConnection(kOrgB, kConn1), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->DeleteConnection(kOrgA, kConn1), IsOkAndHolds(*created));
  EXPECT_THAT(store_->ListConnections(kOrgA), IsOkAndHolds(IsEmpty()));

  // Only the ciphertext is stored, under its key id.
  EXPECT_EQ(Scalar("SELECT count(*) FROM metering.provider_connections"
                   " WHERE key_id = '" +
                   box_->key_id() + "' AND octet_length(key_ciphertext) = " +
                   std::to_string(std::string(kAdminKey).size() + 28)),
            1);
  EXPECT_EQ(Scalar(absl::StrCat("SELECT count(*) FROM metering.provider_connections WHERE "
                                "position(convert_to('",
                                kAdminKey, "', 'UTF8') in key_ciphertext) > 0 OR key_prefix = '",
                                kAdminKey, "'")),
            0);
}

// A re-synced window replaces its buckets: the same report twice counts once, a revised day
// replaces the old one, and days outside the window stay.
TEST_F(PgProviderStoreTest, ResyncingReplacesNeverAdds) {
  ASSERT_THAT(store_->CreateConnection(Conn(kConn1, kOrgA)), IsOk());
  DayWindow month{kDay - 30 * kDayMs, kDay + kDayMs};
  std::vector<ReportedBucket> report = {
      {kDay - 20 * kDayMs, "gpt-4o", "key_a", {100, 10, 0, 50, 2}, {}},
      {kDay, "gpt-4o", "key_a", {10, 0, 0, 5, 1}, {}},
      {kDay, "gpt-4o", "key_b", {20, 0, 0, 6, 1}, {}},
      {kDay, "gpt-4o", "", {}, {1, 2, 3, 4, 5}},
      {kDay + 5 * kDayMs, "ignored", "", {1, 0, 0, 1, 1}, {}},  // outside the window
  };
  ASSERT_THAT(SyncIn(*store_, kConn1, month, report), IsOkAndHolds(true));
  ASSERT_THAT(SyncIn(*store_, kConn1, month, report), IsOkAndHolds(true));
  std::vector<ReportedRow> rows = Reported(kOrgA);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0],
            (ReportedRow{kDay - 20 * kDayMs, "openai", "gpt-4o", false, {100, 10, 0, 50, 2}, {}}));
  EXPECT_EQ(rows[1],
            (ReportedRow{kDay, "openai", "gpt-4o", false, {30, 0, 0, 11, 2}, {1, 2, 3, 4, 5}}));
  EXPECT_EQ(Scalar("SELECT count(*) FROM metering.provider_usage"), 4);

  // The provider revised today; the last three days are re-pulled.
  DayWindow recent{kDay - 2 * kDayMs, kDay + kDayMs};
  ASSERT_THAT(SyncIn(*store_, kConn1, recent,
                     {{kDay, "gpt-4o", "key_a", {15, 0, 0, 7, 2}, {}},
                      {kDay, "gpt-4o", "", {}, {9, 0, 0, 9, 0}}}),
              IsOkAndHolds(true));
  rows = Reported(kOrgA);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].tokens.input, 100);  // outside the re-pulled days: kept
  EXPECT_EQ(rows[1],
            (ReportedRow{kDay, "openai", "gpt-4o", false, {15, 0, 0, 7, 2}, {9, 0, 0, 9, 0}}));

  auto c = store_->GetConnection(kOrgA, kConn1);
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->status, ConnectionStatus::kOk);
  EXPECT_EQ(c->last_sync_at_unix_ms, kNow);
  EXPECT_EQ(c->synced_from_day_ms, kDay - 30 * kDayMs);  // coverage never shrinks
  EXPECT_EQ(c->synced_through_day_ms, kDay);
  EXPECT_THAT(
      store_->Synced(kOrgA),
      IsOkAndHolds(ElementsAre(::testing::Field(&SyncedDays::from_day_ms, kDay - 30 * kDayMs))));
  EXPECT_THAT(store_->Synced(kOrgB), IsOkAndHolds(IsEmpty()));
}

TEST_F(PgProviderStoreTest, AFailedSyncWritesOnlyItsStatus) {
  ASSERT_THAT(store_->CreateConnection(Conn(kConn1, kOrgA)), IsOk());
  // A function that fails after writing rolls everything back.
  auto failed = store_->WithSyncLock(kConn1, [&](SyncSession& s) -> absl::Status {
    EXPECT_THAT(s.ReplaceBuckets({kDay, kDay + kDayMs}, {{kDay, "m", "k", {1, 0, 0, 1, 1}, {}}}),
                IsOk());
    return absl::UnavailableError("provider down");
  });
  EXPECT_THAT(failed, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(Scalar("SELECT count(*) FROM metering.provider_usage"), 0);
  // A recorded failure commits.
  auto recorded = store_->WithSyncLock(kConn1, [&](SyncSession& s) {
    EXPECT_EQ(s.connection().id, kConn1);
    EXPECT_THAT(box_->Open(s.sealed_key(), ConnectionKeyAad(kConn1)), IsOkAndHolds(kAdminKey));
    return s.RecordFailure("OpenAI refused the admin key (HTTP 401)", kNow + 60'000);
  });
  EXPECT_THAT(recorded, IsOkAndHolds(true));
  auto c = store_->GetConnection(kOrgA, kConn1);
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->status, ConnectionStatus::kFailed);
  EXPECT_EQ(c->last_error, "OpenAI refused the admin key (HTTP 401)");
  EXPECT_EQ(c->next_sync_at_unix_ms, kNow + 60'000);
  EXPECT_EQ(c->last_sync_at_unix_ms, 0);
  EXPECT_THAT(store_->WithSyncLock("aaaaaaaa-0000-4000-8000-00000000ffff",
                                   [](SyncSession&) { return absl::OkStatus(); }),
              IsOkAndHolds(false));
}

// Two replicas: while one holds a connection's sync lock, the other skips that connection
// without waiting, can still sync another one, and gets the lock once it is released.
TEST_F(PgProviderStoreTest, OneSyncPerConnectionAcrossReplicas) {
  ASSERT_THAT(store_->CreateConnection(Conn(kConn1, kOrgA)), IsOk());
  ASSERT_THAT(store_->CreateConnection(Conn(kConn2, kOrgA, "sk-admin-other")), IsOk());
  std::unique_ptr<pg::PgPool> replica_pool = MakePool();
  PgProviderStore replica(*replica_pool);

  std::promise<void> inside;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::thread holder([&] {
    auto held = store_->WithSyncLock(kConn1, [&](SyncSession&) {
      inside.set_value();
      released.wait();
      return absl::OkStatus();
    });
    EXPECT_THAT(held, IsOkAndHolds(true));
  });
  inside.get_future().wait();
  bool ran = false;
  auto start = std::chrono::steady_clock::now();
  EXPECT_THAT(replica.WithSyncLock(kConn1,
                                   [&](SyncSession&) {
                                     ran = true;
                                     return absl::OkStatus();
                                   }),
              IsOkAndHolds(false));
  EXPECT_FALSE(ran);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));  // not waited
  EXPECT_THAT(replica.WithSyncLock(kConn2, [](SyncSession&) { return absl::OkStatus(); }),
              IsOkAndHolds(true));
  release.set_value();
  holder.join();
  EXPECT_THAT(replica.WithSyncLock(kConn1,
                                   [&](SyncSession&) {
                                     ran = true;
                                     return absl::OkStatus();
                                   }),
              IsOkAndHolds(true));
  EXPECT_TRUE(ran);
}

// Removing a connection never waits for its sync, and the sync then writes nothing.
TEST_F(PgProviderStoreTest, RemovingAConnectionDuringItsSync) {
  ASSERT_THAT(store_->CreateConnection(Conn(kConn1, kOrgA)), IsOk());
  ASSERT_THAT(
      SyncIn(*store_, kConn1, {kDay, kDay + kDayMs}, {{kDay, "m", "k", {5, 0, 0, 5, 1}, {}}}),
      IsOkAndHolds(true));
  std::promise<void> inside;
  std::promise<void> removed;
  std::shared_future<void> removed_f = removed.get_future().share();
  absl::StatusOr<bool> result;
  std::thread syncing([&] {
    result = store_->WithSyncLock(kConn1, [&](SyncSession& s) -> absl::Status {
      inside.set_value();
      removed_f.wait();
      absl::Status st =
          s.ReplaceBuckets({kDay, kDay + kDayMs}, {{kDay, "m", "k", {9, 0, 0, 9, 1}, {}}});
      if (!st.ok()) return st;
      return s.RecordSuccess(kNow, {kDay, kDay + kDayMs}, kNow);
    });
  });
  inside.get_future().wait();
  std::unique_ptr<pg::PgPool> other_pool = MakePool();
  PgProviderStore other(*other_pool);
  EXPECT_THAT(other.DeleteConnection(kOrgA, kConn1), IsOk());  // did not block
  removed.set_value();
  syncing.join();
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kFailedPrecondition));  // foreign key
  EXPECT_EQ(Scalar("SELECT count(*) FROM metering.provider_usage"), 0);  // cascade, nothing new
  EXPECT_EQ(Scalar("SELECT count(*) FROM metering.provider_connections"), 0);
}

// The whole sync against two replicas at once: one syncs, the other is busy or, coming second,
// finds the connection no longer due; the provider is asked once.
TEST_F(PgProviderStoreTest, TwoReplicasSyncADueConnectionOnce) {
  ASSERT_THAT(store_->CreateConnection(Conn(kConn1, kOrgA)), IsOk());
  std::unique_ptr<pg::PgPool> replica_pool = MakePool();
  PgProviderStore replica(*replica_pool);
  class SlowHttp final : public ReportHttp {
   public:
    HttpReply Get(const HttpRequest&) override {
      calls++;
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      return {200, R"({"object":"page","data":[],"has_more":false,"next_page":null})", {}, ""};
    }
    std::atomic<int> calls{0};
  } http;
  FakeClock clock(kNow);
  InterruptibleSleeper sleeper;
  auto keyring = crypto::SecretKeyring(*box_, {});
  SyncSettings settings;
  ProviderSyncer a(*store_, http, &keyring, clock, sleeper, settings);
  ProviderSyncer b(replica, http, &keyring, clock, sleeper, settings);
  auto due = a.Due(10);
  ASSERT_THAT(due, IsOkAndHolds(ElementsAre(kConn1)));
  std::future<SyncOutcome> first =
      std::async(std::launch::async, [&] { return a.Sync(kConn1, false); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  SyncOutcome second = b.Sync(kConn1, false);
  SyncOutcome done = first.get();
  EXPECT_EQ(done.state, SyncState::kSynced) << done.error;
  EXPECT_EQ(second.state, SyncState::kBusy);
  EXPECT_EQ(http.calls.load(), 2);  // usage + costs, once
  // Found due before the first committed, tried after: the fresh read says not due.
  EXPECT_EQ(b.Sync(kConn1, false).state, SyncState::kNotDue);
  EXPECT_EQ(http.calls.load(), 2);
  EXPECT_THAT(replica.DueConnections(kNow, 10), IsOkAndHolds(IsEmpty()));
}

TEST_F(PgProviderStoreTest, DueConnectionsMostOverdueFirst) {
  ASSERT_THAT(store_->CreateConnection(Conn(kConn2, kOrgA, "k2", kNow - 5000)), IsOk());
  ASSERT_THAT(store_->CreateConnection(Conn(kConn1, kOrgB, "k1", kNow - 9000)), IsOk());
  EXPECT_THAT(store_->DueConnections(kNow, 10), IsOkAndHolds(ElementsAre(kConn1, kConn2)));
  EXPECT_THAT(store_->DueConnections(kNow, 1), IsOkAndHolds(ElementsAre(kConn1)));
  EXPECT_THAT(store_->DueConnections(kNow - 6000, 10), IsOkAndHolds(ElementsAre(kConn1)));
}

// CSV rows replace their (day, provider, model); the same file again rewrites nothing.
TEST_F(PgProviderStoreTest, CsvImportIsIdempotent) {
  std::vector<CsvUsageRow> rows = {
      {2, kDay, "google", "gemini-1.5-flash", {1000, 100, 0, 50, 0}, 75'000},
      {3, kDay - kDayMs, "xai", "grok-beta", {10, 0, 0, 5, 0}, 1'000},
      {4, kDay, "openai", "it's \"quoted\", too", {1, 0, 0, 1, 0}, 1},
  };
  ASSERT_THAT(store_->ImportCsv(kOrgA, rows), IsOk());
  std::vector<ReportedRow> first = Reported(kOrgA);
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first[0],
            (ReportedRow{
                kDay - kDayMs, "xai", "grok-beta", true, {10, 0, 0, 5, 0}, {0, 0, 0, 0, 1'000}}));
  EXPECT_EQ(first[1].model, "gemini-1.5-flash");
  EXPECT_EQ(first[1].cost.other, 75'000);
  EXPECT_EQ(first[2].model, "it's \"quoted\", too");
  int64_t xmin_before = Scalar("SELECT sum(xmin::text::bigint) FROM metering.provider_usage");
  ASSERT_THAT(store_->ImportCsv(kOrgA, rows), IsOk());
  EXPECT_EQ(Reported(kOrgA), first);
  EXPECT_EQ(Scalar("SELECT sum(xmin::text::bigint) FROM metering.provider_usage"), xmin_before);
  // A corrected export replaces its row.
  ASSERT_THAT(store_->ImportCsv(
                  kOrgA, {{2, kDay, "google", "gemini-1.5-flash", {2000, 0, 0, 60, 0}, 80'000}}),
              IsOk());
  std::vector<ReportedRow> after = Reported(kOrgA);
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(after[1].tokens, (TokenUsage{2000, 0, 0, 60, 0}));
  EXPECT_EQ(after[1].cost.other, 80'000);
  EXPECT_THAT(Reported(kOrgB), IsEmpty());
}

// Synced and imported rows of the same day come back apart, for the reconciliation to choose.
TEST_F(PgProviderStoreTest, SourcesStayApart) {
  ASSERT_THAT(store_->CreateConnection(Conn(kConn1, kOrgA)), IsOk());
  ASSERT_THAT(SyncIn(*store_, kConn1, {kDay, kDay + kDayMs},
                     {{kDay, "gpt-4o", "key_a", {5, 0, 0, 5, 1}, {}}}),
              IsOkAndHolds(true));
  ASSERT_THAT(store_->ImportCsv(kOrgA, {{2, kDay, "openai", "gpt-4o", {7, 0, 0, 7, 0}, 9}}),
              IsOk());
  std::vector<ReportedRow> rows = Reported(kOrgA);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_FALSE(rows[0].from_csv);
  EXPECT_EQ(rows[0].tokens.input, 5);
  EXPECT_TRUE(rows[1].from_csv);
  EXPECT_EQ(rows[1].tokens.input, 7);
}

TEST_F(PgProviderStoreTest, SealedKeysAreReplacedOnlyIfUnchanged) {
  ASSERT_THAT(store_->CreateConnection(Conn(kConn1, kOrgA)), IsOk());
  auto keys = store_->ListSealedKeys();
  ASSERT_THAT(keys, IsOk());
  ASSERT_EQ(keys->size(), 1u);
  const StoredKey& k = (*keys)[0];
  EXPECT_EQ(k.connection_id, kConn1);
  EXPECT_THAT(box_->Open(k.sealed_key, ConnectionKeyAad(kConn1)), IsOkAndHolds(kAdminKey));
  auto next = crypto::SecretBox::FromKey(std::string(32, 'n'));
  crypto::SealedSecret resealed = next->Seal(kAdminKey, ConnectionKeyAad(kConn1));
  EXPECT_THAT(store_->ReplaceSealedKey(kConn1, k.sealed_key, resealed), IsOk());
  EXPECT_THAT(store_->ReplaceSealedKey(kConn1, k.sealed_key, resealed),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  auto after = store_->ListSealedKeys();
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ((*after)[0].sealed_key, resealed);
}

}  // namespace
}  // namespace llmgw::metering

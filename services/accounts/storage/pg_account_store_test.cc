#include "services/accounts/storage/pg_account_store.h"

#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/pg/migrate.h"
#include "libs/testing/pg_test_db.h"
#include "libs/testing/status_matchers.h"

namespace llmgw::accounts {
namespace {

using ::llmgw::test::IsOk;
using ::llmgw::test::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int64_t kT0 = 1'700'000'000'123;
constexpr char kUnknownUuid[] = "00000000-0000-4000-8000-000000000000";

class PgAccountStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = test::PgTestDb::Create();
    pg::PoolOptions o;
    o.url = db_->url();
    o.size = 4;
    o.on_connect = PgAccountStore::PrepareStatements;
    auto pool = pg::PgPool::Create(o);
    ASSERT_TRUE(pool.ok()) << pool.status();
    pool_ = std::move(*pool);
    int applied = 0;
    ASSERT_THAT(pg::ApplyMigrations(*pool_, "accounts", accountsMigrations(), &applied), IsOk());
    ASSERT_EQ(applied, 1);
    store_ = std::make_unique<PgAccountStore>(*pool_);
  }

  Organization MustCreateOrg(const std::string& email) {
    auto org = store_->CreateOrganization("Acme", email, "pbkdf2-sha256$1000$aa$bb", kT0);
    EXPECT_TRUE(org.ok()) << org.status();
    return org.ok() ? *org : Organization{};
  }

  Credential MustCreateCredential(const std::string& org_id, CredentialKind kind,
                                  const std::string& name, const std::string& hash,
                                  int64_t at = kT0) {
    auto c = store_->CreateCredential(NewCredential{org_id, kind, name, "mon_sk_AbCdE", hash, at});
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *c : Credential{};
  }

  std::unique_ptr<test::PgTestDb> db_;
  std::unique_ptr<pg::PgPool> pool_;
  std::unique_ptr<PgAccountStore> store_;
};

TEST_F(PgAccountStoreTest, MigrationsAreAppliedOnce) {
  int applied = -1;
  ASSERT_THAT(pg::ApplyMigrations(*pool_, "accounts", accountsMigrations(), &applied), IsOk());
  EXPECT_EQ(applied, 0);
}

TEST_F(PgAccountStoreTest, OrganizationsAreUniqueByCaseInsensitiveEmail) {
  auto org = store_->CreateOrganization("Acme", "Alice@Example.com", "hash-1", kT0);
  ASSERT_THAT(org, IsOk());
  EXPECT_EQ(org->id.size(), 36u);
  EXPECT_EQ(org->email, "Alice@Example.com");
  EXPECT_EQ(org->created_at_ms, kT0);
  EXPECT_THAT(store_->CreateOrganization("Other", "alice@EXAMPLE.com", "hash-2", kT0),
              StatusIs(absl::StatusCode::kAlreadyExists));

  auto found = store_->FindOrganizationByEmail("ALICE@example.COM");
  ASSERT_THAT(found, IsOk());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->organization.id, org->id);
  EXPECT_EQ((*found)->organization.email, "Alice@Example.com");  // stored as given
  EXPECT_EQ((*found)->password_hash, "hash-1");

  auto missing = store_->FindOrganizationByEmail("bob@example.com");
  ASSERT_THAT(missing, IsOk());
  EXPECT_FALSE(missing->has_value());

  auto got = store_->GetOrganization(org->id);
  ASSERT_THAT(got, IsOk());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->name, "Acme");
  EXPECT_EQ((*got)->created_at_ms, kT0);
  auto none = store_->GetOrganization(kUnknownUuid);
  ASSERT_THAT(none, IsOk());
  EXPECT_FALSE(none->has_value());

  ASSERT_THAT(store_->UpdatePasswordHash(org->id, "hash-3"), IsOk());
  EXPECT_EQ((*store_->FindOrganizationByEmail("alice@example.com"))->password_hash, "hash-3");
}

TEST_F(PgAccountStoreTest, LoginFailuresCountWithinTheWindowAndRestartAfter) {
  const int64_t window = 15 * 60 * 1000;
  auto f = store_->GetLoginFailures("a@b.co");
  ASSERT_THAT(f, IsOk());
  EXPECT_EQ(f->count, 0);

  f = store_->RecordLoginFailure("a@b.co", kT0, kT0 - window);
  ASSERT_THAT(f, IsOk());
  EXPECT_EQ(f->count, 1);
  EXPECT_EQ(f->window_start_ms, kT0);
  f = store_->RecordLoginFailure("a@b.co", kT0 + 1000, kT0 + 1000 - window);
  ASSERT_THAT(f, IsOk());
  EXPECT_EQ(f->count, 2);
  EXPECT_EQ(f->window_start_ms, kT0);
  // The window started at kT0; at kT0 + window it has passed: a new window starts.
  f = store_->RecordLoginFailure("a@b.co", kT0 + window, kT0);
  ASSERT_THAT(f, IsOk());
  EXPECT_EQ(f->count, 1);
  EXPECT_EQ(f->window_start_ms, kT0 + window);

  f = store_->GetLoginFailures("a@b.co");
  ASSERT_THAT(f, IsOk());
  EXPECT_EQ(f->count, 1);
  EXPECT_EQ(f->window_start_ms, kT0 + window);
  ASSERT_THAT(store_->ClearLoginFailures("a@b.co"), IsOk());
  EXPECT_EQ(store_->GetLoginFailures("a@b.co")->count, 0);
}

TEST_F(PgAccountStoreTest, ConcurrentLoginFailuresAreAllCounted) {
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back(
        [&] { EXPECT_THAT(store_->RecordLoginFailure("race@b.co", kT0, kT0 - 1000), IsOk()); });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(store_->GetLoginFailures("race@b.co")->count, 8);
}

TEST_F(PgAccountStoreTest, SessionsAreFoundByHashAndRevocable) {
  Organization org = MustCreateOrg("a@example.com");
  ASSERT_THAT(store_->CreateSession(org.id, "hash-s", kT0, kT0 + 3600000), IsOk());
  auto s = store_->FindSession("hash-s");
  ASSERT_THAT(s, IsOk());
  ASSERT_TRUE(s->has_value());
  EXPECT_EQ((*s)->organization.id, org.id);
  EXPECT_EQ((*s)->organization.email, "a@example.com");
  EXPECT_EQ((*s)->expires_at_ms, kT0 + 3600000);
  EXPECT_FALSE((*s)->revoked);

  ASSERT_THAT(store_->RevokeSession("hash-s", kT0 + 5), IsOk());
  ASSERT_THAT(store_->RevokeSession("hash-s", kT0 + 6), IsOk());
  ASSERT_THAT(store_->RevokeSession("no-such-hash", kT0 + 6), IsOk());
  s = store_->FindSession("hash-s");
  ASSERT_THAT(s, IsOk());
  ASSERT_TRUE(s->has_value());
  EXPECT_TRUE((*s)->revoked);
  EXPECT_FALSE(store_->FindSession("no-such-hash")->has_value());
}

TEST_F(PgAccountStoreTest, CredentialsListNewestFirstPerOrganizationAndKind) {
  Organization a = MustCreateOrg("a@example.com");
  Organization b = MustCreateOrg("b@example.com");
  Credential c1 = MustCreateCredential(a.id, CredentialKind::kMonitorToken, "one", "h1", kT0);
  Credential c2 = MustCreateCredential(a.id, CredentialKind::kMonitorToken, "two", "h2", kT0);
  Credential c3 = MustCreateCredential(a.id, CredentialKind::kMonitorToken, "three", "h3", kT0 - 5);
  MustCreateCredential(a.id, CredentialKind::kApiKey, "key", "h4", kT0);
  MustCreateCredential(b.id, CredentialKind::kMonitorToken, "other", "h5", kT0);
  EXPECT_EQ(c1.organization_id, a.id);
  EXPECT_EQ(c1.prefix, "mon_sk_AbCdE");
  EXPECT_TRUE(c1.active);
  EXPECT_EQ(c1.last_used_at_ms, 0);
  EXPECT_EQ(c1.created_at_ms, kT0);

  auto list = store_->ListCredentials(a.id, CredentialKind::kMonitorToken);
  ASSERT_THAT(list, IsOk());
  std::vector<std::string> names;
  for (const auto& c : *list) names.push_back(c.name);
  // Same created_at: the later insert first.
  EXPECT_THAT(names, ElementsAre("two", "one", "three"));
  EXPECT_EQ(store_->ListCredentials(a.id, CredentialKind::kApiKey)->size(), 1u);
  EXPECT_THAT(*store_->ListCredentials(kUnknownUuid, CredentialKind::kApiKey), IsEmpty());
  (void)c2;
  (void)c3;
}

TEST_F(PgAccountStoreTest, SecretHashesAreUnique) {
  Organization a = MustCreateOrg("a@example.com");
  MustCreateCredential(a.id, CredentialKind::kApiKey, "one", "same-hash");
  EXPECT_THAT(store_->CreateCredential(NewCredential{a.id, CredentialKind::kApiKey, "two",
                                                     "llm_sk_AbCdE", "same-hash", kT0}),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_F(PgAccountStoreTest, RevokeIsScopedAndKeepsTheFirstRevocation) {
  Organization a = MustCreateOrg("a@example.com");
  Organization b = MustCreateOrg("b@example.com");
  Credential c = MustCreateCredential(a.id, CredentialKind::kApiKey, "k", "hk");

  auto other_org = store_->RevokeCredential(b.id, CredentialKind::kApiKey, c.id, kT0 + 1);
  ASSERT_THAT(other_org, IsOk());
  EXPECT_FALSE(other_org->has_value());
  auto other_kind = store_->RevokeCredential(a.id, CredentialKind::kMonitorToken, c.id, kT0 + 1);
  ASSERT_THAT(other_kind, IsOk());
  EXPECT_FALSE(other_kind->has_value());
  auto unknown = store_->RevokeCredential(a.id, CredentialKind::kApiKey, kUnknownUuid, kT0 + 1);
  ASSERT_THAT(unknown, IsOk());
  EXPECT_FALSE(unknown->has_value());

  auto match = store_->FindCredentialByHash(CredentialKind::kApiKey, "hk");
  ASSERT_THAT(match, IsOk());
  ASSERT_TRUE(match->has_value());
  EXPECT_TRUE((*match)->active);
  EXPECT_EQ((*match)->id, c.id);
  EXPECT_EQ((*match)->organization_id, a.id);

  auto revoked = store_->RevokeCredential(a.id, CredentialKind::kApiKey, c.id, kT0 + 1);
  ASSERT_THAT(revoked, IsOk());
  ASSERT_TRUE(revoked->has_value());
  EXPECT_FALSE((*revoked)->active);
  EXPECT_EQ((*revoked)->id, c.id);
  auto again = store_->RevokeCredential(a.id, CredentialKind::kApiKey, c.id, kT0 + 2);
  ASSERT_THAT(again, IsOk());
  ASSERT_TRUE(again->has_value());
  EXPECT_FALSE((*again)->active);
  auto revoked_at = pool_->Run([&](pqxx::connection& conn) -> absl::StatusOr<int64_t> {
    pqxx::nontransaction tx(conn);
    auto r = tx.exec_params(
        "SELECT (extract(epoch from revoked_at) * 1000)::bigint FROM accounts.credentials "
        "WHERE id = $1::uuid",
        c.id);
    return r[0][0].as<int64_t>();
  });
  ASSERT_THAT(revoked_at, IsOk());
  EXPECT_EQ(*revoked_at, kT0 + 1);

  match = store_->FindCredentialByHash(CredentialKind::kApiKey, "hk");
  ASSERT_THAT(match, IsOk());
  ASSERT_TRUE(match->has_value());
  EXPECT_FALSE((*match)->active);
  EXPECT_FALSE(store_->FindCredentialByHash(CredentialKind::kMonitorToken, "hk")->has_value());
  EXPECT_FALSE(store_->FindCredentialByHash(CredentialKind::kApiKey, "nope")->has_value());
}

TEST_F(PgAccountStoreTest, CredentialUsesAreWrittenInOneStatementAndNeverMoveBack) {
  Organization a = MustCreateOrg("a@example.com");
  Credential c1 = MustCreateCredential(a.id, CredentialKind::kApiKey, "one", "h1");
  Credential c2 = MustCreateCredential(a.id, CredentialKind::kApiKey, "two", "h2");
  Credential c3 = MustCreateCredential(a.id, CredentialKind::kApiKey, "three", "h3");
  ASSERT_THAT(store_->RecordCredentialUses({{c1.id, kT0 + 10}, {c2.id, kT0 + 20}}), IsOk());
  ASSERT_THAT(store_->RecordCredentialUses({{c1.id, kT0 + 5}, {kUnknownUuid, kT0}}), IsOk());
  ASSERT_THAT(store_->RecordCredentialUses({}), IsOk());
  ASSERT_THAT(store_->RecordCredentialUses({{"not-a-uuid}", kT0}}), IsOk());
  auto list = store_->ListCredentials(a.id, CredentialKind::kApiKey);
  ASSERT_THAT(list, IsOk());
  std::map<std::string, int64_t> last;
  for (const auto& c : *list) last[c.id] = c.last_used_at_ms;
  EXPECT_EQ(last[c1.id], kT0 + 10);
  EXPECT_EQ(last[c2.id], kT0 + 20);
  EXPECT_EQ(last[c3.id], 0);
}

TEST_F(PgAccountStoreTest, ValidationLookupUsesTheUniqueHashIndex) {
  auto plan = pool_->Run([&](pqxx::connection& conn) -> absl::StatusOr<std::string> {
    pqxx::work tx(conn);
    tx.exec("SET LOCAL enable_seqscan = off");
    auto r = tx.exec(
        "EXPLAIN SELECT id FROM accounts.credentials WHERE secret_hash = 'x' AND kind = 'api_key'");
    std::string out;
    for (const auto& row : r) out += row[0].as<std::string>() + "\n";
    return out;
  });
  ASSERT_THAT(plan, IsOk());
  EXPECT_THAT(*plan, HasSubstr("credentials_secret_hash_key"));
}

}  // namespace
}  // namespace llmgw::accounts

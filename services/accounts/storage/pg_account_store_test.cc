#include "services/accounts/storage/pg_account_store.h"

#include <atomic>
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
    ASSERT_EQ(applied, static_cast<int>(accountsMigrations().size()));
    store_ = std::make_unique<PgAccountStore>(*pool_);
  }

  Organization MustCreateOrg(const std::string& email, std::string* owner_id = nullptr) {
    auto created =
        store_->CreateOrganizationWithOwner("Acme", email, "pbkdf2-sha256$1000$aa$bb", kT0);
    EXPECT_TRUE(created.ok()) << created.status();
    if (!created.ok()) return Organization{};
    if (owner_id != nullptr) *owner_id = created->user.id;
    return created->organization;
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

TEST_F(PgAccountStoreTest, UsersAreUniqueByCaseInsensitiveEmail) {
  auto created = store_->CreateOrganizationWithOwner("Acme", "Alice@Example.com", "hash-1", kT0);
  ASSERT_THAT(created, IsOk());
  const Organization& org = created->organization;
  EXPECT_EQ(org.id.size(), 36u);
  EXPECT_EQ(org.email, "Alice@Example.com");
  EXPECT_EQ(org.created_at_ms, kT0);
  EXPECT_EQ(created->user.email, "Alice@Example.com");
  EXPECT_THAT(store_->CreateOrganizationWithOwner("Other", "alice@EXAMPLE.com", "hash-2", kT0),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(store_->CreateUser("Other", "ALICE@example.com", "hash-2", kT0),
              StatusIs(absl::StatusCode::kAlreadyExists));

  auto found = store_->FindUserByEmail("ALICE@example.COM");
  ASSERT_THAT(found, IsOk());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->user.id, created->user.id);
  EXPECT_EQ((*found)->user.email, "Alice@Example.com");  // stored as given
  EXPECT_EQ((*found)->password_hash, "hash-1");

  auto missing = store_->FindUserByEmail("bob@example.com");
  ASSERT_THAT(missing, IsOk());
  EXPECT_FALSE(missing->has_value());

  auto got = store_->GetOrganization(org.id);
  ASSERT_THAT(got, IsOk());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->name, "Acme");
  EXPECT_EQ((*got)->created_at_ms, kT0);
  auto none = store_->GetOrganization(kUnknownUuid);
  ASSERT_THAT(none, IsOk());
  EXPECT_FALSE(none->has_value());

  ASSERT_THAT(store_->UpdatePasswordHash(created->user.id, "hash-3"), IsOk());
  EXPECT_EQ((*store_->FindUserByEmail("alice@example.com"))->password_hash, "hash-3");
  auto memberships = store_->ListMemberships(created->user.id);
  ASSERT_THAT(memberships, IsOk());
  ASSERT_EQ(memberships->size(), 1u);
  EXPECT_EQ((*memberships)[0].organization.id, org.id);
  EXPECT_EQ((*memberships)[0].role, Role::kOwner);
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
  std::string user_id;
  Organization org = MustCreateOrg("a@example.com", &user_id);
  ASSERT_THAT(store_->CreateSession(user_id, org.id, "hash-s", kT0, kT0 + 3600000), IsOk());
  auto s = store_->FindSession("hash-s");
  ASSERT_THAT(s, IsOk());
  ASSERT_TRUE(s->has_value());
  EXPECT_EQ((*s)->organization.id, org.id);
  EXPECT_EQ((*s)->organization.email, "a@example.com");
  EXPECT_EQ((*s)->user.id, user_id);
  EXPECT_EQ((*s)->role, Role::kOwner);
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

  auto other_org = store_->RevokeCredential(b.id, CredentialKind::kApiKey, c.id, kT0 + 1, "");
  ASSERT_THAT(other_org, IsOk());
  EXPECT_FALSE(other_org->has_value());
  auto other_kind =
      store_->RevokeCredential(a.id, CredentialKind::kMonitorToken, c.id, kT0 + 1, "");
  ASSERT_THAT(other_kind, IsOk());
  EXPECT_FALSE(other_kind->has_value());
  auto unknown = store_->RevokeCredential(a.id, CredentialKind::kApiKey, kUnknownUuid, kT0 + 1, "");
  ASSERT_THAT(unknown, IsOk());
  EXPECT_FALSE(unknown->has_value());

  auto match = store_->FindCredentialByHash(CredentialKind::kApiKey, "hk");
  ASSERT_THAT(match, IsOk());
  ASSERT_TRUE(match->has_value());
  EXPECT_TRUE((*match)->active);
  EXPECT_EQ((*match)->id, c.id);
  EXPECT_EQ((*match)->organization_id, a.id);

  auto revoked = store_->RevokeCredential(a.id, CredentialKind::kApiKey, c.id, kT0 + 1, "");
  ASSERT_THAT(revoked, IsOk());
  ASSERT_TRUE(revoked->has_value());
  EXPECT_FALSE((*revoked)->active);
  EXPECT_EQ((*revoked)->id, c.id);
  auto again = store_->RevokeCredential(a.id, CredentialKind::kApiKey, c.id, kT0 + 2, "");
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

TEST_F(PgAccountStoreTest, MembershipChangesKeepAnOwner) {
  std::string owner;
  Organization org = MustCreateOrg("owner@example.com", &owner);
  auto bob = store_->CreateUser("Bob", "bob@example.com", "h", kT0 + 1);
  ASSERT_THAT(bob, IsOk());
  auto inv = store_->CreateInvitation(
      NewInvitation{org.id, "bob@example.com", Role::kAdmin, "inv-hash", owner, kT0, kT0 + 10});
  ASSERT_THAT(inv, IsOk());
  EXPECT_EQ(inv->role, Role::kAdmin);
  EXPECT_EQ(inv->invited_by_user_id, owner);
  auto found = store_->FindInvitation("inv-hash");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->id, inv->id);
  EXPECT_EQ((*found)->expires_at_ms, kT0 + 10);
  EXPECT_EQ((*found)->accepted_at_ms, 0);
  // Single use, even when two accept at once.
  std::vector<std::thread> threads;
  std::atomic<int> accepted{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto ok = store_->AcceptInvitation(*inv, bob->id, kT0 + 5);
      EXPECT_THAT(ok, IsOk());
      if (ok.ok() && *ok) ++accepted;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(accepted.load(), 1);
  EXPECT_EQ((*store_->FindInvitation("inv-hash"))->accepted_at_ms, kT0 + 5);
  auto members = store_->ListMembers(org.id);
  ASSERT_THAT(members, IsOk());
  ASSERT_EQ(members->size(), 2u);
  EXPECT_EQ((*members)[1].user.email, "bob@example.com");
  EXPECT_EQ((*members)[1].role, Role::kAdmin);

  // The rule sees the actor's role, the target and the owner count, under the lock.
  auto seen = [](std::optional<Role>* actor, int* owners) {
    return [actor, owners](std::optional<Role> a, const Member&, int n) {
      *actor = a;
      *owners = n;
      return absl::OkStatus();
    };
  };
  std::optional<Role> actor;
  int owners = 0;
  auto change =
      store_->ChangeMembership(org.id, owner, bob->id, Role::kOwner, seen(&actor, &owners));
  ASSERT_THAT(change, IsOk());
  ASSERT_TRUE(change->has_value());
  EXPECT_EQ((*change)->before.role, Role::kAdmin);
  EXPECT_EQ(actor, Role::kOwner);
  EXPECT_EQ(owners, 1);
  EXPECT_EQ((*store_->ListMembers(org.id))[1].role, Role::kOwner);
  // A refusing rule changes nothing.
  auto refused = store_->ChangeMembership(
      org.id, bob->id, owner, std::nullopt,
      [](std::optional<Role>, const Member&, int) { return absl::PermissionDeniedError("no"); });
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(store_->ListMembers(org.id)->size(), 2u);
  // Removal, and a target who is not a member.
  change = store_->ChangeMembership(org.id, bob->id, owner, std::nullopt, seen(&actor, &owners));
  ASSERT_TRUE(change.ok() && change->has_value());
  EXPECT_EQ(owners, 2);
  EXPECT_EQ(store_->ListMembers(org.id)->size(), 1u);
  EXPECT_TRUE(store_->ListMemberships(owner)->empty());
  auto gone = store_->ChangeMembership(org.id, bob->id, owner, std::nullopt, seen(&actor, &owners));
  ASSERT_THAT(gone, IsOk());
  EXPECT_FALSE(gone->has_value());
}

TEST_F(PgAccountStoreTest, OnlyTheCreatorRevokesWhenAsked) {
  std::string owner;
  Organization org = MustCreateOrg("o@example.com", &owner);
  auto other = store_->CreateUser("Other", "other@example.com", "h", kT0);
  ASSERT_THAT(other, IsOk());
  auto c = store_->CreateCredential(
      NewCredential{org.id, CredentialKind::kApiKey, "k", "llm_sk_AbCdE", "hash-k", kT0, owner});
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->created_by_user_id, owner);
  EXPECT_THAT(store_->RevokeCredential(org.id, CredentialKind::kApiKey, c->id, kT0, other->id),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_TRUE((*store_->ListCredentials(org.id, CredentialKind::kApiKey))[0].active);
  auto unknown =
      store_->RevokeCredential(org.id, CredentialKind::kApiKey, kUnknownUuid, kT0, other->id);
  ASSERT_THAT(unknown, IsOk());
  EXPECT_FALSE(unknown->has_value());
  auto mine = store_->RevokeCredential(org.id, CredentialKind::kApiKey, c->id, kT0, owner);
  ASSERT_TRUE(mine.ok() && mine->has_value());
  EXPECT_FALSE((*mine)->active);
}

// Migration 002 on a database with data in it: every organization's login becomes its owner
// and nothing else changes (organizations, credentials, live sessions).
TEST(AccountsMigrationTest, EachOrganizationLoginBecomesItsOwner) {
  auto db = test::PgTestDb::Create();
  pg::PoolOptions raw;
  raw.url = db->url();
  raw.size = 1;
  auto pool = pg::PgPool::Create(raw);
  ASSERT_TRUE(pool.ok()) << pool.status();
  const auto& all = accountsMigrations();
  ASSERT_GE(all.size(), 2u);
  ASSERT_EQ(all[1].version, 2);
  ASSERT_THAT(pg::ApplyMigrations(**pool, "accounts", {all[0]}), IsOk());
  auto seeded = (*pool)->Run([](pqxx::connection& c) -> absl::Status {
    pqxx::work tx(c);
    tx.exec(
        "INSERT INTO accounts.organizations (id, name, email, password_hash, created_at) VALUES "
        "('11111111-1111-4111-8111-111111111111', 'Acme', 'Alice@Example.com', 'hash-alice', "
        " timestamptz '2024-01-02T03:04:05.678Z'), "
        "('22222222-2222-4222-8222-222222222222', 'Beta', 'bob@example.com', 'hash-bob', "
        " timestamptz '2024-02-01T00:00:00Z')");
    tx.exec(
        "INSERT INTO accounts.sessions (organization_id, token_hash, created_at, expires_at) "
        "VALUES ('11111111-1111-4111-8111-111111111111', 'sess-alice', now(), "
        "now() + interval '1 day')");
    tx.exec(
        "INSERT INTO accounts.credentials (id, organization_id, kind, name, display_prefix, "
        "secret_hash, created_at) VALUES ('33333333-3333-4333-8333-333333333333', "
        "'22222222-2222-4222-8222-222222222222', 'api_key', 'prod', 'llm_sk_AbCdE', "
        "'secret-hash', timestamptz '2024-03-01T00:00:00Z')");
    tx.exec("INSERT INTO accounts.login_failures VALUES ('alice@example.com', 3, now())");
    tx.commit();
    return absl::OkStatus();
  });
  ASSERT_THAT(seeded, IsOk());
  int applied = 0;
  ASSERT_THAT(pg::ApplyMigrations(**pool, "accounts", all, &applied), IsOk());
  EXPECT_EQ(applied, static_cast<int>(all.size()) - 1);

  pg::PoolOptions o = raw;
  o.on_connect = PgAccountStore::PrepareStatements;
  auto store_pool = pg::PgPool::Create(o);
  ASSERT_TRUE(store_pool.ok());
  PgAccountStore store(**store_pool);
  const int64_t alice_created = 1704164645678;  // 2024-01-02T03:04:05.678Z
  auto org = store.GetOrganization("11111111-1111-4111-8111-111111111111");
  ASSERT_TRUE(org.ok() && org->has_value());
  EXPECT_EQ((*org)->name, "Acme");
  EXPECT_EQ((*org)->email, "Alice@Example.com");
  EXPECT_EQ((*org)->created_at_ms, alice_created);

  auto alice = store.FindUserByEmail("alice@example.com");
  ASSERT_TRUE(alice.ok() && alice->has_value());
  EXPECT_EQ((*alice)->user.email, "Alice@Example.com");
  EXPECT_EQ((*alice)->user.name, "Acme");
  EXPECT_EQ((*alice)->user.created_at_ms, alice_created);
  EXPECT_EQ((*alice)->password_hash, "hash-alice");
  auto memberships = store.ListMemberships((*alice)->user.id);
  ASSERT_TRUE(memberships.ok());
  ASSERT_EQ(memberships->size(), 1u);
  EXPECT_EQ((*memberships)[0].organization.id, "11111111-1111-4111-8111-111111111111");
  EXPECT_EQ((*memberships)[0].role, Role::kOwner);

  auto bob = store.FindUserByEmail("BOB@example.com");
  ASSERT_TRUE(bob.ok() && bob->has_value());
  EXPECT_EQ((*bob)->password_hash, "hash-bob");
  auto members = store.ListMembers("22222222-2222-4222-8222-222222222222");
  ASSERT_TRUE(members.ok());
  ASSERT_EQ(members->size(), 1u);
  EXPECT_EQ((*members)[0].user.id, (*bob)->user.id);
  EXPECT_EQ((*members)[0].role, Role::kOwner);

  // A session from before the migration still names its organization, now with its owner.
  auto session = store.FindSession("sess-alice");
  ASSERT_TRUE(session.ok() && session->has_value());
  EXPECT_EQ((*session)->organization.id, "11111111-1111-4111-8111-111111111111");
  EXPECT_EQ((*session)->user.id, (*alice)->user.id);
  EXPECT_EQ((*session)->role, Role::kOwner);

  auto keys =
      store.ListCredentials("22222222-2222-4222-8222-222222222222", CredentialKind::kApiKey);
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].id, "33333333-3333-4333-8333-333333333333");
  EXPECT_EQ((*keys)[0].name, "prod");
  EXPECT_TRUE((*keys)[0].active);
  EXPECT_EQ((*keys)[0].created_by_user_id, "");
  auto match = store.FindCredentialByHash(CredentialKind::kApiKey, "secret-hash");
  ASSERT_TRUE(match.ok() && match->has_value());
  EXPECT_EQ((*match)->organization_id, "22222222-2222-4222-8222-222222222222");
  EXPECT_EQ(store.GetLoginFailures("alice@example.com")->count, 0);
}

TEST_F(PgAccountStoreTest, LimitsArePatchedAndTravelWithTheValidation) {
  Organization a = MustCreateOrg("limits-a@example.com");
  Organization b = MustCreateOrg("limits-b@example.com");
  Credential key = MustCreateCredential(a.id, CredentialKind::kApiKey, "svc", "hl1", kT0);
  LimitsPatch set{.set_rpm = true, .set_daily = true};
  set.values.rpm = 600;
  set.values.daily_budget_nano = 50'000'000'000;
  auto patched = store_->PatchCredentialLimits(a.id, CredentialKind::kApiKey, key.id, set, "");
  ASSERT_THAT(patched, IsOk());
  ASSERT_TRUE(patched->has_value());
  EXPECT_EQ((*patched)->limits, (Limits{.rpm = 600, .daily_budget_nano = 50'000'000'000}));
  // Another organization's id, or the wrong kind, finds nothing and changes nothing.
  EXPECT_THAT(store_->PatchCredentialLimits(b.id, CredentialKind::kApiKey, key.id, set, ""),
              IsOk());
  EXPECT_FALSE(store_->PatchCredentialLimits(b.id, CredentialKind::kApiKey, key.id, set, "")
                   ->has_value());
  EXPECT_FALSE(
      store_->PatchCredentialLimits(a.id, CredentialKind::kMonitorToken, key.id, set, "")
          ->has_value());
  // A patch touches only what it names; nullopt removes.
  LimitsPatch unset_rpm{.set_rpm = true, .set_tpm = true};
  unset_rpm.values.tpm = 1000;
  patched = store_->PatchCredentialLimits(a.id, CredentialKind::kApiKey, key.id, unset_rpm, "");
  EXPECT_EQ((*patched)->limits,
            (Limits{.tpm = 1000, .daily_budget_nano = 50'000'000'000}));
  LimitsPatch org{.set_monthly = true};
  org.values.monthly_budget_nano = 7;
  EXPECT_EQ(*store_->PatchOrganizationLimits(a.id, org), (Limits{.monthly_budget_nano = 7}));
  EXPECT_FALSE(store_->PatchOrganizationLimits(kUnknownUuid, org)->has_value());
  EXPECT_EQ(*store_->GetOrganizationLimits(b.id), Limits{});
  // The gateway's one lookup brings both.
  auto match = store_->FindCredentialByHash(CredentialKind::kApiKey, "hl1");
  ASSERT_THAT(match, IsOk());
  EXPECT_EQ((*match)->limits, (Limits{.tpm = 1000, .daily_budget_nano = 50'000'000'000}));
  EXPECT_EQ((*match)->organization_limits, (Limits{.monthly_budget_nano = 7}));
  EXPECT_EQ(store_->ListCredentials(a.id, CredentialKind::kApiKey)->at(0).limits.tpm, 1000);
  // Out-of-range values are refused by the schema too.
  LimitsPatch bad{.set_rpm = true};
  bad.values.rpm = 0;
  EXPECT_FALSE(store_->PatchCredentialLimits(a.id, CredentialKind::kApiKey, key.id, bad, "").ok());
}

}  // namespace
}  // namespace llmgw::accounts

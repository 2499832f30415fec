#include "services/accounts/domain/account_service.h"

#include <chrono>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/clock.h"
#include "libs/testing/status_matchers.h"
#include "services/accounts/domain/in_memory_account_store.h"
#include "services/accounts/domain/tokens.h"

namespace llmgw::accounts {
namespace {

using ::llmgw::test::IsOk;
using ::llmgw::test::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kPassword[] = "password123";

class AccountServiceTest : public ::testing::Test {
 protected:
  AccountServiceTest() : service_(store_, clock_, Options()) {}
  static AccountServiceOptions Options() {
    AccountServiceOptions o;
    o.password_iterations = 1000;
    return o;
  }
  Organization MustRegister(const std::string& email = "alice@example.com") {
    auto org = service_.Register("Acme", email, kPassword);
    EXPECT_TRUE(org.ok()) << org.status();
    return org.ok() ? *org : Organization{};
  }

  InMemoryAccountStore store_;
  FakeClock clock_;
  AccountService service_;
};

TEST_F(AccountServiceTest, RegisterValidatesEachField) {
  EXPECT_THAT(service_.Register("", "a@b.co", kPassword),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name")));
  EXPECT_THAT(service_.Register("Acme", "not-an-email", kPassword),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("email")));
  EXPECT_THAT(service_.Register("Acme", "a@b.co", "short"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("password")));
}

TEST_F(AccountServiceTest, RegisterStoresTrimmedNameEmailAsGivenAndAHash) {
  auto org = service_.Register("  Acme  ", "Alice@Example.com", kPassword);
  ASSERT_THAT(org, IsOk());
  EXPECT_EQ(org->name, "Acme");
  EXPECT_EQ(org->email, "Alice@Example.com");
  EXPECT_EQ(org->created_at_ms, clock_.NowUnixMs());
  for (const std::string& s : store_.AllStoredStrings()) {
    EXPECT_EQ(s.find(kPassword), std::string::npos) << s;
  }
  auto rec = store_.FindOrganizationByEmail("alice@example.com");
  ASSERT_TRUE(rec.ok() && rec->has_value());
  EXPECT_TRUE(VerifyPassword(kPassword, (*rec)->password_hash));
}

TEST_F(AccountServiceTest, DuplicateEmailInAnyCaseIsAlreadyExists) {
  MustRegister("alice@example.com");
  EXPECT_THAT(service_.Register("Other", "alice@example.com", kPassword),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("email")));
  EXPECT_THAT(service_.Register("Other", "ALICE@Example.COM", kPassword),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_F(AccountServiceTest, LoginIssuesASessionThatValidatesUntilItExpires) {
  Organization org = MustRegister();
  auto login = service_.Login("ALICE@example.com", kPassword);
  ASSERT_THAT(login, IsOk());
  EXPECT_EQ(login->organization.id, org.id);
  EXPECT_TRUE(IsWellFormedSessionToken(login->session_token));
  EXPECT_EQ(login->expires_at_ms, clock_.NowUnixMs() + 168LL * 3600 * 1000);

  auto v = service_.ValidateSession(login->session_token);
  ASSERT_THAT(v, IsOk());
  EXPECT_EQ(v->organization.id, org.id);
  EXPECT_EQ(v->expires_at_ms, login->expires_at_ms);

  clock_.Advance(std::chrono::hours(168) - std::chrono::milliseconds(1));
  EXPECT_THAT(service_.ValidateSession(login->session_token), IsOk());
  clock_.Advance(std::chrono::milliseconds(1));
  EXPECT_THAT(service_.ValidateSession(login->session_token),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(AccountServiceTest, LogoutRevokesAndIsIdempotent) {
  MustRegister();
  auto login = service_.Login("alice@example.com", kPassword);
  ASSERT_THAT(login, IsOk());
  EXPECT_THAT(service_.Logout(login->session_token), IsOk());
  EXPECT_THAT(service_.ValidateSession(login->session_token),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(service_.Logout(login->session_token), IsOk());
  EXPECT_THAT(service_.Logout("garbage"), IsOk());
  EXPECT_THAT(service_.ValidateSession(""), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(service_.ValidateSession(NewSessionToken()),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(AccountServiceTest, UnknownEmailAndWrongPasswordLookTheSame) {
  MustRegister();
  auto wrong = service_.Login("alice@example.com", "wrong-password");
  auto unknown = service_.Login("nobody@example.com", kPassword);
  EXPECT_THAT(wrong, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(unknown, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(wrong.status().message(), unknown.status().message());
}

TEST_F(AccountServiceTest, FiveFailuresThrottleUntilTheWindowPasses) {
  MustRegister();
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(service_.Login("alice@example.com", "wrong-password"),
                StatusIs(absl::StatusCode::kUnauthenticated))
        << i;
    clock_.Advance(std::chrono::minutes(1));
  }
  // Even the right password is refused while throttled, in any case of the email.
  EXPECT_THAT(service_.Login("Alice@Example.com", kPassword),
              StatusIs(absl::StatusCode::kResourceExhausted));
  // The window started at the first failure, 5 minutes ago: 10 more minutes.
  clock_.Advance(std::chrono::minutes(10) - std::chrono::milliseconds(1));
  EXPECT_THAT(service_.Login("alice@example.com", kPassword),
              StatusIs(absl::StatusCode::kResourceExhausted));
  clock_.Advance(std::chrono::milliseconds(1));
  EXPECT_THAT(service_.Login("alice@example.com", kPassword), IsOk());
}

TEST_F(AccountServiceTest, SuccessClearsTheFailureCount) {
  MustRegister();
  for (int i = 0; i < 4; ++i) {
    EXPECT_THAT(service_.Login("alice@example.com", "wrong-password"),
                StatusIs(absl::StatusCode::kUnauthenticated));
  }
  EXPECT_THAT(service_.Login("alice@example.com", kPassword), IsOk());
  for (int i = 0; i < 4; ++i) {
    EXPECT_THAT(service_.Login("alice@example.com", "wrong-password"),
                StatusIs(absl::StatusCode::kUnauthenticated));
  }
  EXPECT_THAT(service_.Login("alice@example.com", kPassword), IsOk());
}

TEST_F(AccountServiceTest, FailuresSpreadOverMoreThanTheWindowDoNotThrottle) {
  MustRegister();
  for (int i = 0; i < 8; ++i) {
    EXPECT_THAT(service_.Login("alice@example.com", "wrong-password"),
                StatusIs(absl::StatusCode::kUnauthenticated))
        << i;
    clock_.Advance(std::chrono::minutes(4));  // the window restarts every 4th failure
  }
}

TEST_F(AccountServiceTest, UnknownEmailsAreThrottledToo) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(service_.Login("ghost@example.com", kPassword),
                StatusIs(absl::StatusCode::kUnauthenticated));
  }
  EXPECT_THAT(service_.Login("ghost@example.com", kPassword),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST_F(AccountServiceTest, LoginUpgradesTheHashWhenIterationsChange) {
  Organization org = MustRegister();
  AccountServiceOptions o = Options();
  o.password_iterations = 1500;
  AccountService upgraded(store_, clock_, o);
  ASSERT_THAT(upgraded.Login("alice@example.com", kPassword), IsOk());
  auto rec = store_.FindOrganizationByEmail("alice@example.com");
  ASSERT_TRUE(rec.ok() && rec->has_value());
  auto h = ParsePasswordHash((*rec)->password_hash);
  ASSERT_THAT(h, IsOk());
  EXPECT_EQ(h->iterations, 1500);
  EXPECT_THAT(service_.Login("alice@example.com", kPassword), IsOk());
}

TEST_F(AccountServiceTest, CredentialsLifecycle) {
  Organization org = MustRegister();
  auto first = service_.CreateCredential(CredentialKind::kMonitorToken, org.id, "first");
  ASSERT_THAT(first, IsOk());
  clock_.Advance(std::chrono::seconds(1));
  auto second = service_.CreateCredential(CredentialKind::kMonitorToken, org.id, "second");
  ASSERT_THAT(second, IsOk());
  EXPECT_TRUE(IsWellFormedCredential(CredentialKind::kMonitorToken, first->secret));
  EXPECT_EQ(first->credential.prefix, first->secret.substr(0, 12));
  EXPECT_TRUE(first->credential.active);

  auto list = service_.ListCredentials(CredentialKind::kMonitorToken, org.id);
  ASSERT_THAT(list, IsOk());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "second");  // newest first
  EXPECT_EQ((*list)[1].name, "first");
  EXPECT_THAT(*service_.ListCredentials(CredentialKind::kApiKey, org.id), IsEmpty());

  auto v = service_.ValidateCredential(CredentialKind::kMonitorToken, first->secret);
  ASSERT_THAT(v, IsOk());
  EXPECT_TRUE(v->valid);
  EXPECT_EQ(v->organization_id, org.id);
  EXPECT_EQ(v->credential_id, first->credential.id);

  auto revoked =
      service_.RevokeCredential(CredentialKind::kMonitorToken, org.id, first->credential.id);
  ASSERT_THAT(revoked, IsOk());
  EXPECT_FALSE(revoked->active);
  v = service_.ValidateCredential(CredentialKind::kMonitorToken, first->secret);
  ASSERT_THAT(v, IsOk());
  EXPECT_FALSE(v->valid);
  EXPECT_EQ(v->organization_id, "");
  // A monitor token is not an API key.
  v = service_.ValidateCredential(CredentialKind::kApiKey, second->secret);
  ASSERT_THAT(v, IsOk());
  EXPECT_FALSE(v->valid);
}

TEST_F(AccountServiceTest, RevokeIsScopedToTheOrganizationAndKind) {
  Organization a = MustRegister("a@example.com");
  Organization b = MustRegister("b@example.com");
  auto key = service_.CreateCredential(CredentialKind::kApiKey, a.id, "k");
  ASSERT_THAT(key, IsOk());
  EXPECT_THAT(service_.RevokeCredential(CredentialKind::kApiKey, b.id, key->credential.id),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(service_.RevokeCredential(CredentialKind::kMonitorToken, a.id, key->credential.id),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(service_.RevokeCredential(CredentialKind::kApiKey, a.id, "not-a-uuid"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(service_.RevokeCredential(CredentialKind::kApiKey, a.id,
                                        "00000000-0000-4000-8000-000000000000"),
              StatusIs(absl::StatusCode::kNotFound));
  auto v = service_.ValidateCredential(CredentialKind::kApiKey, key->secret);
  ASSERT_THAT(v, IsOk());
  EXPECT_TRUE(v->valid);
}

TEST_F(AccountServiceTest, UnknownOrganizationIsNotFound) {
  EXPECT_THAT(service_.CreateCredential(CredentialKind::kApiKey,
                                        "00000000-0000-4000-8000-000000000000", "k"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(service_.CreateCredential(CredentialKind::kApiKey, "nope", "k"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(service_.ListCredentials(CredentialKind::kApiKey, "nope"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(service_.GetOrganization("nope"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(AccountServiceTest, MalformedSecretsAreInvalidWithoutAStoreLookup) {
  Organization org = MustRegister();
  for (const char* bad : {"", "sk-proj-abc", "mon_sk_short", "llm_sk_"}) {
    auto v = service_.ValidateCredential(CredentialKind::kMonitorToken, bad);
    ASSERT_THAT(v, IsOk());
    EXPECT_FALSE(v->valid);
  }
  EXPECT_EQ(store_.find_credential_calls(), 0);
  auto v = service_.ValidateCredential(CredentialKind::kMonitorToken,
                                       NewCredentialSecret(CredentialKind::kMonitorToken));
  ASSERT_THAT(v, IsOk());
  EXPECT_FALSE(v->valid);
  EXPECT_EQ(store_.find_credential_calls(), 1);
}

TEST_F(AccountServiceTest, StoreFailureOnValidateIsAnErrorNotInvalid) {
  store_.FailWith(absl::UnavailableError("database connection lost"));
  EXPECT_THAT(service_.ValidateCredential(CredentialKind::kApiKey,
                                          NewCredentialSecret(CredentialKind::kApiKey)),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(AccountServiceTest, LastUsedIsWrittenInOneBatchOnFlush) {
  Organization org = MustRegister();
  auto t1 = service_.CreateCredential(CredentialKind::kApiKey, org.id, "one");
  auto t2 = service_.CreateCredential(CredentialKind::kApiKey, org.id, "two");
  ASSERT_THAT(t1, IsOk());
  ASSERT_THAT(t2, IsOk());
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(service_.ValidateCredential(CredentialKind::kApiKey, t1->secret)->valid);
    clock_.Advance(std::chrono::seconds(1));
  }
  const int64_t last = clock_.NowUnixMs();
  ASSERT_TRUE(service_.ValidateCredential(CredentialKind::kApiKey, t2->secret)->valid);
  EXPECT_EQ(store_.record_uses_calls(), 0);  // nothing written per validation
  EXPECT_EQ(service_.last_used().pending(), 2u);
  EXPECT_EQ((*service_.ListCredentials(CredentialKind::kApiKey, org.id))[0].last_used_at_ms, 0);

  ASSERT_THAT(service_.last_used().Flush(), IsOk());
  EXPECT_EQ(store_.record_uses_calls(), 1);
  EXPECT_EQ(service_.last_used().pending(), 0u);
  auto list = *service_.ListCredentials(CredentialKind::kApiKey, org.id);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, t2->credential.id);
  EXPECT_EQ(list[0].last_used_at_ms, last);
  EXPECT_EQ(list[1].last_used_at_ms, last - 1000);
  ASSERT_THAT(service_.last_used().Flush(), IsOk());
  EXPECT_EQ(store_.record_uses_calls(), 1);  // nothing pending: no write
}

TEST_F(AccountServiceTest, FailedFlushKeepsUsesForTheNextOne) {
  Organization org = MustRegister();
  auto t = service_.CreateCredential(CredentialKind::kApiKey, org.id, "one");
  ASSERT_THAT(t, IsOk());
  ASSERT_TRUE(service_.ValidateCredential(CredentialKind::kApiKey, t->secret)->valid);
  store_.FailWith(absl::UnavailableError("down"));
  EXPECT_THAT(service_.last_used().Flush(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(service_.last_used().pending(), 1u);
  store_.FailWith(absl::OkStatus());
  ASSERT_THAT(service_.last_used().Flush(), IsOk());
  EXPECT_EQ((*service_.ListCredentials(CredentialKind::kApiKey, org.id))[0].last_used_at_ms,
            clock_.NowUnixMs());
}

TEST_F(AccountServiceTest, BackgroundFlusherWritesAndStopFlushesTheRest) {
  Organization org = MustRegister();
  auto t = service_.CreateCredential(CredentialKind::kApiKey, org.id, "one");
  ASSERT_THAT(t, IsOk());
  service_.last_used().Start(std::chrono::milliseconds(20));
  ASSERT_TRUE(service_.ValidateCredential(CredentialKind::kApiKey, t->secret)->valid);
  for (int i = 0; i < 200 && store_.record_uses_calls() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(store_.record_uses_calls(), 1);
  clock_.Advance(std::chrono::seconds(5));
  ASSERT_TRUE(service_.ValidateCredential(CredentialKind::kApiKey, t->secret)->valid);
  ASSERT_THAT(service_.last_used().Stop(), IsOk());
  EXPECT_EQ(service_.last_used().pending(), 0u);
  EXPECT_EQ((*service_.ListCredentials(CredentialKind::kApiKey, org.id))[0].last_used_at_ms,
            clock_.NowUnixMs());
}

TEST_F(AccountServiceTest, NoSecretIsStoredInClear) {
  Organization org = MustRegister();
  auto login = service_.Login("alice@example.com", kPassword);
  ASSERT_THAT(login, IsOk());
  auto mon = service_.CreateCredential(CredentialKind::kMonitorToken, org.id, "m");
  auto key = service_.CreateCredential(CredentialKind::kApiKey, org.id, "k");
  ASSERT_THAT(mon, IsOk());
  ASSERT_THAT(key, IsOk());
  for (const std::string& s : store_.AllStoredStrings()) {
    for (const std::string& secret :
         {std::string(kPassword), login->session_token, mon->secret, key->secret}) {
      EXPECT_EQ(s.find(secret), std::string::npos) << s;
    }
  }
}

}  // namespace
}  // namespace llmgw::accounts

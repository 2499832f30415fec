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
  auto rec = store_.FindUserByEmail("alice@example.com");
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

class CountingThrottleListener final : public LoginThrottleListener {
 public:
  void OnLockout(ThrottleScope s) override { ++lockouts[static_cast<int>(s)]; }
  void OnRefused(ThrottleScope s) override { ++refused[static_cast<int>(s)]; }
  int lockouts[2] = {0, 0};
  int refused[2] = {0, 0};
};

TEST_F(AccountServiceTest, AnAttackerLocksOutOnlyTheirOwnAddress) {
  CountingThrottleListener listener;
  AccountServiceOptions o = Options();
  o.throttle_listener = &listener;
  AccountService service(store_, clock_, o);
  MustRegister();
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(service.Login("alice@example.com", "wrong-password", "203.0.113.66"),
                StatusIs(absl::StatusCode::kUnauthenticated));
  }
  EXPECT_EQ(listener.lockouts[static_cast<int>(ThrottleScope::kEmailAndAddress)], 1);
  // The attacker's address is locked out for this email, even with the right password...
  EXPECT_THAT(service.Login("alice@example.com", kPassword, "203.0.113.66"),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("this email")));
  EXPECT_EQ(listener.refused[static_cast<int>(ThrottleScope::kEmailAndAddress)], 1);
  // ...while the owner logs in from anywhere else.
  EXPECT_THAT(service.Login("alice@example.com", kPassword, "198.51.100.7"), IsOk());
  EXPECT_THAT(service.Login("alice@example.com", kPassword, "2001:db8::1"), IsOk());
  EXPECT_EQ(listener.lockouts[static_cast<int>(ThrottleScope::kAddress)], 0);
  clock_.Advance(std::chrono::minutes(15));
  EXPECT_THAT(service.Login("alice@example.com", kPassword, "203.0.113.66"), IsOk());
}

TEST_F(AccountServiceTest, OneAddressTryingManyEmailsIsThrottledAsAWhole) {
  CountingThrottleListener listener;
  AccountServiceOptions o = Options();
  o.throttle_listener = &listener;
  AccountService service(store_, clock_, o);
  MustRegister();
  // A spray: four guesses at each of many emails stays under the per-pair limit...
  int failures = 0;
  for (int e = 0; failures < 50; ++e) {
    for (int i = 0; i < 4 && failures < 50; ++i, ++failures) {
      EXPECT_THAT(
          service.Login("user" + std::to_string(e) + "@example.com", "guess", "203.0.113.9"),
          StatusIs(absl::StatusCode::kUnauthenticated));
    }
  }
  EXPECT_EQ(listener.lockouts[static_cast<int>(ThrottleScope::kEmailAndAddress)], 0);
  EXPECT_EQ(listener.lockouts[static_cast<int>(ThrottleScope::kAddress)], 1);
  // ...but the address as a whole is now refused, for any email.
  EXPECT_THAT(service.Login("alice@example.com", kPassword, "203.0.113.9"),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("this address")));
  EXPECT_EQ(listener.refused[static_cast<int>(ThrottleScope::kAddress)], 1);
  EXPECT_THAT(service.Login("alice@example.com", kPassword, "203.0.113.10"), IsOk());
}

TEST_F(AccountServiceTest, ASuccessDoesNotClearTheAddressCount) {
  AccountServiceOptions o = Options();
  o.throttle.max_address_failures = 6;
  AccountService service(store_, clock_, o);
  MustRegister();
  for (int i = 0; i < 4; ++i) {
    EXPECT_THAT(service.Login("x" + std::to_string(i) + "@example.com", "guess", "192.0.2.1"),
                StatusIs(absl::StatusCode::kUnauthenticated));
  }
  // The attacker's own valid account does not reset the address.
  EXPECT_THAT(service.Login("alice@example.com", kPassword, "192.0.2.1"), IsOk());
  for (int i = 0; i < 2; ++i) {
    EXPECT_THAT(service.Login("y" + std::to_string(i) + "@example.com", "guess", "192.0.2.1"),
                StatusIs(absl::StatusCode::kUnauthenticated));
  }
  EXPECT_THAT(service.Login("alice@example.com", kPassword, "192.0.2.1"),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST_F(AccountServiceTest, LoginUpgradesTheHashWhenIterationsChange) {
  Organization org = MustRegister();
  AccountServiceOptions o = Options();
  o.password_iterations = 1500;
  AccountService upgraded(store_, clock_, o);
  ASSERT_THAT(upgraded.Login("alice@example.com", kPassword), IsOk());
  auto rec = store_.FindUserByEmail("alice@example.com");
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

// Registers alice (owner of Acme) and returns her login.
class MembersTest : public AccountServiceTest {
 protected:
  void SetUp() override {
    org_ = MustRegister("alice@example.com");
    auto login = service_.Login("alice@example.com", kPassword);
    ASSERT_THAT(login, IsOk());
    alice_ = login->user;
    EXPECT_EQ(login->role, Role::kOwner);
  }
  // Invites `email` with `role` (by alice) and accepts as a new user; returns their login.
  LoginResult Join(const std::string& email, Role role) {
    auto inv = service_.Invite(org_.id, alice_.id, email, role);
    EXPECT_THAT(inv, IsOk());
    auto joined = service_.AcceptInvitation(inv->token, "Name " + email, kPassword);
    EXPECT_THAT(joined, IsOk());
    return joined.ok() ? *joined : LoginResult{};
  }
  Organization org_;
  User alice_;
};

TEST_F(MembersTest, InvitationsAreSingleUseHashedAndExpireAfterSevenDays) {
  auto inv = service_.Invite(org_.id, alice_.id, " Bob@Example.com ", Role::kViewer);
  ASSERT_THAT(inv, IsOk());
  EXPECT_TRUE(IsWellFormedInvitationToken(inv->token));
  EXPECT_EQ(inv->invitation.email, "Bob@Example.com");
  EXPECT_EQ(inv->invitation.expires_at_ms - clock_.NowUnixMs(), 7 * 24 * 3600 * 1000LL);
  for (const std::string& s : store_.AllStoredStrings()) {
    EXPECT_EQ(s.find(inv->token), std::string::npos) << s;
  }
  auto bob = service_.AcceptInvitation(inv->token, "Bob", kPassword);
  ASSERT_THAT(bob, IsOk());
  EXPECT_EQ(bob->organization.id, org_.id);
  EXPECT_EQ(bob->role, Role::kViewer);
  EXPECT_EQ(bob->user.name, "Bob");
  EXPECT_THAT(service_.ValidateSession(bob->session_token), IsOk());
  // Used once: never again.
  EXPECT_THAT(service_.AcceptInvitation(inv->token, "Bob", kPassword),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already used")));
  // Expiry: valid until 7 days have passed.
  auto late = service_.Invite(org_.id, alice_.id, "carol@example.com", Role::kMember);
  ASSERT_THAT(late, IsOk());
  clock_.Advance(std::chrono::hours(24 * 7));
  EXPECT_THAT(service_.AcceptInvitation(late->token, "Carol", kPassword),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(service_.AcceptInvitation("inv_nope", "Carol", kPassword),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // Bob logs in with his own password, into Acme.
  auto login = service_.Login("bob@example.com", kPassword);
  ASSERT_THAT(login, IsOk());
  EXPECT_EQ(login->organization.id, org_.id);
}

TEST_F(MembersTest, AnExistingUserGainsTheOrganizationAndSwitches) {
  Organization beta = MustRegister("bob@example.com");
  auto inv = service_.Invite(org_.id, alice_.id, "BOB@example.com", Role::kAdmin);
  ASSERT_THAT(inv, IsOk());
  EXPECT_THAT(service_.AcceptInvitation(inv->token, "", "wrong-password"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  auto bob = service_.AcceptInvitation(inv->token, "", kPassword);
  ASSERT_THAT(bob, IsOk());
  EXPECT_EQ(bob->organization.id, org_.id);
  EXPECT_EQ(bob->role, Role::kAdmin);
  auto orgs = service_.ListMemberships(bob->user.id);
  ASSERT_THAT(orgs, IsOk());
  ASSERT_EQ(orgs->size(), 2u);
  EXPECT_EQ((*orgs)[0].organization.id, beta.id);  // oldest first
  EXPECT_EQ((*orgs)[0].role, Role::kOwner);
  // A login starts in the oldest membership; switching moves the session.
  auto login = service_.Login("bob@example.com", kPassword);
  ASSERT_THAT(login, IsOk());
  EXPECT_EQ(login->organization.id, beta.id);
  auto switched = service_.SwitchOrganization(login->session_token, org_.id);
  ASSERT_THAT(switched, IsOk());
  EXPECT_EQ(switched->role, Role::kAdmin);
  auto now = service_.ValidateSession(login->session_token);
  ASSERT_THAT(now, IsOk());
  EXPECT_EQ(now->organization.id, org_.id);
  // Not a member of it: not found, the session stays where it was.
  Organization gamma = MustRegister("carol@example.com");
  EXPECT_THAT(service_.SwitchOrganization(login->session_token, gamma.id),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(service_.ValidateSession(login->session_token)->organization.id, org_.id);
}

TEST_F(MembersTest, RolesDecideWhoManagesWhom) {
  LoginResult admin = Join("admin@example.com", Role::kAdmin);
  LoginResult member = Join("member@example.com", Role::kMember);
  EXPECT_THAT(service_.Invite(org_.id, admin.user.id, "x@example.com", Role::kOwner),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("owners")));
  EXPECT_THAT(service_.Invite(org_.id, member.user.id, "x@example.com", Role::kViewer),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(service_.Invite(org_.id, admin.user.id, "MEMBER@example.com", Role::kViewer),
              StatusIs(absl::StatusCode::kAlreadyExists));
  // Admins manage non-owners; only owners touch owners.
  auto demoted = service_.ChangeMembership(org_.id, admin.user.id, member.user.id, Role::kViewer);
  ASSERT_THAT(demoted, IsOk());
  EXPECT_EQ(demoted->before.role, Role::kMember);
  EXPECT_EQ(demoted->after, Role::kViewer);
  EXPECT_THAT(service_.ChangeMembership(org_.id, admin.user.id, member.user.id, Role::kOwner),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(service_.ChangeMembership(org_.id, admin.user.id, alice_.id, Role::kAdmin),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(service_.ChangeMembership(org_.id, member.user.id, admin.user.id, std::nullopt),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // The last owner can neither be demoted nor leave...
  EXPECT_THAT(service_.ChangeMembership(org_.id, alice_.id, alice_.id, Role::kAdmin),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("last owner")));
  EXPECT_THAT(service_.ChangeMembership(org_.id, alice_.id, alice_.id, std::nullopt),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("last owner")));
  // ...until there is another.
  ASSERT_THAT(service_.ChangeMembership(org_.id, alice_.id, admin.user.id, Role::kOwner), IsOk());
  ASSERT_THAT(service_.ChangeMembership(org_.id, alice_.id, alice_.id, std::nullopt), IsOk());
  EXPECT_THAT(service_.ChangeMembership(org_.id, admin.user.id,
                                        "00000000-0000-4000-8000-000000000000", Role::kViewer),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(MembersTest, ARemovedMembersSessionEnds) {
  LoginResult viewer = Join("viewer@example.com", Role::kViewer);
  ASSERT_THAT(service_.ValidateSession(viewer.session_token), IsOk());
  ASSERT_THAT(service_.ChangeMembership(org_.id, alice_.id, viewer.user.id, std::nullopt), IsOk());
  EXPECT_THAT(service_.ValidateSession(viewer.session_token),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(service_.Login("viewer@example.com", kPassword),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(MembersTest, MembersRevokeOnlyWhatTheyCreated) {
  LoginResult member = Join("member@example.com", Role::kMember);
  auto mine = service_.CreateCredential(CredentialKind::kApiKey, org_.id, "m", member.user.id);
  auto hers = service_.CreateCredential(CredentialKind::kApiKey, org_.id, "a", alice_.id);
  ASSERT_THAT(mine, IsOk());
  ASSERT_THAT(hers, IsOk());
  EXPECT_EQ(mine->credential.created_by_user_id, member.user.id);
  EXPECT_THAT(service_.RevokeCredential(CredentialKind::kApiKey, org_.id, hers->credential.id,
                                        member.user.id),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(service_.RevokeCredential(CredentialKind::kApiKey, org_.id, mine->credential.id,
                                        member.user.id),
              IsOk());
  EXPECT_THAT(service_.RevokeCredential(CredentialKind::kApiKey, org_.id, hers->credential.id),
              IsOk());
}

}  // namespace
}  // namespace llmgw::accounts

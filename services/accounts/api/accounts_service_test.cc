// Every RPC of AccountsService through a real GrpcServer (port 0) on a real PostgreSQL database.

#include "services/accounts/api/accounts_service.h"

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/clock.h"
#include "libs/common/crypto.h"
#include "libs/grpc/internal_token.h"
#include "libs/testing/pg_test_db.h"
#include "llmgw/accounts/v1/accounts.grpc.pb.h"

namespace llmgw::accounts {
namespace {

namespace pb = llmgw::accounts::v1;
using ::testing::HasSubstr;

constexpr char kToken[] = "accounts-test-internal-token-0123";
constexpr char kPassword[] = "password123";

class AccountsGrpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = test::PgTestDb::Create();
    AccountServiceOptions service_options;
    service_options.password_iterations = 1000;
    InProcessAccounts::Options o;
    o.database_url = db_->url();
    o.internal_token = kToken;
    o.clock = &clock_;
    o.service_options = service_options;
    auto accounts = InProcessAccounts::Start(o);
    ASSERT_TRUE(accounts.ok()) << accounts.status();
    accounts_ = std::move(*accounts);
    stub_ = pb::AccountsService::NewStub(grpcutil::MakeChannel(accounts_->target()));
  }

  // Runs one call with the internal token and a deadline.
  template <typename F>
  grpc::Status Call(F f, bool with_token = true) {
    grpc::ClientContext ctx;
    if (with_token) {
      grpcutil::PrepareClientContext(ctx, kToken, std::chrono::seconds(10));
    } else {
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    }
    return f(&ctx);
  }

  grpc::Status Register(const std::string& name, const std::string& email,
                        const std::string& password, pb::RegisterResponse* resp) {
    pb::RegisterRequest req;
    req.set_name(name);
    req.set_email(email);
    req.set_password(password);
    return Call([&](grpc::ClientContext* c) { return stub_->Register(c, req, resp); });
  }

  pb::Organization MustRegister(const std::string& email) {
    pb::RegisterResponse resp;
    grpc::Status s = Register("Acme", email, kPassword, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.organization();
  }

  grpc::Status Login(const std::string& email, const std::string& password,
                     pb::LoginResponse* resp) {
    pb::LoginRequest req;
    req.set_email(email);
    req.set_password(password);
    return Call([&](grpc::ClientContext* c) { return stub_->Login(c, req, resp); });
  }

  grpc::Status ValidateSession(const std::string& token, pb::ValidateSessionResponse* resp) {
    pb::ValidateSessionRequest req;
    req.set_session_token(token);
    return Call([&](grpc::ClientContext* c) { return stub_->ValidateSession(c, req, resp); });
  }

  pb::CreateMonitorTokenResponse MustCreateMonitorToken(const std::string& org_id,
                                                        const std::string& name) {
    pb::CreateMonitorTokenRequest req;
    req.set_organization_id(org_id);
    req.set_name(name);
    pb::CreateMonitorTokenResponse resp;
    grpc::Status s =
        Call([&](grpc::ClientContext* c) { return stub_->CreateMonitorToken(c, req, &resp); });
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  pb::CreateApiKeyResponse MustCreateApiKey(const std::string& org_id, const std::string& name) {
    pb::CreateApiKeyRequest req;
    req.set_organization_id(org_id);
    req.set_name(name);
    pb::CreateApiKeyResponse resp;
    grpc::Status s =
        Call([&](grpc::ClientContext* c) { return stub_->CreateApiKey(c, req, &resp); });
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  pb::ValidateMonitorTokenResponse ValidateMonitorToken(const std::string& token) {
    pb::ValidateMonitorTokenRequest req;
    req.set_token(token);
    pb::ValidateMonitorTokenResponse resp;
    grpc::Status s =
        Call([&](grpc::ClientContext* c) { return stub_->ValidateMonitorToken(c, req, &resp); });
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  pb::ValidateApiKeyResponse ValidateApiKey(const std::string& key) {
    pb::ValidateApiKeyRequest req;
    req.set_key(key);
    pb::ValidateApiKeyResponse resp;
    grpc::Status s =
        Call([&](grpc::ClientContext* c) { return stub_->ValidateApiKey(c, req, &resp); });
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  grpc::Status RevokeMonitorToken(const std::string& org_id, const std::string& id,
                                  pb::RevokeMonitorTokenResponse* resp) {
    pb::RevokeMonitorTokenRequest req;
    req.set_organization_id(org_id);
    req.set_credential_id(id);
    return Call([&](grpc::ClientContext* c) { return stub_->RevokeMonitorToken(c, req, resp); });
  }

  grpc::Status RevokeApiKey(const std::string& org_id, const std::string& id,
                            pb::RevokeApiKeyResponse* resp) {
    pb::RevokeApiKeyRequest req;
    req.set_organization_id(org_id);
    req.set_credential_id(id);
    return Call([&](grpc::ClientContext* c) { return stub_->RevokeApiKey(c, req, resp); });
  }

  std::vector<pb::Credential> ListMonitorTokens(const std::string& org_id) {
    pb::ListMonitorTokensRequest req;
    req.set_organization_id(org_id);
    pb::ListMonitorTokensResponse resp;
    grpc::Status s =
        Call([&](grpc::ClientContext* c) { return stub_->ListMonitorTokens(c, req, &resp); });
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.credentials().begin(), resp.credentials().end()};
  }

  std::vector<pb::Credential> ListApiKeys(const std::string& org_id) {
    pb::ListApiKeysRequest req;
    req.set_organization_id(org_id);
    pb::ListApiKeysResponse resp;
    grpc::Status s =
        Call([&](grpc::ClientContext* c) { return stub_->ListApiKeys(c, req, &resp); });
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.credentials().begin(), resp.credentials().end()};
  }

  FakeClock clock_;
  std::unique_ptr<test::PgTestDb> db_;
  std::unique_ptr<InProcessAccounts> accounts_;
  std::unique_ptr<pb::AccountsService::Stub> stub_;
};

TEST_F(AccountsGrpcTest, RegisterLoginValidateSessionGetOrganizationLogout) {
  pb::RegisterResponse reg;
  ASSERT_TRUE(Register(" Acme Inc ", "Alice@Example.com", kPassword, &reg).ok());
  const pb::Organization& org = reg.organization();
  EXPECT_EQ(org.id().size(), 36u);
  EXPECT_EQ(org.name(), "Acme Inc");
  EXPECT_EQ(org.email(), "Alice@Example.com");
  EXPECT_EQ(org.created_at_unix_ms(), clock_.NowUnixMs());

  pb::LoginResponse login;
  ASSERT_TRUE(Login("alice@example.com", kPassword, &login).ok());
  EXPECT_EQ(login.organization().id(), org.id());
  EXPECT_EQ(login.session_token().size(), 43u);
  EXPECT_EQ(login.expires_at_unix_ms(), clock_.NowUnixMs() + 168LL * 3600 * 1000);

  pb::ValidateSessionResponse session;
  ASSERT_TRUE(ValidateSession(login.session_token(), &session).ok());
  EXPECT_EQ(session.organization().id(), org.id());
  EXPECT_EQ(session.organization().email(), "Alice@Example.com");
  EXPECT_EQ(session.expires_at_unix_ms(), login.expires_at_unix_ms());

  pb::GetOrganizationRequest get_req;
  get_req.set_organization_id(org.id());
  pb::GetOrganizationResponse get;
  ASSERT_TRUE(
      Call([&](grpc::ClientContext* c) { return stub_->GetOrganization(c, get_req, &get); }).ok());
  EXPECT_EQ(get.organization().name(), "Acme Inc");
  get_req.set_organization_id("00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(Call([&](grpc::ClientContext* c) {
              return stub_->GetOrganization(c, get_req, &get);
            }).error_code(),
            grpc::StatusCode::NOT_FOUND);
  get_req.set_organization_id("not-a-uuid");
  EXPECT_EQ(Call([&](grpc::ClientContext* c) {
              return stub_->GetOrganization(c, get_req, &get);
            }).error_code(),
            grpc::StatusCode::NOT_FOUND);

  pb::LogoutRequest logout_req;
  logout_req.set_session_token(login.session_token());
  pb::LogoutResponse logout;
  ASSERT_TRUE(
      Call([&](grpc::ClientContext* c) { return stub_->Logout(c, logout_req, &logout); }).ok());
  EXPECT_EQ(ValidateSession(login.session_token(), &session).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // Idempotent.
  EXPECT_TRUE(
      Call([&](grpc::ClientContext* c) { return stub_->Logout(c, logout_req, &logout); }).ok());
  logout_req.set_session_token("never-issued");
  EXPECT_TRUE(
      Call([&](grpc::ClientContext* c) { return stub_->Logout(c, logout_req, &logout); }).ok());
}

TEST_F(AccountsGrpcTest, RegisterRejectsBadInputNamingTheField) {
  pb::RegisterResponse resp;
  grpc::Status s = Register("", "a@example.com", kPassword, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("name"));
  s = Register("Acme", "a@example", kPassword, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("email"));
  s = Register("Acme", "a@example.com", "1234567", &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("password"));
  EXPECT_THAT(s.error_message(), ::testing::Not(HasSubstr("1234567")));
}

TEST_F(AccountsGrpcTest, DuplicateEmailInAnyCaseIsAlreadyExists) {
  MustRegister("bob@example.com");
  pb::RegisterResponse resp;
  EXPECT_EQ(Register("Other", "bob@example.com", kPassword, &resp).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  grpc::Status s = Register("Other", "BOB@Example.COM", kPassword, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(s.error_message(), HasSubstr("email"));
}

TEST_F(AccountsGrpcTest, WrongPasswordAndUnknownEmailAreTheSameUnauthenticated) {
  MustRegister("carol@example.com");
  pb::LoginResponse resp;
  grpc::Status wrong = Login("carol@example.com", "wrong-password", &resp);
  grpc::Status unknown = Login("nobody@example.com", kPassword, &resp);
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(wrong.error_message(), unknown.error_message());
}

TEST_F(AccountsGrpcTest, RepeatedFailuresAreThrottledUntilTheWindowPasses) {
  MustRegister("dave@example.com");
  pb::LoginResponse resp;
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Login("dave@example.com", "wrong-password", &resp).error_code(),
              grpc::StatusCode::UNAUTHENTICATED)
        << i;
  }
  EXPECT_EQ(Login("DAVE@example.com", kPassword, &resp).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  clock_.Advance(std::chrono::minutes(15));
  ASSERT_TRUE(Login("dave@example.com", kPassword, &resp).ok());
  // The success cleared the count: four more failures do not throttle.
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(Login("dave@example.com", "wrong-password", &resp).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  EXPECT_TRUE(Login("dave@example.com", kPassword, &resp).ok());
}

TEST_F(AccountsGrpcTest, ExpiredSessionIsUnauthenticated) {
  MustRegister("erin@example.com");
  pb::LoginResponse login;
  ASSERT_TRUE(Login("erin@example.com", kPassword, &login).ok());
  pb::ValidateSessionResponse session;
  clock_.Advance(std::chrono::hours(167));
  ASSERT_TRUE(ValidateSession(login.session_token(), &session).ok());
  clock_.Advance(std::chrono::hours(1));
  EXPECT_EQ(ValidateSession(login.session_token(), &session).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ValidateSession("", &session).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AccountsGrpcTest, MonitorTokensCreateListValidateRevoke) {
  pb::Organization org = MustRegister("frank@example.com");
  pb::CreateMonitorTokenResponse first = MustCreateMonitorToken(org.id(), "laptop");
  clock_.Advance(std::chrono::seconds(1));
  pb::CreateMonitorTokenResponse second = MustCreateMonitorToken(org.id(), "server");
  EXPECT_THAT(first.token(), ::testing::MatchesRegex("mon_sk_[0-9A-Za-z]{43}"));
  EXPECT_EQ(first.credential().prefix(), first.token().substr(0, 12));
  EXPECT_EQ(first.credential().name(), "laptop");
  EXPECT_TRUE(first.credential().is_active());
  EXPECT_EQ(first.credential().last_used_at_unix_ms(), 0);
  EXPECT_NE(first.token(), second.token());

  std::vector<pb::Credential> list = ListMonitorTokens(org.id());
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id(), second.credential().id());  // newest first
  EXPECT_EQ(list[1].id(), first.credential().id());
  EXPECT_TRUE(ListApiKeys(org.id()).empty());

  pb::ValidateMonitorTokenResponse v = ValidateMonitorToken(first.token());
  EXPECT_TRUE(v.valid());
  EXPECT_EQ(v.organization_id(), org.id());
  EXPECT_EQ(v.credential_id(), first.credential().id());

  pb::RevokeMonitorTokenResponse revoked;
  ASSERT_TRUE(RevokeMonitorToken(org.id(), first.credential().id(), &revoked).ok());
  EXPECT_EQ(revoked.credential().id(), first.credential().id());
  EXPECT_FALSE(revoked.credential().is_active());
  list = ListMonitorTokens(org.id());
  ASSERT_EQ(list.size(), 2u);
  EXPECT_FALSE(list[1].is_active());
  EXPECT_TRUE(list[0].is_active());

  v = ValidateMonitorToken(first.token());
  EXPECT_FALSE(v.valid());
  EXPECT_EQ(v.organization_id(), "");
  EXPECT_EQ(v.credential_id(), "");
  EXPECT_TRUE(ValidateMonitorToken(second.token()).valid());
  // A monitor token is not an API key; a wrong prefix is simply invalid.
  EXPECT_FALSE(ValidateApiKey(second.token()).valid());
  EXPECT_FALSE(ValidateMonitorToken("sk-proj-" + second.token().substr(7)).valid());
  EXPECT_FALSE(ValidateMonitorToken("").valid());
}

TEST_F(AccountsGrpcTest, ApiKeysCreateListValidateRevoke) {
  pb::Organization org = MustRegister("grace@example.com");
  pb::CreateApiKeyResponse key = MustCreateApiKey(org.id(), "prod");
  EXPECT_THAT(key.key(), ::testing::MatchesRegex("llm_sk_[0-9A-Za-z]{43}"));
  EXPECT_EQ(key.credential().prefix(), key.key().substr(0, 12));

  std::vector<pb::Credential> list = ListApiKeys(org.id());
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].id(), key.credential().id());
  EXPECT_EQ(list[0].name(), "prod");
  EXPECT_TRUE(ListMonitorTokens(org.id()).empty());

  pb::ValidateApiKeyResponse v = ValidateApiKey(key.key());
  EXPECT_TRUE(v.valid());
  EXPECT_EQ(v.organization_id(), org.id());
  EXPECT_EQ(v.credential_id(), key.credential().id());

  pb::RevokeApiKeyResponse revoked;
  ASSERT_TRUE(RevokeApiKey(org.id(), key.credential().id(), &revoked).ok());
  EXPECT_FALSE(revoked.credential().is_active());
  EXPECT_FALSE(ValidateApiKey(key.key()).valid());
  EXPECT_FALSE(ListApiKeys(org.id())[0].is_active());
  EXPECT_FALSE(ValidateMonitorToken(key.key()).valid());
}

TEST_F(AccountsGrpcTest, RevokingAnotherOrganizationsCredentialIsNotFound) {
  pb::Organization a = MustRegister("heidi@example.com");
  pb::Organization b = MustRegister("ivan@example.com");
  pb::CreateMonitorTokenResponse token = MustCreateMonitorToken(a.id(), "a-token");
  pb::CreateApiKeyResponse key = MustCreateApiKey(a.id(), "a-key");

  pb::RevokeMonitorTokenResponse rt;
  EXPECT_EQ(RevokeMonitorToken(b.id(), token.credential().id(), &rt).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(RevokeMonitorToken(a.id(), "not-a-uuid", &rt).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(RevokeMonitorToken(a.id(), "00000000-0000-4000-8000-000000000000", &rt).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(RevokeMonitorToken(a.id(), key.credential().id(), &rt).error_code(),
            grpc::StatusCode::NOT_FOUND);  // an API key id is not a monitor token
  pb::RevokeApiKeyResponse rk;
  EXPECT_EQ(RevokeApiKey(b.id(), key.credential().id(), &rk).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(RevokeApiKey("", key.credential().id(), &rk).error_code(), grpc::StatusCode::NOT_FOUND);
  // Nothing was revoked.
  EXPECT_TRUE(ValidateMonitorToken(token.token()).valid());
  EXPECT_TRUE(ValidateApiKey(key.key()).valid());
  EXPECT_TRUE(ListMonitorTokens(b.id()).empty());
}

TEST_F(AccountsGrpcTest, CredentialsForAnUnknownOrganizationAreNotFound) {
  pb::CreateApiKeyRequest req;
  req.set_organization_id("00000000-0000-4000-8000-000000000000");
  pb::CreateApiKeyResponse resp;
  EXPECT_EQ(
      Call([&](grpc::ClientContext* c) { return stub_->CreateApiKey(c, req, &resp); }).error_code(),
      grpc::StatusCode::NOT_FOUND);
  pb::ListMonitorTokensRequest list_req;
  list_req.set_organization_id("garbage");
  pb::ListMonitorTokensResponse list;
  EXPECT_EQ(Call([&](grpc::ClientContext* c) {
              return stub_->ListMonitorTokens(c, list_req, &list);
            }).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(AccountsGrpcTest, LastUsedAtIsSetAfterAFlush) {
  pb::Organization org = MustRegister("judy@example.com");
  pb::CreateApiKeyResponse key = MustCreateApiKey(org.id(), "k");
  pb::CreateMonitorTokenResponse token = MustCreateMonitorToken(org.id(), "t");
  clock_.Advance(std::chrono::seconds(30));
  ASSERT_TRUE(ValidateApiKey(key.key()).valid());
  ASSERT_TRUE(ValidateMonitorToken(token.token()).valid());
  const int64_t used_at = clock_.NowUnixMs();
  EXPECT_EQ(ListApiKeys(org.id())[0].last_used_at_unix_ms(), 0);  // not written per validation

  ASSERT_TRUE(accounts_->FlushLastUsed().ok());
  EXPECT_EQ(ListApiKeys(org.id())[0].last_used_at_unix_ms(), used_at);
  EXPECT_EQ(ListMonitorTokens(org.id())[0].last_used_at_unix_ms(), used_at);
}

TEST_F(AccountsGrpcTest, EveryRpcRequiresTheInternalToken) {
  pb::Organization org = MustRegister("kim@example.com");
  std::vector<grpc::Status> results;
  auto no_token = [&](auto f) { results.push_back(Call(f, /*with_token=*/false)); };
  pb::RegisterRequest reg;
  reg.set_name("X");
  reg.set_email("x@example.com");
  reg.set_password(kPassword);
  pb::RegisterResponse reg_resp;
  no_token([&](grpc::ClientContext* c) { return stub_->Register(c, reg, &reg_resp); });
  pb::LoginRequest login;
  login.set_email("kim@example.com");
  login.set_password(kPassword);
  pb::LoginResponse login_resp;
  no_token([&](grpc::ClientContext* c) { return stub_->Login(c, login, &login_resp); });
  pb::ValidateSessionRequest vs;
  pb::ValidateSessionResponse vs_resp;
  no_token([&](grpc::ClientContext* c) { return stub_->ValidateSession(c, vs, &vs_resp); });
  pb::LogoutRequest lo;
  pb::LogoutResponse lo_resp;
  no_token([&](grpc::ClientContext* c) { return stub_->Logout(c, lo, &lo_resp); });
  pb::GetOrganizationRequest go;
  go.set_organization_id(org.id());
  pb::GetOrganizationResponse go_resp;
  no_token([&](grpc::ClientContext* c) { return stub_->GetOrganization(c, go, &go_resp); });
  pb::CreateMonitorTokenRequest cm;
  cm.set_organization_id(org.id());
  pb::CreateMonitorTokenResponse cm_resp;
  no_token([&](grpc::ClientContext* c) { return stub_->CreateMonitorToken(c, cm, &cm_resp); });
  pb::ListMonitorTokensRequest lm;
  lm.set_organization_id(org.id());
  pb::ListMonitorTokensResponse lm_resp;
  no_token([&](grpc::ClientContext* c) { return stub_->ListMonitorTokens(c, lm, &lm_resp); });
  pb::RevokeMonitorTokenRequest rm;
  pb::RevokeMonitorTokenResponse rm_resp;
  no_token([&](grpc::ClientContext* c) { return stub_->RevokeMonitorToken(c, rm, &rm_resp); });
  pb::ValidateMonitorTokenRequest vm;
  pb::ValidateMonitorTokenResponse vm_resp;
  no_token([&](grpc::ClientContext* c) { return stub_->ValidateMonitorToken(c, vm, &vm_resp); });
  pb::CreateApiKeyRequest ck;
  ck.set_organization_id(org.id());
  pb::CreateApiKeyResponse ck_resp;
  no_token([&](grpc::ClientContext* c) { return stub_->CreateApiKey(c, ck, &ck_resp); });
  pb::ListApiKeysRequest lk;
  lk.set_organization_id(org.id());
  pb::ListApiKeysResponse lk_resp;
  no_token([&](grpc::ClientContext* c) { return stub_->ListApiKeys(c, lk, &lk_resp); });
  pb::RevokeApiKeyRequest rk;
  pb::RevokeApiKeyResponse rk_resp;
  no_token([&](grpc::ClientContext* c) { return stub_->RevokeApiKey(c, rk, &rk_resp); });
  pb::ValidateApiKeyRequest vk;
  pb::ValidateApiKeyResponse vk_resp;
  no_token([&](grpc::ClientContext* c) { return stub_->ValidateApiKey(c, vk, &vk_resp); });

  ASSERT_EQ(results.size(), 13u);
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].error_code(), grpc::StatusCode::UNAUTHENTICATED) << "rpc #" << i;
  }
  // None of them had an effect.
  EXPECT_TRUE(ListMonitorTokens(org.id()).empty());
  EXPECT_TRUE(ListApiKeys(org.id()).empty());
  pb::RegisterResponse again;
  EXPECT_TRUE(Register("X", "x@example.com", kPassword, &again).ok());
}

TEST_F(AccountsGrpcTest, NoTableHoldsAPlaintextSecret) {
  pb::Organization org = MustRegister("leo@example.com");
  pb::LoginResponse login;
  ASSERT_TRUE(Login("leo@example.com", kPassword, &login).ok());
  pb::LoginResponse failed;
  const std::string wrong_password = "wrong-password-xyz";
  EXPECT_FALSE(Login("leo@example.com", wrong_password, &failed).ok());
  pb::CreateMonitorTokenResponse token = MustCreateMonitorToken(org.id(), "t");
  pb::CreateApiKeyResponse key = MustCreateApiKey(org.id(), "k");
  ASSERT_TRUE(ValidateApiKey(key.key()).valid());
  ASSERT_TRUE(ValidateMonitorToken(token.token()).valid());
  ASSERT_TRUE(accounts_->FlushLastUsed().ok());
  pb::RevokeApiKeyResponse revoked;
  ASSERT_TRUE(RevokeApiKey(org.id(), key.credential().id(), &revoked).ok());

  const std::vector<std::string> secrets = {kPassword, wrong_password, login.session_token(),
                                            token.token(), key.key(),
                                            // the random part alone must not appear either
                                            token.token().substr(7), key.key().substr(7)};
  auto rows = accounts_->pool().Run(
      [&](pqxx::connection& c) -> absl::StatusOr<std::vector<std::pair<std::string, std::string>>> {
        pqxx::work tx(c);
        std::vector<std::pair<std::string, std::string>> out;
        for (const auto& t :
             tx.exec("SELECT table_name FROM information_schema.tables "
                     "WHERE table_schema = 'accounts' AND table_type = 'BASE TABLE'")) {
          std::string table = t[0].as<std::string>();
          for (const auto& r : tx.exec("SELECT row_to_json(t)::text FROM accounts." +
                                       tx.quote_name(table) + " t")) {
            out.emplace_back(table, r[0].as<std::string>());
          }
        }
        return out;
      });
  ASSERT_TRUE(rows.ok()) << rows.status();
  std::set<std::string> tables;
  for (const auto& [table, json] : *rows) {
    tables.insert(table);
    for (const std::string& secret : secrets) {
      EXPECT_EQ(json.find(secret), std::string::npos) << table << ": " << json;
    }
  }
  // The scan saw every table that holds data, including the hashes that replace the secrets.
  EXPECT_THAT(tables, ::testing::IsSupersetOf(
                          {"organizations", "sessions", "credentials", "login_failures"}));
  bool saw_key_hash = false;
  for (const auto& [table, json] : *rows) {
    if (json.find(crypto::Sha256Hex(key.key())) != std::string::npos) saw_key_hash = true;
  }
  EXPECT_TRUE(saw_key_hash);
}

}  // namespace
}  // namespace llmgw::accounts

#include "services/dashboard/domain/audit.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace llmgw::dashboard {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Session Alice() {
  return Session{Organization{"org-1", "Acme", "alice@acme.test", 0},
                 User{"user-1", "Alice", "alice@acme.test"}, Role::kAdmin};
}

TEST(AuditTest, SecretsNeverReachAnEntry) {
  const char* kSecrets[] = {"mon_sk_SECRET", "llm_sk_SECRET", "sk-admin-SECRET",
                            "hunter22",      "inv_SECRET",    "whsec_SECRET"};
  AuditRecord created = BuildAuditRecord(
      "monitor_token.create", Alice(), "", R"({"name":"ci"})",
      R"({"id":"t-1","name":"ci","prefix":"mon_sk_SECR","token":"mon_sk_SECRET"})");
  AuditRecord key = BuildAuditRecord("api_key.create", Alice(), "", R"({"name":"k"})",
                                     R"({"id":"k-1","key":"llm_sk_SECRET"})");
  AuditRecord conn =
      BuildAuditRecord("provider_connection.create", Alice(), "",
                       R"({"provider":"openai","admin_key":"sk-admin-SECRET"})",
                       R"({"id":"c-1","provider":"openai","key_prefix":"sk-admin-SEC"})");
  AuditRecord invite = BuildAuditRecord(
      "member.invite", Alice(), "", R"({"email":"bob@acme.test","role":"viewer"})",
      R"({"invite_url":"http://x/#/accept-invite?token=inv_SECRET","email":"bob@acme.test"})");
  AuditRecord nested = BuildAuditRecord(
      "x", Alice(), "", R"({"a":[{"password":"hunter22"}],"signing_secret":"whsec_SECRET"})", "{}");
  for (const AuditRecord& r : {created, key, conn, invite, nested}) {
    for (const char* secret : kSecrets) {
      EXPECT_THAT(r.details_json, Not(HasSubstr(secret))) << r.action;
      EXPECT_THAT(r.target, Not(HasSubstr(secret))) << r.action;
    }
  }
  EXPECT_EQ(Json::parse(created.details_json), Json::parse(R"({"request":{"name":"ci"},
                            "after":{"id":"t-1","name":"ci","prefix":"mon_sk_SECR"}})"));
  EXPECT_EQ(created.target, "t-1");
  EXPECT_EQ(invite.target, "bob@acme.test");
  EXPECT_EQ(Json::parse(conn.details_json)["request"], Json::parse(R"({"provider":"openai"})"));
}

TEST(AuditTest, ActorTargetAndBeforeAfter) {
  AuditRecord r = BuildAuditRecord(
      "member.role_change", Alice(), "user-2", R"({"role":"viewer"})",
      R"({"id":"user-2","email":"bob@acme.test","role":"viewer","previous_role":"admin"})");
  EXPECT_EQ(r.org_id, "org-1");
  EXPECT_EQ(r.actor_user_id, "user-1");
  EXPECT_EQ(r.actor_email, "alice@acme.test");
  EXPECT_EQ(r.action, "member.role_change");
  EXPECT_EQ(r.target, "user-2");
  Json details = Json::parse(r.details_json);
  EXPECT_EQ(details["before"], Json::parse(R"({"role":"admin"})"));
  EXPECT_EQ(details["after"]["role"], "viewer");
  EXPECT_FALSE(details["after"].contains("previous_role"));
  // A body that is not JSON (a CSV file) is left out.
  AuditRecord csv = BuildAuditRecord("provider_usage.import", Alice(), "", "date,provider\n",
                                     R"({"imported_rows":3})");
  EXPECT_EQ(Json::parse(csv.details_json), Json::parse(R"({"after":{"imported_rows":3}})"));
}

TEST(AuditTest, ListShape) {
  std::vector<AuditRecord> records = {{7, "org-1", 1'700'000'000'000, "user-1", "alice@acme.test",
                                       "api_key.revoke", "k-1",
                                       R"({"after":{"is_active":false}})"}};
  Json j = AuditListJson(records, 1);
  EXPECT_EQ(j, Json::parse(R"({"items":[{"id":"7","at":"2023-11-14T22:13:20Z",
      "actor_email":"alice@acme.test","action":"api_key.revoke","target":"k-1",
      "details":{"after":{"is_active":false}}}],"next_before":"7"})"));
  EXPECT_EQ(AuditListJson(records, 50)["next_before"], nullptr);
}

}  // namespace
}  // namespace llmgw::dashboard

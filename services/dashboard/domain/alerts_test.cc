#include "services/dashboard/domain/alerts.h"

#include "gtest/gtest.h"

namespace llmgw::dashboard {
namespace {

TEST(ParseAlertBody, ReadsTheFieldsAndTheThresholdExactly) {
  auto in = ParseAlertBody(
      R"({"kind":"balance","threshold":5,"channel":"webhook","target":"https://h.example/x"})");
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(in->kind, "balance");
  EXPECT_EQ(in->threshold_nano, 5'000'000'000);
  EXPECT_EQ(in->channel, "webhook");
  EXPECT_EQ(in->target, "https://h.example/x");
  in = ParseAlertBody(
      R"({"kind":"error_rate","threshold":12.5,"channel":"email","target":"a@b.c"})");
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->threshold_nano, 12'500'000'000);
  in = ParseAlertBody(R"({"kind":"balance","threshold":0.1,"channel":"email","target":"a@b.c"})");
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->threshold_nano, 100'000'000);  // not 100000000.000000005…
  in = ParseAlertBody(
      R"({"kind":"balance","threshold":0.000000001,"channel":"email","target":"a@b.c"})");
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->threshold_nano, 1);
}

TEST(ParseAlertBody, RefusesWhatIsNotARule) {
  const std::string kThreshold =
      "threshold is required and must be a number greater than 0 with at most 9 decimals";
  struct Case {
    const char* body;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"[]", "request body must be a JSON object"},
           {"nope", "request body must be a JSON object"},
           {R"({"threshold":1,"channel":"email","target":"a@b.c"})",
            "kind is required and must be a string"},
           {R"({"kind":"balance","threshold":1,"channel":5,"target":"a@b.c"})",
            "channel is required and must be a string"},
           {R"({"kind":"balance","threshold":1,"channel":"email"})",
            "target is required and must be a string"},
           {R"({"kind":"balance","channel":"email","target":"a@b.c"})", kThreshold},
           {R"({"kind":"balance","threshold":"5","channel":"email","target":"a@b.c"})", kThreshold},
           {R"({"kind":"balance","threshold":0,"channel":"email","target":"a@b.c"})", kThreshold},
           {R"({"kind":"balance","threshold":-3,"channel":"email","target":"a@b.c"})", kThreshold},
           {R"({"kind":"balance","threshold":1e-10,"channel":"email","target":"a@b.c"})",
            kThreshold},
           {R"({"kind":"balance","threshold":1e30,"channel":"email","target":"a@b.c"})",
            kThreshold},
       }) {
    auto in = ParseAlertBody(c.body);
    ASSERT_FALSE(in.ok()) << c.body;
    EXPECT_EQ(in.status().code(), absl::StatusCode::kInvalidArgument) << c.body;
    EXPECT_EQ(in.status().message(), c.message) << c.body;
  }
}

TEST(AlertJson, RuleWithAndWithoutADelivery) {
  AlertRule a;
  a.id = "bbbbbbbb-0000-4000-8000-000000000001";
  a.kind = "error_rate";
  a.threshold_nano = 12'500'000'000;
  a.channel = "webhook";
  a.target = "https://h.example/x";
  a.created_at_unix_ms = 1'700'000'000'000;
  Json j = AlertJson(a);
  EXPECT_EQ(j["threshold"], 12.5);
  EXPECT_EQ(j["threshold_nano"], 12'500'000'000);
  EXPECT_EQ(j["created_at"], "2023-11-14T22:13:20Z");
  EXPECT_TRUE(j["last_fired_at"].is_null());
  EXPECT_TRUE(j["last_delivery"].is_null());
  a.last_delivery = AlertDelivery{"retrying",        2, "the webhook answered HTTP 503",
                                  1'700'000'100'000, 0, 1'700'000'104'000};
  j = AlertJson(a);
  EXPECT_EQ(j["last_fired_at"], "2023-11-14T22:15:00Z");
  EXPECT_EQ(j["last_delivery"]["status"], "retrying");
  EXPECT_EQ(j["last_delivery"]["attempts"], 2);
  EXPECT_EQ(j["last_delivery"]["last_error"], "the webhook answered HTTP 503");
  EXPECT_TRUE(j["last_delivery"]["delivered_at"].is_null());
  EXPECT_EQ(j["last_delivery"]["next_attempt_at"], "2023-11-14T22:15:04Z");
  EXPECT_EQ(AlertListJson({a, a})["alerts"].size(), 2u);
}

}  // namespace
}  // namespace llmgw::dashboard

#include "services/dashboard/domain/json_shapes.h"

#include "gtest/gtest.h"

namespace llmgw::dashboard {
namespace {

using nlohmann::json;

json Plain(const Json& j) { return json::parse(j.dump()); }

TEST(JsonShapes, Error) {
  EXPECT_EQ(ErrorJson("bad", "invalid_request_error").dump(),
            R"({"error":{"message":"bad","type":"invalid_request_error"}})");
}

TEST(JsonShapes, Credential) {
  Credential c{"id-1", "prod", "mon_sk_AbCd", true, 0, 1'700'000'000'000};
  EXPECT_EQ(Plain(CredentialJson(c)), json::parse(R"({"id":"id-1","name":"prod",
      "prefix":"mon_sk_AbCd","is_active":true,"last_used_at":null,
      "created_at":"2023-11-14T22:13:20Z","created_by":null,"limits":{"rpm":null,"tpm":null,
      "daily_budget_nano":null,"daily_budget_usd":null,"monthly_budget_nano":null,
      "monthly_budget_usd":null}})"));
  c.created_by_user_id = "user-1";
  EXPECT_EQ(Plain(CredentialJson(c))["created_by"], "user-1");
  c.last_used_at_unix_ms = 1'700'000'060'500;
  EXPECT_EQ(Plain(CredentialJson(c))["last_used_at"], "2023-11-14T22:14:20.500Z");
  EXPECT_EQ(Plain(CreatedCredentialJson({c, "mon_sk_secret"}, "token"))["token"], "mon_sk_secret");
  EXPECT_EQ(Plain(CredentialListJson({}, "keys")), json::parse(R"({"keys":[]})"));
}

TEST(JsonShapes, BalanceAndTransactions) {
  EXPECT_EQ(Plain(BalanceJson({12'500'000'000, 1})), json::parse(R"({"balance_nano":12500000000,
      "balance_usd":"12.500000000","held_nano":1,"held_usd":"0.000000001"})"));
  Transaction t{"tx-1",   TransactionType::kUsage, -1'500, 9'999'998'500,
                "gpt-4o", 1'700'000'000'000};
  EXPECT_EQ(Plain(TransactionJson(t)), json::parse(R"({"id":"tx-1","type":"usage",
      "amount_nano":-1500,"amount_usd":"-0.000001500","balance_after_nano":9999998500,
      "balance_after_usd":"9.999998500","description":"gpt-4o",
      "created_at":"2023-11-14T22:13:20Z"})"));
  EXPECT_EQ(TransactionTypeName(TransactionType::kCharge), "charge");
  EXPECT_EQ(TransactionTypeName(TransactionType::kRefund), "refund");
  EXPECT_EQ(TransactionTypeName(TransactionType::kAdjustment), "adjustment");
  json charge = Plain(ChargeJson({10'000'000'000, t}));
  EXPECT_EQ(charge["balance_nano"], 10'000'000'000);
  EXPECT_EQ(charge["balance_usd"], "10.000000000");
  EXPECT_EQ(charge["transaction"]["id"], "tx-1");
}

TEST(JsonShapes, Stats) {
  Summary s;
  s.total = {3, 30, 60, 900, 0, 0};
  s.passthrough = {1, 10, 20, 300, 0, 0};
  s.reseller = {2, 20, 40, 600, 500, 100};
  EXPECT_EQ(Plain(SummaryJson(s)), json::parse(R"({"requests":3,"input_tokens":30,
      "output_tokens":60,"cost_nano":900,"cost_usd":"0.000000900","errors":0,"by_mode":{
      "passthrough":{"requests":1,"input_tokens":10,"output_tokens":20,"cost_nano":300,
        "cost_usd":"0.000000300","errors":0},
      "reseller":{"requests":2,"input_tokens":20,"output_tokens":40,"cost_nano":600,
        "cost_usd":"0.000000600","errors":0,"provider_cost_nano":500,"provider_cost_usd":"0.000000500",
        "margin_nano":100,"margin_usd":"0.000000100"}}})"));
  EXPECT_EQ(Plain(ByModelJson({{"openai", "gpt-4o", {2, 5, 6, 7, 0, 0}}})),
            json::parse(R"({"models":[{"provider":"openai","model":"gpt-4o","requests":2,
      "input_tokens":5,"output_tokens":6,"cost_nano":7,"cost_usd":"0.000000007","errors":0}]})"));
  EXPECT_EQ(Plain(ByProviderJson({{"anthropic", {1, 2, 3, 4'000'000'000, 0, 0}}})),
            json::parse(R"({"providers":[{"provider":"anthropic","requests":1,
      "input_tokens":2,"output_tokens":3,"cost_nano":4000000000,"cost_usd":"4.000000000","errors":0}]})"));
  EXPECT_EQ(Plain(TimeseriesJson({{1'704'067'200'000, {1, 2, 3, 4, 0, 0}}})),
            json::parse(R"({"points":[{"ts":"2024-01-01T00:00:00Z","requests":1,
      "input_tokens":2,"output_tokens":3,"cost_nano":4,"cost_usd":"0.000000004","errors":0}]})"));
}

TEST(JsonShapes, UsageRows) {
  UsageRow pass{"req-1", Mode::kPassthrough, "openai", "gpt-4o", 10, 20, 300, 0, 0, 120, 200,
                true,    1'700'000'000'123};
  UsageRow resell{"req-2",
                  Mode::kReseller,
                  "anthropic",
                  "claude-3-5-haiku-20241022",
                  1,
                  2,
                  120,
                  100,
                  20,
                  50,
                  200,
                  false,
                  1'700'000'000'000};
  pass.unpriced = true;  // shown as "unpriced", never as a real $0
  pass.cost_nano = 0;
  resell.cached_input_tokens = 1;
  resell.reasoning_tokens = 2;
  resell.price_id = 77;
  EXPECT_EQ(Plain(UsageJson({pass, resell})), json::parse(R"({"items":[
      {"request_id":"req-1","mode":"passthrough","provider":"openai","model":"gpt-4o",
       "input_tokens":10,"output_tokens":20,"cached_input_tokens":0,"cache_write_tokens":0,
       "reasoning_tokens":0,"cost_nano":0,"cost_usd":"0.000000000","unpriced":true,
       "price_id":0,"latency_ms":120,"status_code":200,"is_streaming":true,
       "credential_id":"","endpoint":"","ttft_ms":0,"incomplete":false,
       "cache_write_1h_tokens":0,"requested_at":"2023-11-14T22:13:20.123Z"},
      {"request_id":"req-2","mode":"reseller","provider":"anthropic",
       "model":"claude-3-5-haiku-20241022","input_tokens":1,"output_tokens":2,
       "cached_input_tokens":1,"cache_write_tokens":0,"reasoning_tokens":2,"cost_nano":120,
       "cost_usd":"0.000000120","unpriced":false,"price_id":77,
       "provider_cost_nano":100,"provider_cost_usd":"0.000000100",
       "margin_nano":20,"margin_usd":"0.000000020","latency_ms":50,"status_code":200,
       "is_streaming":false,"credential_id":"","endpoint":"","ttft_ms":0,"incomplete":false,
       "cache_write_1h_tokens":0,"requested_at":"2023-11-14T22:13:20Z"}],
      "next_before":null})"));
  EXPECT_EQ(Plain(UsageJson({}, 1'700'000'000'123))["next_before"], "2023-11-14T22:13:20.123Z");
}

TEST(JsonShapes, UsageCsv) {
  UsageRow r{"req,\"1\"", Mode::kReseller, "openai", "=cmd()", 1, 2, 120, 100, 20, 50, 429, true,
             1'700'000'000'000};
  r.endpoint = "/chat/completions";
  EXPECT_EQ(UsageCsvRows({r}),
            "2023-11-14T22:13:20Z,\"req,\"\"1\"\"\",reseller,openai,'=cmd(),/chat/completions,,429,"
            "true,false,1,0,0,0,2,0,0.000000120,0.000000100,0.000000020,false,0,50,0\r\n");
  EXPECT_EQ(std::string(kUsageCsvHeader).substr(0, 25), "requested_at,request_id,m");
}

}  // namespace
}  // namespace llmgw::dashboard

#include "services/gateway/domain/errors.h"

#include "gtest/gtest.h"

namespace llmgw::gateway {
namespace {

TEST(ErrorBodyTest, OpenAIShapeWithNullCode) {
  ErrorSpec e{400, "invalid_request_error", "", "bad \"thing\"", ""};
  EXPECT_EQ(OpenAIErrorBody(e),
            R"({"error":{"message":"bad \"thing\"","type":"invalid_request_error",)"
            R"("param":null,"code":null}})");
  EXPECT_EQ(ErrorBody(Surface::kOpenAI, e), OpenAIErrorBody(e));
}

TEST(ErrorBodyTest, AnthropicTypeDerivedFromStatusUnlessOverridden) {
  const std::vector<std::pair<int, std::string>> derived = {{400, "invalid_request_error"},
                                                            {401, "authentication_error"},
                                                            {403, "permission_error"},
                                                            {404, "not_found_error"},
                                                            {413, "request_too_large"},
                                                            {429, "rate_limit_error"},
                                                            {500, "api_error"},
                                                            {502, "api_error"},
                                                            {503, "overloaded_error"},
                                                            {529, "overloaded_error"},
                                                            {422, "invalid_request_error"}};
  for (const auto& [status, type] : derived) {
    ErrorSpec e{status, "x", "y", "m", ""};
    EXPECT_EQ(AnthropicErrorBody(e),
              R"({"type":"error","error":{"type":")" + type + R"(","message":"m"}})");
  }
  ErrorSpec overridden{503, "x", "", "m", "api_error"};
  EXPECT_EQ(ErrorBody(Surface::kAnthropic, overridden),
            R"({"type":"error","error":{"type":"api_error","message":"m"}})");
}

TEST(ErrorBodyTest, InvalidUtf8NeverThrows) {
  ErrorSpec e = ModelNotFound("bad\xff");
  EXPECT_EQ(e.message, "The model `bad\xff` does not exist or you do not have access to it.");
  EXPECT_EQ(OpenAIErrorBody(e),
            "{\"error\":{\"message\":\"The model `bad\xEF\xBF\xBD` does not exist or you do not "
            "have access to it.\",\"type\":\"invalid_request_error\",\"param\":null,"
            "\"code\":\"model_not_found\"}}");
}

TEST(GatewayErrorsTest, MonitorTokenErrors) {
  ErrorSpec missing = MissingMonitorToken();
  EXPECT_EQ(missing.http_status, 401);
  EXPECT_EQ(OpenAIErrorBody(missing),
            R"({"error":{"message":"Missing monitor token: send your llmgw monitor token in the )"
            R"(X-Monitor-Token header.","type":"invalid_request_error","param":null,)"
            R"("code":"invalid_api_key"}})");
  EXPECT_EQ(AnthropicErrorBody(missing),
            R"({"type":"error","error":{"type":"authentication_error","message":"Missing )"
            R"(monitor token: send your llmgw monitor token in the X-Monitor-Token header."}})");

  ErrorSpec invalid = InvalidMonitorToken();
  EXPECT_EQ(invalid.http_status, 401);
  EXPECT_EQ(OpenAIErrorBody(invalid),
            R"({"error":{"message":"Invalid monitor token provided in the X-Monitor-Token )"
            R"(header.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}})");
  EXPECT_EQ(AnthropicErrorBody(invalid),
            R"({"type":"error","error":{"type":"authentication_error","message":"Invalid )"
            R"(monitor token provided in the X-Monitor-Token header."}})");

  ErrorSpec key = InvalidApiKey();
  EXPECT_EQ(key.http_status, 401);
  EXPECT_EQ(OpenAIErrorBody(key),
            R"({"error":{"message":"Incorrect API key provided: send a valid llmgw key as )"
            R"(Authorization: Bearer llm_sk_...","type":"invalid_request_error","param":null,)"
            R"("code":"invalid_api_key"}})");
}

TEST(GatewayErrorsTest, QuotaAndModel) {
  ErrorSpec quota = InsufficientQuota();
  EXPECT_EQ(quota.http_status, 429);
  EXPECT_EQ(OpenAIErrorBody(quota),
            R"({"error":{"message":"You exceeded your current quota: your balance is too low )"
            R"(for this request. Please top up your balance.","type":"insufficient_quota",)"
            R"("param":null,"code":"insufficient_quota"}})");

  ErrorSpec model = ModelNotFound("gpt-9");
  EXPECT_EQ(model.http_status, 404);
  EXPECT_EQ(OpenAIErrorBody(model),
            R"({"error":{"message":"The model `gpt-9` does not exist or you do not have access )"
            R"(to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}})");
  EXPECT_EQ(AnthropicErrorBody(model),
            R"({"type":"error","error":{"type":"not_found_error","message":"The model `gpt-9` )"
            R"(does not exist or you do not have access to it."}})");
}

TEST(GatewayErrorsTest, RequestErrors) {
  ErrorSpec route = RouteNotFound("/api/v1/nope?key=secret");
  EXPECT_EQ(route.http_status, 404);
  EXPECT_EQ(OpenAIErrorBody(route),
            R"({"error":{"message":"Unknown request URL: /api/v1/nope. Please check the URL and )"
            R"(method.","type":"invalid_request_error","param":null,"code":"unknown_url"}})");
  EXPECT_EQ(AnthropicErrorBody(route),
            R"({"type":"error","error":{"type":"not_found_error","message":"Unknown request )"
            R"(URL: /api/v1/nope. Please check the URL and method."}})");

  ErrorSpec large = BodyTooLarge(1048576);
  EXPECT_EQ(large.http_status, 413);
  EXPECT_EQ(OpenAIErrorBody(large),
            R"({"error":{"message":"Request body is larger than the limit of 1048576 bytes.",)"
            R"("type":"invalid_request_error","param":null,"code":"request_too_large"}})");
  EXPECT_EQ(AnthropicErrorBody(large),
            R"({"type":"error","error":{"type":"request_too_large","message":"Request body is )"
            R"(larger than the limit of 1048576 bytes."}})");

  ErrorSpec bad = BadRequest("Request body is not valid JSON.");
  EXPECT_EQ(bad.http_status, 400);
  EXPECT_EQ(OpenAIErrorBody(bad), R"({"error":{"message":"Request body is not valid JSON.","type":)"
                                  R"("invalid_request_error","param":null,"code":null}})");
  EXPECT_EQ(AnthropicErrorBody(bad),
            R"({"type":"error","error":{"type":"invalid_request_error","message":"Request body )"
            R"(is not valid JSON."}})");
}

TEST(GatewayErrorsTest, DependencyAndUpstreamErrors) {
  ErrorSpec dep = DependencyUnavailable("billing");
  EXPECT_EQ(dep.http_status, 503);
  EXPECT_EQ(OpenAIErrorBody(dep),
            R"({"error":{"message":"The service is temporarily unavailable (billing). Please )"
            R"(retry later.","type":"api_error","param":null,"code":"service_unavailable"}})");
  EXPECT_EQ(AnthropicErrorBody(dep),
            R"({"type":"error","error":{"type":"api_error","message":"The service is )"
            R"(temporarily unavailable (billing). Please retry later."}})");

  ErrorSpec down = UpstreamUnavailable("openai");
  EXPECT_EQ(down.http_status, 502);
  EXPECT_EQ(OpenAIErrorBody(down),
            R"({"error":{"message":"The upstream provider openai could not be reached.",)"
            R"("type":"api_error","param":null,"code":"upstream_unavailable"}})");
  EXPECT_EQ(AnthropicErrorBody(UpstreamUnavailable("anthropic")),
            R"({"type":"error","error":{"type":"api_error","message":"The upstream provider )"
            R"(anthropic could not be reached."}})");

  ErrorSpec slow = UpstreamTimeout("xai");
  EXPECT_EQ(slow.http_status, 504);
  EXPECT_EQ(OpenAIErrorBody(slow),
            R"({"error":{"message":"The upstream provider xai did not answer in time.",)"
            R"("type":"api_error","param":null,"code":"upstream_timeout"}})");
  EXPECT_EQ(AnthropicErrorBody(UpstreamTimeout("anthropic")),
            R"({"type":"error","error":{"type":"api_error","message":"The upstream provider )"
            R"(anthropic did not answer in time."}})");
}

}  // namespace
}  // namespace llmgw::gateway

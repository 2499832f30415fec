#include "services/gateway/domain/translate.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/testing/status_matchers.h"

namespace llmgw::gateway {
namespace {

using json = nlohmann::json;

TEST(OpenAIToAnthropicRequest, SystemDeveloperStopToolsAndChoice) {
  json in = json::parse(R"({
    "model": "claude-3-5-haiku",
    "messages": [
      {"role": "system", "content": "Be brief."},
      {"role": "developer", "content": [{"type": "text", "text": "Use tools."}]},
      {"role": "user", "content": "Weather in Paris?"}
    ],
    "max_completion_tokens": 100, "stop": "END", "temperature": 1.5, "top_p": 0.9,
    "user": "u-1", "stream": true,
    "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather",
               "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}],
    "tool_choice": "required", "parallel_tool_calls": false
  })");
  auto out = OpenAIToAnthropicRequest(in, "claude-3-5-haiku-20241022", 4096);
  ASSERT_THAT(out, test::IsOk());
  EXPECT_EQ(*out, json::parse(R"({
    "model": "claude-3-5-haiku-20241022",
    "system": [{"type": "text", "text": "Be brief."}, {"type": "text", "text": "Use tools."}],
    "messages": [{"role": "user", "content": [{"type": "text", "text": "Weather in Paris?"}]}],
    "max_tokens": 100, "stop_sequences": ["END"], "temperature": 1.0, "top_p": 0.9,
    "metadata": {"user_id": "u-1"}, "stream": true,
    "tools": [{"name": "get_weather", "description": "Weather",
               "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}],
    "tool_choice": {"type": "any", "disable_parallel_tool_use": true}
  })"));
}

TEST(OpenAIToAnthropicRequest, ToolRoundTripAndImages) {
  json in = json::parse(R"({
    "messages": [
      {"role": "user", "content": [{"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]},
      {"role": "assistant", "content": null, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "look", "arguments": "{\"q\":\"x\"}"}},
        {"id": "call_2", "type": "function", "function": {"name": "look", "arguments": ""}}]},
      {"role": "tool", "tool_call_id": "call_1", "content": "a cat"},
      {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "a hat"}]}
    ],
    "tool_choice": {"type": "function", "function": {"name": "look"}}
  })");
  auto out = OpenAIToAnthropicRequest(in, "claude-3-5-sonnet-20241022", 8192);
  ASSERT_THAT(out, test::IsOk());
  EXPECT_EQ((*out)["max_tokens"], 8192);
  EXPECT_EQ((*out)["tool_choice"], json::parse(R"({"type": "tool", "name": "look"})"));
  EXPECT_EQ((*out)["messages"], json::parse(R"([
    {"role": "user", "content": [{"type": "text", "text": "What is this?"},
      {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}]},
    {"role": "assistant", "content": [
      {"type": "tool_use", "id": "call_1", "name": "look", "input": {"q": "x"}},
      {"type": "tool_use", "id": "call_2", "name": "look", "input": {}}]},
    {"role": "user", "content": [
      {"type": "tool_result", "tool_use_id": "call_1", "content": "a cat"},
      {"type": "tool_result", "tool_use_id": "call_2", "content": "a hat"}]}
  ])"));
}

TEST(OpenAIToAnthropicRequest, RejectsWhatCannotBeTranslated) {
  auto bad = [](const char* body) {
    return OpenAIToAnthropicRequest(json::parse(body), "claude-x", 10);
  };
  EXPECT_THAT(bad(R"({"messages": []})"), test::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(bad(R"({"messages": [{"role": "wizard", "content": "x"}]})"),
              test::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(bad(R"({"messages": [{"role": "assistant", "tool_calls": [{"id": "c",
                 "function": {"name": "f", "arguments": "not json"}}]}]})"),
              test::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(bad(R"({"messages": [{"role": "user", "content": [{"type": "image_url",
                 "image_url": {"url": "file:///etc/passwd"}}]}]})"),
              test::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(bad(R"({"messages": [{"role": "system", "content": "only system"}]})"),
              test::StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(FinishReason, Mapping) {
  EXPECT_EQ(FinishReasonFromStopReason("end_turn"), "stop");
  EXPECT_EQ(FinishReasonFromStopReason("stop_sequence"), "stop");
  EXPECT_EQ(FinishReasonFromStopReason("pause_turn"), "stop");
  EXPECT_EQ(FinishReasonFromStopReason("max_tokens"), "length");
  EXPECT_EQ(FinishReasonFromStopReason("tool_use"), "tool_calls");
  EXPECT_EQ(FinishReasonFromStopReason("refusal"), "content_filter");
}

TEST(AnthropicToOpenAIResponse, TextToolsAndUsage) {
  json msg = json::parse(R"({"id": "msg_1", "type": "message", "role": "assistant",
    "content": [{"type": "text", "text": "Let me check."},
                {"type": "tool_use", "id": "toolu_1", "name": "look", "input": {"q": "x"}}],
    "stop_reason": "tool_use",
    "usage": {"input_tokens": 10, "cache_read_input_tokens": 5, "cache_creation_input_tokens": 2,
              "output_tokens": 7}})");
  json out = AnthropicToOpenAIResponse(msg, "claude-3-5-haiku", 1700000000);
  EXPECT_EQ(out, json::parse(R"({
    "id": "chatcmpl-msg_1", "object": "chat.completion", "created": 1700000000,
    "model": "claude-3-5-haiku",
    "choices": [{"index": 0, "logprobs": null, "finish_reason": "tool_calls",
      "message": {"role": "assistant", "content": "Let me check.", "refusal": null,
        "tool_calls": [{"id": "toolu_1", "type": "function",
                        "function": {"name": "look", "arguments": "{\"q\":\"x\"}"}}]}}],
    "usage": {"prompt_tokens": 17, "completion_tokens": 7, "total_tokens": 24,
              "prompt_tokens_details": {"cached_tokens": 5}}
  })"));
}

TEST(OpenAIErrorFromAnthropic, OperatorKeyProblemsAreNotTheCustomers) {
  EXPECT_EQ(
      OpenAIErrorFromAnthropic(
          401, R"({"type":"error","error":{"type":"authentication_error","message":"bad key"}})")
          .http_status,
      502);
  ErrorSpec rl = OpenAIErrorFromAnthropic(
      429, R"({"type":"error","error":{"type":"rate_limit_error","message":"slow down"}})");
  EXPECT_EQ(rl.http_status, 429);
  EXPECT_EQ(rl.openai_code, "rate_limit_exceeded");
  EXPECT_EQ(rl.message, "slow down");
  EXPECT_EQ(OpenAIErrorFromAnthropic(529, "{}").http_status, 503);
  EXPECT_EQ(OpenAIErrorFromAnthropic(
                400, R"({"type":"error","error":{"type":"invalid_request_error","message":"m"}})")
                .http_status,
            400);
}

std::vector<std::string> Feed(AnthropicToOpenAIStream& t, const std::string& stream) {
  SseParser parser;
  std::vector<std::string> out;
  parser.Feed(stream, [&](SseEvent&& e) {
    for (auto& f : t.OnEvent(e)) out.push_back(f);
  });
  return out;
}

json Data(const std::string& frame) { return json::parse(frame.substr(6)); }

TEST(AnthropicToOpenAIStream, TextStreamWithUsage) {
  AnthropicToOpenAIStream t("claude-3-5-haiku", 1700000000, /*include_usage=*/true);
  auto frames =
      Feed(t,
           "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_9\","
           "\"usage\":{\"input_tokens\":11,\"output_tokens\":1}}}\n\n"
           "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
           "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
           "event: ping\ndata: {\"type\":\"ping\"}\n\n"
           "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
           "\"delta\":{\"type\":\"text_delta\",\"text\":\"Hel\"}}\n\n"
           "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
           "\"delta\":{\"type\":\"text_delta\",\"text\":\"lo\"}}\n\n"
           "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
           "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
           "\"end_turn\"},\"usage\":{\"output_tokens\":5}}\n\n"
           "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
  ASSERT_EQ(frames.size(), 6u);
  json first = Data(frames[0]);
  EXPECT_EQ(first["id"], "chatcmpl-msg_9");
  EXPECT_EQ(first["object"], "chat.completion.chunk");
  EXPECT_EQ(first["model"], "claude-3-5-haiku");
  EXPECT_EQ(first["choices"][0]["delta"]["role"], "assistant");
  EXPECT_TRUE(first["usage"].is_null());
  EXPECT_EQ(Data(frames[1])["choices"][0]["delta"]["content"], "Hel");
  EXPECT_EQ(Data(frames[2])["choices"][0]["delta"]["content"], "lo");
  EXPECT_EQ(Data(frames[3])["choices"][0]["finish_reason"], "stop");
  json usage = Data(frames[4]);
  EXPECT_EQ(usage["choices"], json::array());
  EXPECT_EQ(usage["usage"], json::parse(R"({"prompt_tokens": 11, "completion_tokens": 5,
      "total_tokens": 16, "prompt_tokens_details": {"cached_tokens": 0}})"));
  EXPECT_EQ(frames[5], "data: [DONE]\n\n");
  EXPECT_TRUE(t.done());
}

TEST(AnthropicToOpenAIStream, ToolCallArgumentsAreChunkedAndNoUsageChunkUnlessAsked) {
  AnthropicToOpenAIStream t("claude-3-5-sonnet", 1, /*include_usage=*/false);
  auto frames =
      Feed(t,
           "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\","
           "\"usage\":{\"input_tokens\":3}}}\n\n"
           "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
           "\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"look\","
           "\"input\":{}}}\n\n"
           "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
           "\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"q\\\":\"}}\n\n"
           "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
           "\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\\\"x\\\"}\"}}\n\n"
           "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
           "\"tool_use\"},\"usage\":{\"output_tokens\":9}}\n\n"
           "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
  ASSERT_EQ(frames.size(), 6u);
  json start = Data(frames[1])["choices"][0]["delta"]["tool_calls"][0];
  EXPECT_EQ(start, json::parse(R"({"index": 0, "id": "toolu_1", "type": "function",
      "function": {"name": "look", "arguments": ""}})"));
  EXPECT_FALSE(Data(frames[1]).contains("usage"));
  std::string args =
      Data(frames[2])["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"]
          .get<std::string>() +
      Data(frames[3])["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"]
          .get<std::string>();
  EXPECT_EQ(args, R"({"q":"x"})");
  EXPECT_EQ(Data(frames[4])["choices"][0]["finish_reason"], "tool_calls");
  EXPECT_EQ(frames[5], "data: [DONE]\n\n");
}

TEST(AnthropicToOpenAIStream, ErrorEventBecomesOpenAIErrorChunk) {
  AnthropicToOpenAIStream t("claude-3-5-haiku", 1, false);
  auto frames =
      Feed(t,
           "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
           "\"message\":\"Overloaded\"}}\n\n");
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(Data(frames[0]), json::parse(R"({"error": {"message": "Overloaded",
      "type": "server_error", "param": null, "code": null}})"));
  EXPECT_TRUE(t.done());
}

}  // namespace
}  // namespace llmgw::gateway

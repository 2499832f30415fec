#include "services/gateway/domain/messages_translate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

namespace llmgw::gateway {
namespace {

using json = nlohmann::json;

TEST(MessagesToChatRequest, EveryFieldTranslated) {
  json in = json::parse(R"({
    "model": "gpt-5-mini", "max_tokens": 300, "temperature": 0.2, "top_p": 0.9,
    "system": [{"type": "text", "text": "Be brief."}, {"type": "text", "text": "Be kind."}],
    "stop_sequences": ["END"], "metadata": {"user_id": "u-7"}, "stream": true,
    "tools": [{"name": "get_weather", "description": "Weather",
               "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}],
    "tool_choice": {"type": "tool", "name": "get_weather"},
    "messages": [
      {"role": "user", "content": [{"type": "text", "text": "Look:"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "QUJD"}}]},
      {"role": "assistant", "content": [{"type": "text", "text": "Checking."},
        {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}]},
      {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "sunny"}]},
        {"type": "text", "text": "And tomorrow?"}]}]})");
  auto out = MessagesToChatRequest(in, "gpt-5-mini-2025-08-07", "max_completion_tokens");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, json::parse(R"({
    "model": "gpt-5-mini-2025-08-07",
    "messages": [
      {"role": "system", "content": "Be brief.\nBe kind."},
      {"role": "user", "content": [{"type": "text", "text": "Look:"},
        {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,QUJD"}}]},
      {"role": "assistant", "content": "Checking.", "tool_calls": [{"id": "toolu_1",
        "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
      {"role": "tool", "tool_call_id": "toolu_1", "content": "sunny"},
      {"role": "user", "content": [{"type": "text", "text": "And tomorrow?"}]}],
    "max_completion_tokens": 300, "temperature": 0.2, "top_p": 0.9, "stop": ["END"],
    "tools": [{"type": "function", "function": {"name": "get_weather",
      "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
      "description": "Weather"}}],
    "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
    "user": "u-7", "stream": true, "stream_options": {"include_usage": true}})"));
}

TEST(MessagesToChatRequest, ToolChoiceAndMaxTokensField) {
  json in = {{"model", "grok-4"},
             {"max_tokens", 10},
             {"tools", json::array({{{"name", "f"}, {"input_schema", json::object()}}})},
             {"messages", json::array({{{"role", "user"}, {"content", "hi"}}})}};
  for (auto [choice, want] : std::vector<std::pair<json, json>>{{{{"type", "any"}}, "required"},
                                                                {{{"type", "none"}}, "none"},
                                                                {{{"type", "auto"}}, "auto"}}) {
    in["tool_choice"] = choice;
    auto out = MessagesToChatRequest(in, "grok-4", "max_tokens");
    ASSERT_TRUE(out.ok());
    EXPECT_EQ((*out)["tool_choice"], want);
    EXPECT_EQ((*out)["max_tokens"], 10);
    EXPECT_EQ((*out)["messages"][0], json({{"role", "user"}, {"content", "hi"}}));
  }
}

TEST(MessagesToChatRequest, RefusesWhatCannotBeTranslated) {
  auto req = [](json messages) {
    return json{{"model", "m"}, {"max_tokens", 5}, {"messages", std::move(messages)}};
  };
  EXPECT_FALSE(MessagesToChatRequest(req(json::array({{{"role", "system"}, {"content", "x"}}})),
                                     "m", "max_tokens")
                   .ok());
  EXPECT_FALSE(MessagesToChatRequest(
                   req(json::array(
                       {{{"role", "user"}, {"content", json::array({{{"type", "document"}}})}}})),
                   "m", "max_tokens")
                   .ok());
  json server_tool = req(json::array({{{"role", "user"}, {"content", "x"}}}));
  server_tool["tools"] = json::array({{{"type", "web_search_20250305"}, {"name", "web_search"}}});
  EXPECT_FALSE(MessagesToChatRequest(server_tool, "m", "max_tokens").ok());
}

TEST(ChatResponseToMessage, TextToolCallsStopReasonAndUsage) {
  json completion = json::parse(R"({"id": "chatcmpl-9", "choices": [{"index": 0,
    "message": {"role": "assistant", "content": "Calling.", "tool_calls": [{"id": "call_1",
      "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"}}]},
    "finish_reason": "tool_calls"}],
    "usage": {"prompt_tokens": 100, "completion_tokens": 20,
              "prompt_tokens_details": {"cached_tokens": 60},
              "completion_tokens_details": {"reasoning_tokens": 5}}})");
  EXPECT_EQ(ChatResponseToMessage(completion, "gpt-5-mini", false), json::parse(R"({
    "id": "msg_chatcmpl-9", "type": "message", "role": "assistant", "model": "gpt-5-mini",
    "content": [{"type": "text", "text": "Calling."},
                {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Oslo"}}],
    "stop_reason": "tool_use", "stop_sequence": null,
    "usage": {"input_tokens": 40, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 60,
              "output_tokens": 20}})"));
  // xAI reports reasoning apart from completion_tokens: it is output too.
  EXPECT_EQ(ChatResponseToMessage(completion, "grok-4", true)["usage"]["output_tokens"], 25);
  for (auto [finish, stop] : std::vector<std::pair<std::string, std::string>>{
           {"stop", "end_turn"}, {"length", "max_tokens"}, {"content_filter", "refusal"}}) {
    EXPECT_EQ(StopReasonFromFinishReason(finish), stop);
  }
}

TEST(AnthropicErrorFromOpenAIStyle, ShapesAndTheOperatorsKey) {
  EXPECT_EQ(AnthropicErrorFromOpenAIStyle(401, "{}").http_status, 502);
  ErrorSpec rate = AnthropicErrorFromOpenAIStyle(429, R"({"error":{"message":"slow down"}})");
  EXPECT_EQ(rate.http_status, 429);
  EXPECT_EQ(AnthropicErrorBody(rate),
            R"({"type":"error","error":{"type":"rate_limit_error","message":"slow down"}})");
  EXPECT_EQ(AnthropicErrorFromOpenAIStyle(400, R"([{"error":{"message":"bad"}}])").message, "bad");
}

// An OpenAI stream: role chunk, two text deltas, a tool call in two argument pieces, the finish
// chunk, the usage chunk, [DONE].
constexpr char kChatStream[] =
    "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
    "\"content\":\"\"},\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n"
    "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"}}]}\n\n"
    "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
    "\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\"}"
    "}]}}]}\n\n"
    "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
    "\"function\":{\"arguments\":\"\\\":1}\"}}]}}]}\n\n"
    "data: "
    "{\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
    "data: "
    "{\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":7}}\n\n"
    "data: [DONE]\n\n";

std::string Ev(const char* name, const std::string& data) {
  return std::string("event: ") + name + "\ndata: " + data + "\n\n";
}

const std::string kMessagesEvents =
    Ev("message_start",
       R"({"message":{"content":[],"id":"msg_c1","model":"gpt-5-mini","role":"assistant",)"
       R"("stop_reason":null,"stop_sequence":null,"type":"message",)"
       R"("usage":{"input_tokens":0,"output_tokens":0}},"type":"message_start"})") +
    Ev("content_block_start",
       R"({"content_block":{"text":"","type":"text"},"index":0,"type":"content_block_start"})") +
    Ev("content_block_delta",
       R"({"delta":{"text":"Hel","type":"text_delta"},"index":0,"type":"content_block_delta"})") +
    Ev("content_block_delta",
       R"({"delta":{"text":"lo","type":"text_delta"},"index":0,"type":"content_block_delta"})") +
    Ev("content_block_stop", R"({"index":0,"type":"content_block_stop"})") +
    Ev("content_block_start",
       R"({"content_block":{"id":"call_1","input":{},"name":"f","type":"tool_use"},"index":1,)"
       R"("type":"content_block_start"})") +
    Ev("content_block_delta",
       R"({"delta":{"partial_json":"{\"a","type":"input_json_delta"},"index":1,)"
       R"("type":"content_block_delta"})") +
    Ev("content_block_delta",
       R"({"delta":{"partial_json":"\":1}","type":"input_json_delta"},"index":1,)"
       R"("type":"content_block_delta"})") +
    Ev("content_block_stop", R"({"index":1,"type":"content_block_stop"})") +
    Ev("message_delta",
       R"({"delta":{"stop_reason":"tool_use","stop_sequence":null},"type":"message_delta",)"
       R"("usage":{"cache_creation_input_tokens":0,"cache_read_input_tokens":0,)"
       R"("input_tokens":12,"output_tokens":7}})") +
    Ev("message_stop", R"({"type":"message_stop"})");

// Feeds `bytes` cut at `cuts` through an SSE parser into a fresh translator.
std::string Translate(std::string_view bytes, const std::vector<size_t>& cuts,
                      ChatToMessagesStream* t) {
  SseParser parser;
  std::string out;
  auto on = [&](SseEvent&& e) {
    for (auto& f : t->OnEvent(e)) out += f;
  };
  size_t at = 0;
  for (size_t cut : cuts) {
    parser.Feed(bytes.substr(at, cut - at), on);
    at = cut;
  }
  parser.Feed(bytes.substr(at), on);
  parser.Finish(on);
  return out;
}

TEST(ChatToMessagesStream, TheExactEventSequenceHoweverTheBytesAreSplit) {
  ChatToMessagesStream whole("gpt-5-mini", false);
  EXPECT_EQ(Translate(kChatStream, {}, &whole), kMessagesEvents);
  EXPECT_TRUE(whole.done());
  EXPECT_EQ(whole.delivered(), 4);  // two text deltas, two argument pieces
  const std::string_view bytes(kChatStream);
  std::vector<size_t> every;
  for (size_t i = 1; i < bytes.size(); ++i) every.push_back(i);
  ChatToMessagesStream byte_by_byte("gpt-5-mini", false);
  EXPECT_EQ(Translate(bytes, every, &byte_by_byte), kMessagesEvents);
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::vector<size_t> cuts;
    for (size_t i = 1; i < bytes.size(); ++i) {
      if (rng() % 17 == 0) cuts.push_back(i);
    }
    ChatToMessagesStream t("gpt-5-mini", false);
    EXPECT_EQ(Translate(bytes, cuts, &t), kMessagesEvents) << round;
  }
}

TEST(ChatToMessagesStream, InBandErrorAndCutStream) {
  ChatToMessagesStream t("grok-4", true);
  std::string out = Translate(
      "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n"
      "data: {\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}\n\n",
      {}, &t);
  EXPECT_THAT(out,
              ::testing::HasSubstr(
                  "event: error\ndata: {\"error\":{\"message\":\"boom\",\"type\":\"api_error\"},"
                  "\"type\":\"error\"}\n\n"));
  EXPECT_TRUE(t.saw_error());
  ChatToMessagesStream cut("gpt-5-mini", false);
  Translate(std::string_view(kChatStream).substr(0, 200), {}, &cut);
  EXPECT_FALSE(cut.done());  // no [DONE]: the relay appends the error event
}

TEST(ChatToMessagesStream, FuzzNeverCrashesAndDeliveredNeverDecreases) {
  std::mt19937 rng(11);
  const std::vector<std::string> pieces = {"data: ",
                                           "{\"choices\":[{\"delta\":{\"content\":\"a\"}}]}",
                                           "{\"choices\":[",
                                           "]}",
                                           "{\"usage\":{\"prompt_tokens\":",
                                           "3}}",
                                           "[DONE]",
                                           "\n\n",
                                           "\n",
                                           "\r\n",
                                           "event: x\n",
                                           "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":2,"
                                           "\"function\":{\"arguments\":\"{\"}}]}}]}",
                                           "{\"choices\":[{\"finish_reason\":\"length\"}]}",
                                           "{\"error\":1}",
                                           "null",
                                           "\xff\xfe",
                                           ":"};
  for (int round = 0; round < 500; ++round) {
    std::string bytes;
    for (int n = rng() % 30; n > 0; --n) bytes += pieces[rng() % pieces.size()];
    ChatToMessagesStream t("m", rng() % 2 == 0);
    SseParser parser;
    int64_t last = 0;
    auto on = [&](SseEvent&& e) {
      t.OnEvent(e);
      EXPECT_GE(t.delivered(), last);
      last = t.delivered();
    };
    parser.Feed(bytes.substr(0, rng() % (bytes.size() + 1)), on);
    parser.Finish(on);
  }
}

}  // namespace
}  // namespace llmgw::gateway

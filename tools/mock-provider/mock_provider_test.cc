#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "tools/mock-provider/providers.h"
#include "tools/mock-provider/server.h"
#include "tools/mock-provider/token_count.h"

namespace llmgw::mock {
namespace {

using json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr int64_t kCreated = 1700000000;

MockRequest Post(std::string target, const json& body, HeaderList extra = {}) {
  MockRequest r;
  r.method = "POST";
  r.target = std::move(target);
  bool anthropic = r.target.rfind("/anthropic", 0) == 0;
  if (anthropic) {
    r.headers = {{"x-api-key", "sk-ant-test"}, {"anthropic-version", "2023-06-01"}};
  } else {
    r.headers = {{"authorization", "Bearer sk-test"}};
  }
  for (auto& h : extra) r.headers.push_back(std::move(h));
  r.body = body.dump();
  return r;
}

MockResponse Handle(const MockRequest& r, Options options = {}) {
  return HandleRequest(r, options, Context{7, kCreated});
}

json Body(const MockResponse& r) { return json::parse(r.body); }

// Payloads of "data: X\n\n" frames, in order ("[DONE]" kept as a string).
std::vector<json> DataFrames(const MockResponse& r) {
  std::vector<json> out;
  for (const auto& f : r.frames) {
    EXPECT_EQ(f.bytes.rfind("data: ", 0), 0u) << f.bytes;
    EXPECT_EQ(f.bytes.substr(f.bytes.size() - 2), "\n\n");
    std::string data = f.bytes.substr(6, f.bytes.size() - 8);
    out.push_back(data == "[DONE]" ? json("[DONE]") : json::parse(data));
  }
  return out;
}

struct Event {
  std::string name;
  json data;
};
std::vector<Event> Events(const MockResponse& r) {
  std::vector<Event> out;
  for (const auto& f : r.frames) {
    EXPECT_EQ(f.bytes.rfind("event: ", 0), 0u) << f.bytes;
    size_t nl = f.bytes.find('\n');
    std::string name = f.bytes.substr(7, nl - 7);
    std::string rest = f.bytes.substr(nl + 1);
    EXPECT_EQ(rest.rfind("data: ", 0), 0u);
    json data = json::parse(rest.substr(6, rest.size() - 8));
    EXPECT_EQ(data["type"], name);
    out.push_back({name, data});
  }
  return out;
}

std::string Header(const MockResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

const json kChat = {{"model", "gpt-4o"},
                    {"messages",
                     {{{"role", "system"}, {"content", "be brief"}},
                      {{"role", "user"}, {"content", "hello there world"}}}}};
// 4 + 2 + 4 + 3
constexpr int64_t kChatPrompt = 13;

const json kWeatherTool = {
    {"type", "function"},
    {"function",
     {{"name", "get_weather"},
      {"parameters",
       {{"type", "object"},
        {"properties",
         {{"city", {{"type", "string"}}},
          {"days", {{"type", "integer"}}},
          {"metric", {{"type", "boolean"}}},
          {"unit", {{"type", "string"}, {"enum", {"celsius", "fahrenheit"}}}}}}}}}}};
const std::string kWeatherArgs = R"({"city":"mock","days":1,"metric":true,"unit":"celsius"})";

TEST(TokenCountTest, CountsWordsAndMessages) {
  EXPECT_EQ(CountWords(""), 0);
  EXPECT_EQ(CountWords("  a\tbb\n c  "), 3);
  EXPECT_EQ(CountChatInputTokens(kChat), kChatPrompt);
  json anthropic = {{"system", {{{"type", "text"}, {"text", "sys one two"}}}},
                    {"messages",
                     {{{"role", "user"},
                       {"content",
                        {{{"type", "text"}, {"text", "look"}},
                         {{"type", "image"}, {"source", {}}},
                         {{"type", "tool_result"}, {"tool_use_id", "t"}, {"content", "x y"}}}}}}}};
  EXPECT_EQ(CountChatInputTokens(anthropic), 3 + 4 + 1 + 2);
  EXPECT_EQ(CountEmbeddingInputTokens(json::array({"a b", "c"})), 3);
  EXPECT_EQ(CountEmbeddingInputTokens(json::array({1, 2, 3})), 3);
  EXPECT_EQ(CountResponsesInputTokens({{"instructions", "be nice"}, {"input", "hi you"}}), 8);
}

TEST(OpenAiTest, ChatCompletionExactBody) {
  MockResponse r = Handle(Post("/openai/v1/chat/completions", kChat));
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.streaming);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(Header(r, "x-request-id"), "req_mock_7");
  json expected = {
      {"id", "chatcmpl-mock-7"},
      {"object", "chat.completion"},
      {"created", kCreated},
      {"model", "gpt-4o"},
      {"system_fingerprint", "fp_mock"},
      {"choices",
       {{{"index", 0},
         {"message",
          {{"role", "assistant"},
           {"content", "mock0 mock1 mock2 mock3 mock4 mock5 mock6 mock7 mock8 mock9 mock10 mock11"},
           {"refusal", nullptr}}},
         {"logprobs", nullptr},
         {"finish_reason", "stop"}}}},
      {"usage",
       {{"prompt_tokens", kChatPrompt},
        {"completion_tokens", 12},
        {"total_tokens", kChatPrompt + 12},
        {"prompt_tokens_details", {{"cached_tokens", 0}}},
        {"completion_tokens_details", {{"reasoning_tokens", 0}}}}}};
  EXPECT_EQ(Body(r), expected);
}

TEST(OpenAiTest, MaxTokensCapsWithLength) {
  json body = kChat;
  body["max_completion_tokens"] = 3;
  json b = Body(Handle(Post("/openai/v1/chat/completions", body)));
  EXPECT_EQ(b["choices"][0]["message"]["content"], "mock0 mock1 mock2");
  EXPECT_EQ(b["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(b["usage"]["completion_tokens"], 3);
  body.erase("max_completion_tokens");
  body["max_tokens"] = 12;
  b = Body(Handle(Post("/openai/v1/chat/completions", body)));
  EXPECT_EQ(b["choices"][0]["finish_reason"], "stop");
  b = Body(Handle(Post("/openai/v1/chat/completions", kChat,
                       {{"x-mock-output-tokens", "2"}, {"x-mock-cached-tokens", "5"}})));
  EXPECT_EQ(b["choices"][0]["message"]["content"], "mock0 mock1");
  EXPECT_EQ(b["usage"]["prompt_tokens_details"]["cached_tokens"], 5);
}

TEST(ErrorsTest, ShapesPerProvider) {
  MockRequest no_key = Post("/openai/v1/chat/completions", kChat);
  no_key.headers.clear();
  MockResponse r = Handle(no_key);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Body(r)["error"]["code"], "invalid_api_key");
  EXPECT_EQ(Body(r)["error"]["type"], "invalid_request_error");
  EXPECT_EQ(Body(r)["error"]["param"], nullptr);
  EXPECT_THAT(Body(r)["error"]["message"].get<std::string>(), HasSubstr("Incorrect API key"));

  no_key.headers = {{"authorization", "Bearer "}};
  EXPECT_EQ(Handle(no_key).status, 401);

  json msg = {{"model", "claude-3-5-sonnet-20241022"},
              {"max_tokens", 100},
              {"messages", {{{"role", "user"}, {"content", "hi"}}}}};
  MockRequest anthropic = Post("/anthropic/v1/messages", msg);
  anthropic.headers = {{"anthropic-version", "2023-06-01"}};
  r = Handle(anthropic);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Body(r), json::parse(R"({"type":"error","error":{"type":"authentication_error",
                                     "message":"invalid x-api-key"}})"));
  EXPECT_EQ(Header(r, "request-id"), "req_mock_7");
  anthropic.headers = {{"authorization", "Bearer sk-ant"}};
  r = Handle(anthropic);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["error"]["type"], "invalid_request_error");

  r = Handle(Post("/anthropic/v1/nope", msg));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Body(r)["type"], "error");
  EXPECT_EQ(Body(r)["error"]["type"], "not_found_error");
  r = Handle(Post("/xai/v1/nope", kChat));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Body(r)["error"]["type"], "invalid_request_error");

  MockRequest bad = Post("/openai/v1/chat/completions", kChat);
  bad.body = "{not json";
  r = Handle(bad);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["error"]["type"], "invalid_request_error");
  bad = Post("/anthropic/v1/messages", msg);
  bad.body = "[";
  r = Handle(bad);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["error"]["type"], "invalid_request_error");

  json no_model = kChat;
  no_model.erase("model");
  r = Handle(Post("/google/v1beta/openai/chat/completions", no_model));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["error"]["param"], "model");
  json no_max = msg;
  no_max.erase("max_tokens");
  r = Handle(Post("/anthropic/v1/messages", no_max));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["error"]["message"], "max_tokens: Field required");

  r = Handle(Post("/openai/v1/chat/completions", kChat, {{"x-mock-status", "429"}}));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(Body(r)["error"]["code"], "rate_limit_exceeded");
  r = Handle(Post("/openai/v1/chat/completions", kChat,
                  {{"x-mock-status", "429"}, {"x-mock-error-code", "insufficient_quota"}}));
  EXPECT_EQ(Body(r)["error"]["type"], "insufficient_quota");
  EXPECT_EQ(Body(r)["error"]["code"], "insufficient_quota");
  r = Handle(Post("/openai/v1/chat/completions", kChat, {{"x-mock-status", "500"}}));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(Body(r)["error"]["type"], "server_error");
  r = Handle(Post("/anthropic/v1/messages", msg, {{"x-mock-status", "529"}}));
  EXPECT_EQ(r.status, 529);
  EXPECT_EQ(Body(r), json::parse(R"({"type":"error","error":{"type":"overloaded_error",
                                     "message":"Overloaded"}})"));
}

TEST(OpenAiTest, StreamWithoutUsage) {
  json body = kChat;
  body["stream"] = true;
  MockResponse r = Handle(Post("/openai/v1/chat/completions", body),
                          Options{.latency_ms = 30, .chunks = 5, .chunk_delay_ms = 10});
  ASSERT_TRUE(r.streaming);
  EXPECT_EQ(r.content_type, "text/event-stream");
  EXPECT_EQ(r.latency_ms, 30);
  std::vector<json> f = DataFrames(r);
  ASSERT_THAT(f, SizeIs(1 + 5 + 1 + 1));
  EXPECT_EQ(f[0]["choices"][0]["delta"], json({{"role", "assistant"}, {"content", ""}}));
  EXPECT_EQ(f[0]["object"], "chat.completion.chunk");
  EXPECT_EQ(f[0]["id"], "chatcmpl-mock-7");
  std::string text;
  std::vector<int> delays;
  for (int i = 1; i <= 5; ++i) {
    text += f[i]["choices"][0]["delta"]["content"].get<std::string>();
    EXPECT_EQ(f[i]["choices"][0]["finish_reason"], nullptr);
    delays.push_back(r.frames[i].delay_ms);
  }
  EXPECT_EQ(text, "mock0 mock1 mock2 mock3 mock4 mock5 mock6 mock7 mock8 mock9 mock10 mock11");
  EXPECT_EQ(f[1]["choices"][0]["delta"]["content"], "mock0 mock1");  // words [0, 12/5)
  EXPECT_THAT(delays, ElementsAre(0, 10, 10, 10, 10));
  EXPECT_EQ(f[6]["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(f[6]["choices"][0]["delta"], json::object());
  EXPECT_EQ(f[7], "[DONE]");
  for (int i = 0; i < 7; ++i) EXPECT_FALSE(f[i].contains("usage")) << i;
}

TEST(OpenAiTest, StreamIncludeUsage) {
  json body = kChat;
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  std::vector<json> f =
      DataFrames(Handle(Post("/openai/v1/chat/completions", body), Options{.chunks = 2}));
  ASSERT_THAT(f, SizeIs(1 + 2 + 1 + 1 + 1));
  for (int i = 0; i < 4; ++i) EXPECT_EQ(f[i]["usage"], nullptr) << i;
  EXPECT_EQ(f[4]["choices"], json::array());
  EXPECT_EQ(f[4]["usage"]["prompt_tokens"], kChatPrompt);
  EXPECT_EQ(f[4]["usage"]["completion_tokens"], 12);
  EXPECT_EQ(f[4]["usage"]["total_tokens"], kChatPrompt + 12);
  EXPECT_EQ(f[5], "[DONE]");
}

TEST(GoogleTest, UsageOnEveryChunkCumulative) {
  json body = kChat;
  body["model"] = "gemini-1.5-flash";
  body["stream"] = true;
  std::vector<json> f = DataFrames(
      Handle(Post("/google/v1beta/openai/chat/completions", body), Options{.chunks = 4}));
  ASSERT_THAT(f, SizeIs(1 + 4 + 1 + 1));
  std::vector<int64_t> completion;
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(f[i]["usage"]["prompt_tokens"], kChatPrompt);
    completion.push_back(f[i]["usage"]["completion_tokens"]);
  }
  EXPECT_THAT(completion, ElementsAre(0, 3, 6, 9, 12, 12));
  EXPECT_EQ(f[5]["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(f[5]["usage"]["total_tokens"], kChatPrompt + 12);
  EXPECT_EQ(f[6], "[DONE]");
  // Same with include_usage: still no usage-only chunk.
  body["stream_options"] = {{"include_usage", true}};
  EXPECT_THAT(DataFrames(Handle(Post("/google/v1beta/openai/chat/completions", body),
                                Options{.chunks = 4})),
              SizeIs(7));
}

TEST(XaiTest, ReasoningTokensApart) {
  json body = kChat;
  body["model"] = "grok-3-mini";
  json usage = Body(Handle(Post("/xai/v1/chat/completions", body)))["usage"];
  EXPECT_EQ(usage["completion_tokens"], 12);
  EXPECT_EQ(usage["completion_tokens_details"]["reasoning_tokens"], 10);
  EXPECT_EQ(usage["total_tokens"], kChatPrompt + 12 + 10);
  body["model"] = "grok-beta";
  usage = Body(Handle(Post("/xai/v1/chat/completions", body)))["usage"];
  EXPECT_EQ(usage["completion_tokens_details"]["reasoning_tokens"], 0);
  EXPECT_EQ(usage["total_tokens"], kChatPrompt + 12);
}

TEST(OpenAiTest, ToolCall) {
  json body = kChat;
  body["tools"] = {kWeatherTool};
  json b = Body(Handle(Post("/openai/v1/chat/completions", body)));
  EXPECT_EQ(b["choices"][0]["finish_reason"], "tool_calls");
  EXPECT_EQ(b["choices"][0]["message"]["content"], nullptr);
  EXPECT_EQ(b["choices"][0]["message"]["tool_calls"],
            json::parse(R"([{"id":"call_mock_1","type":"function","function":
                {"name":"get_weather","arguments":)" +
                        json(kWeatherArgs).dump() + "}}]"));

  body["stream"] = true;
  std::vector<json> f = DataFrames(Handle(Post("/openai/v1/chat/completions", body)));
  EXPECT_EQ(f[0]["choices"][0]["delta"]["tool_calls"][0],
            json::parse(R"({"index":0,"id":"call_mock_1","type":"function",
                            "function":{"name":"get_weather","arguments":""}})"));
  std::string args;
  size_t fragments = 0;
  for (size_t i = 1; i + 2 < f.size(); ++i) {
    args +=
        f[i]["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"].get<std::string>();
    ++fragments;
  }
  EXPECT_EQ(args, kWeatherArgs);
  EXPECT_EQ(fragments, 5u);
  EXPECT_EQ(f[f.size() - 2]["choices"][0]["finish_reason"], "tool_calls");

  body["stream"] = false;
  body["tool_choice"] = "none";
  b = Body(Handle(Post("/openai/v1/chat/completions", body)));
  EXPECT_EQ(b["choices"][0]["finish_reason"], "stop");
}

TEST(OpenAiTest, AnswersWithToolResult) {
  json body = kChat;
  body["tools"] = {kWeatherTool};
  body["messages"].push_back(
      {{"role", "assistant"},
       {"content", nullptr},
       {"tool_calls",
        {{{"id", "call_mock_1"},
          {"type", "function"},
          {"function", {{"name", "get_weather"}, {"arguments", kWeatherArgs}}}}}}});
  body["messages"].push_back(
      {{"role", "tool"}, {"tool_call_id", "call_mock_1"}, {"content", "sunny, 21 C"}});
  json b = Body(Handle(Post("/openai/v1/chat/completions", body)));
  EXPECT_EQ(b["choices"][0]["message"]["content"], "Tool said: sunny, 21 C");
  EXPECT_EQ(b["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(b["usage"]["completion_tokens"], 5);
}

const json kMessages = {{"model", "claude-3-5-sonnet-20241022"},
                        {"max_tokens", 100},
                        {"system", "you are terse"},
                        {"messages", {{{"role", "user"}, {"content", "hello there"}}}}};
constexpr int64_t kMessagesInput = 3 + 4 + 2;

TEST(AnthropicTest, MessageExactBody) {
  MockResponse r = Handle(Post("/anthropic/v1/messages?beta=true", kMessages));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Header(r, "request-id"), "req_mock_7");
  json expected = {
      {"id", "msg_mock_7"},
      {"type", "message"},
      {"role", "assistant"},
      {"model", "claude-3-5-sonnet-20241022"},
      {"content",
       {{{"type", "text"},
         {"text", "mock0 mock1 mock2 mock3 mock4 mock5 mock6 mock7 mock8 mock9 mock10 mock11"}}}},
      {"stop_reason", "end_turn"},
      {"stop_sequence", nullptr},
      {"usage",
       {{"input_tokens", kMessagesInput},
        {"cache_creation_input_tokens", 0},
        {"cache_read_input_tokens", 0},
        {"cache_creation", {{"ephemeral_5m_input_tokens", 0}, {"ephemeral_1h_input_tokens", 0}}},
        {"output_tokens", 12}}}};
  EXPECT_EQ(Body(r), expected);

  json capped = kMessages;
  capped["max_tokens"] = 4;
  json b = Body(Handle(Post("/anthropic/v1/messages", capped)));
  EXPECT_EQ(b["stop_reason"], "max_tokens");
  EXPECT_EQ(b["usage"]["output_tokens"], 4);

  b = Body(Handle(Post("/anthropic/v1/messages/count_tokens", kMessages)));
  EXPECT_EQ(b, json({{"input_tokens", kMessagesInput}}));
}

TEST(AnthropicTest, StreamEventSequence) {
  json body = kMessages;
  body["stream"] = true;
  MockResponse r = Handle(Post("/anthropic/v1/messages", body,
                               {{"x-mock-cached-tokens", "6"},
                                {"x-mock-cache-write-tokens", "5"},
                                {"x-mock-cache-write-1h-tokens", "2"}}),
                          Options{.chunks = 3, .chunk_delay_ms = 5});
  ASSERT_TRUE(r.streaming);
  std::vector<Event> e = Events(r);
  std::vector<std::string> names;
  for (const auto& ev : e) names.push_back(ev.name);
  EXPECT_THAT(names,
              ElementsAre("message_start", "content_block_start", "ping", "content_block_delta",
                          "content_block_delta", "content_block_delta", "content_block_stop",
                          "message_delta", "message_stop"));
  // Every cache write in cache_creation_input_tokens, split by TTL in cache_creation.
  EXPECT_EQ(e[0].data["message"]["usage"],
            json({{"input_tokens", kMessagesInput},
                  {"output_tokens", 1},
                  {"cache_creation_input_tokens", 5},
                  {"cache_read_input_tokens", 6},
                  {"cache_creation",
                   {{"ephemeral_5m_input_tokens", 3}, {"ephemeral_1h_input_tokens", 2}}}}));
  EXPECT_EQ(e[0].data["message"]["id"], "msg_mock_7");
  EXPECT_EQ(e[0].data["message"]["content"], json::array());
  EXPECT_EQ(e[1].data["content_block"], json({{"type", "text"}, {"text", ""}}));
  EXPECT_EQ(e[3].data["delta"],
            json({{"type", "text_delta"}, {"text", "mock0 mock1 mock2 mock3"}}));
  EXPECT_EQ(e[4].data["delta"]["text"], " mock4 mock5 mock6 mock7");
  EXPECT_EQ(r.frames[4].delay_ms, 5);
  EXPECT_EQ(r.frames[3].delay_ms, 0);
  EXPECT_EQ(e[7].data, json::parse(R"({"type":"message_delta","delta":{"stop_reason":"end_turn",
                                       "stop_sequence":null},"usage":{"output_tokens":12}})"));
  EXPECT_EQ(e[8].data, json({{"type", "message_stop"}}));
}

TEST(AnthropicTest, ToolUse) {
  json body = kMessages;
  body["tools"] = {
      {{"name", "lookup"},
       {"description", "d"},
       {"input_schema",
        {{"type", "object"},
         {"properties", {{"q", {{"type", "string"}}}, {"n", {{"type", "number"}}}}}}}}};
  json b = Body(Handle(Post("/anthropic/v1/messages", body)));
  EXPECT_EQ(b["stop_reason"], "tool_use");
  EXPECT_EQ(b["content"], json::parse(R"([{"type":"tool_use","id":"toolu_mock_1","name":"lookup",
                                           "input":{"n":1,"q":"mock"}}])"));
  body["stream"] = true;
  std::vector<Event> e = Events(Handle(Post("/anthropic/v1/messages", body), Options{.chunks = 1}));
  EXPECT_EQ(e[1].data["content_block"],
            json::parse(R"({"type":"tool_use","id":"toolu_mock_1","name":"lookup","input":{}})"));
  std::string partial;
  int deltas = 0;
  for (const auto& ev : e) {
    if (ev.name != "content_block_delta") continue;
    EXPECT_EQ(ev.data["delta"]["type"], "input_json_delta");
    partial += ev.data["delta"]["partial_json"].get<std::string>();
    ++deltas;
  }
  EXPECT_EQ(deltas, 2);
  EXPECT_EQ(json::parse(partial), json({{"n", 1}, {"q", "mock"}}));
  EXPECT_EQ(e[e.size() - 2].data["delta"]["stop_reason"], "tool_use");

  body["stream"] = false;
  body["messages"].push_back({{"role", "assistant"},
                              {"content",
                               {{{"type", "tool_use"},
                                 {"id", "toolu_mock_1"},
                                 {"name", "lookup"},
                                 {"input", {{"q", "mock"}}}}}}});
  body["messages"].push_back({{"role", "user"},
                              {"content",
                               {{{"type", "tool_result"},
                                 {"tool_use_id", "toolu_mock_1"},
                                 {"content", {{{"type", "text"}, {"text", "forty two"}}}}}}}});
  b = Body(Handle(Post("/anthropic/v1/messages", body)));
  EXPECT_EQ(b["content"][0]["text"], "Tool said: forty two");
  EXPECT_EQ(b["stop_reason"], "end_turn");
  EXPECT_EQ(b["usage"]["output_tokens"], 4);
}

TEST(StreamTest, FailMidStream) {
  json body = kChat;
  body["stream"] = true;
  std::vector<json> f = DataFrames(
      Handle(Post("/openai/v1/chat/completions", body, {{"x-mock-fail-mid-stream", "1"}}),
             Options{.chunks = 4}));
  ASSERT_THAT(f, SizeIs(1 + 2 + 1));
  EXPECT_EQ(f[3]["error"]["type"], "server_error");
  EXPECT_EQ(f[3]["error"]["param"], nullptr);

  json msg = kMessages;
  msg["stream"] = true;
  std::vector<Event> e =
      Events(Handle(Post("/anthropic/v1/messages", msg, {{"x-mock-fail-mid-stream", "1"}}),
                    Options{.chunks = 4}));
  ASSERT_THAT(e, SizeIs(3 + 2 + 1));
  EXPECT_EQ(e[5].name, "error");
  EXPECT_EQ(e[5].data["error"]["type"], "overloaded_error");
}

TEST(StreamTest, HeaderOverrides) {
  json body = kChat;
  body["stream"] = true;
  MockResponse r = Handle(
      Post("/xai/v1/chat/completions", body,
           {{"x-mock-chunks", "3"}, {"x-mock-chunk-delay-ms", "25"}, {"x-mock-latency-ms", "40"}}));
  EXPECT_EQ(r.latency_ms, 40);
  ASSERT_THAT(r.frames, SizeIs(1 + 3 + 1 + 1));
  EXPECT_EQ(r.frames[2].delay_ms, 25);
  EXPECT_EQ(Header(r, "x-request-id"), "req_mock_7");
}

TEST(EmbeddingsTest, Base64AndFloat) {
  json body = {{"model", "text-embedding-3-small"},
               {"input", {"one two", "three"}},
               {"encoding_format", "float"},
               {"dimensions", 2}};
  json b = Body(Handle(Post("/openai/v1/embeddings", body)));
  EXPECT_EQ(b, json::parse(R"({"object":"list","model":"text-embedding-3-small",
      "data":[{"object":"embedding","index":0,"embedding":[0.0009765625,0.001953125]},
              {"object":"embedding","index":1,"embedding":[0.0029296875,0.00390625]}],
      "usage":{"prompt_tokens":3,"total_tokens":3}})"));
  body["encoding_format"] = "base64";
  body["input"] = "x";
  b = Body(Handle(Post("/google/v1beta/openai/embeddings", body)));
  // 1/1024 = 0x3A800000, 2/1024 = 0x3B000000, little-endian.
  EXPECT_EQ(b["data"][0]["embedding"],
            Base64Encode(std::string("\x00\x00\x80\x3a\x00\x00\x00\x3b", 8)));
  EXPECT_EQ(Base64Encode("ab"), "YWI=");
  EXPECT_EQ(Base64Encode("abcd"), "YWJjZA==");
}

TEST(ModelsTest, Lists) {
  MockRequest r = Post("/openai/v1/models", json::object());
  r.method = "GET";
  json b = Body(Handle(r));
  EXPECT_EQ(b["object"], "list");
  EXPECT_EQ(b["data"][0], json::parse(R"({"id":"gpt-4o","object":"model","created":1715367049,
                                          "owned_by":"system"})"));
  r.target = "/xai/v1/models";
  EXPECT_EQ(Body(Handle(r))["data"][0]["id"], "grok-beta");
  r.target = "/openai/v1/chat/completions";  // GET on a POST route
  EXPECT_EQ(Handle(r).status, 404);
}

TEST(ResponsesTest, NonStreaming) {
  json b = Body(Handle(Post("/openai/v1/responses",
                            {{"model", "gpt-4o"}, {"input", "say hi"}, {"max_output_tokens", 2}})));
  EXPECT_EQ(b["object"], "response");
  EXPECT_EQ(b["output"][0]["content"][0]["text"], "mock0 mock1");
  EXPECT_EQ(b["usage"]["input_tokens"], 6);
  EXPECT_EQ(b["usage"]["output_tokens"], 2);
  EXPECT_EQ(b["status"], "incomplete");
}

// A real server on port 0, real HTTP over a socket.
TEST(ServerTest, JsonSseAndIntrospection) {
  auto server = MockServer::Start("127.0.0.1", 0, Options{.chunks = 3, .chunk_delay_ms = 5}, 2);
  ASSERT_TRUE(server.ok()) << server.status();
  httplib::Client client("127.0.0.1", (*server)->port());
  httplib::Headers headers = {{"Authorization", "Bearer sk-test"}, {"X-Monitor-Token", "mon_x"}};
  auto res = client.Post("/openai/v1/chat/completions", headers, kChat.dump(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("x-request-id"), "req_mock_1");
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  json b = json::parse(res->body);
  EXPECT_EQ(b["usage"]["prompt_tokens"], kChatPrompt);

  json stream = kMessages;
  stream["stream"] = true;
  res = client.Post("/anthropic/v1/messages",
                    {{"x-api-key", "k"}, {"anthropic-version", "2023-06-01"}}, stream.dump(),
                    "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/event-stream");
  EXPECT_EQ(res->get_header_value("request-id"), "req_mock_2");
  EXPECT_EQ(res->body.rfind("event: message_start\ndata: {", 0), 0u);
  EXPECT_THAT(res->body, HasSubstr("event: message_delta\ndata: "));
  const std::string stop = "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
  ASSERT_GT(res->body.size(), stop.size());
  EXPECT_EQ(res->body.substr(res->body.size() - stop.size()), stop);

  res = client.Get("/_mock/requests");
  ASSERT_TRUE(res);
  json log = json::parse(res->body);
  ASSERT_THAT(log, SizeIs(2));
  EXPECT_EQ(log[0]["method"], "POST");
  EXPECT_EQ(log[0]["target"], "/openai/v1/chat/completions");
  EXPECT_EQ(log[0]["headers"]["x-monitor-token"], "mon_x");
  EXPECT_EQ(log[1]["headers"]["anthropic-version"], "2023-06-01");
  ASSERT_TRUE(client.Post("/_mock/reset", "", "application/json"));
  EXPECT_EQ(json::parse(client.Get("/_mock/requests")->body), json::array());
  (*server)->Stop();
}

}  // namespace
}  // namespace llmgw::mock

namespace llmgw::mock {
namespace {

TEST(GeminiNativeTest, GenerateContentStreamAndCountTokens) {
  const json body = {
      {"contents",
       json::array({{{"role", "user"}, {"parts", json::array({{{"text", "one two"}}})}}})},
      {"systemInstruction", {{"parts", json::array({{{"text", "be brief"}}})}}},
      {"generationConfig", {{"maxOutputTokens", 5}}}};
  // prompt = (4 + 2) + 2; output capped at 5: MAX_TOKENS.
  MockResponse r = Handle(Post("/google/v1beta/models/gemini-2.5-flash:generateContent", body,
                               {{"x-goog-api-key", "AIza-k"}, {"x-mock-thoughts-tokens", "3"}}));
  ASSERT_EQ(r.status, 200) << r.body;
  json b = json::parse(r.body);
  EXPECT_EQ(b["candidates"][0]["content"]["parts"][0]["text"], "mock0 mock1 mock2 mock3 mock4");
  EXPECT_EQ(b["candidates"][0]["finishReason"], "MAX_TOKENS");
  EXPECT_EQ(b["usageMetadata"]["promptTokenCount"], 8);
  EXPECT_EQ(b["usageMetadata"]["candidatesTokenCount"], 5);
  EXPECT_EQ(b["usageMetadata"]["thoughtsTokenCount"], 3);
  EXPECT_EQ(b["usageMetadata"]["totalTokenCount"], 16);
  EXPECT_EQ(b["modelVersion"], "gemini-2.5-flash");

  MockResponse s = Handle(Post("/google/v1/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
                               body, {{"x-goog-api-key", "k"}}),
                          Options{.chunks = 2});
  ASSERT_TRUE(s.streaming);
  ASSERT_EQ(s.frames.size(), 2u);
  EXPECT_EQ(s.frames[1].bytes.substr(s.frames[1].bytes.size() - 4), "\r\n\r\n");
  json last = json::parse(s.frames[1].bytes.substr(6));
  EXPECT_EQ(last["usageMetadata"]["candidatesTokenCount"], 5);  // cumulative
  EXPECT_EQ(last["candidates"][0]["finishReason"], "MAX_TOKENS");
  MockResponse arr = Handle(Post("/google/v1beta/models/m:streamGenerateContent?key=k", body));
  EXPECT_TRUE(json::parse(arr.body).is_array());

  MockResponse c = Handle(Post("/google/v1beta/models/m:countTokens?key=k", body));
  EXPECT_EQ(json::parse(c.body), json({{"totalTokens", 8}}));
  MockResponse denied = Handle(Post("/google/v1beta/models/m:generateContent", body));
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(json::parse(denied.body)["error"]["status"], "PERMISSION_DENIED");
}

}  // namespace
}  // namespace llmgw::mock

namespace llmgw::mock {
namespace {

TEST(ResponsesStreamTest, TypedEventsWithRisingSequenceAndUsageOnlyAtTheEnd) {
  json body = {{"model", "gpt-5-mini"}, {"input", "one two"}, {"stream", true}};
  MockResponse r = Handle(Post("/openai/v1/responses", body), Options{.chunks = 3});
  ASSERT_TRUE(r.streaming);
  std::vector<std::string> types;
  int64_t seq = 0;
  json completed;
  for (const SseFrame& f : r.frames) {
    const size_t data = f.bytes.find("\ndata: ");
    json d = json::parse(f.bytes.substr(data + 7));
    types.push_back(d["type"]);
    EXPECT_EQ(d["sequence_number"], seq++);
    if (d["type"] == "response.completed") completed = d["response"];
  }
  EXPECT_EQ(types.front(), "response.created");
  EXPECT_EQ(types.back(), "response.completed");
  EXPECT_EQ(std::count(types.begin(), types.end(), "response.output_text.delta"), 3);
  EXPECT_EQ(completed["usage"]["input_tokens"], 6);  // 4 + 2 words
  EXPECT_EQ(completed["usage"]["output_tokens"], 12);
  // A function tool in the Responses API's flat form is called; its output comes back.
  json tools = json::array(
      {{{"type", "function"},
        {"name", "f"},
        {"parameters", {{"type", "object"}, {"properties", {{"x", {{"type", "string"}}}}}}}}});
  json call = json::parse(
      Handle(Post("/openai/v1/responses",
                  {{"model", "m"}, {"input", "hi"}, {"tools", tools}, {"tool_choice", "required"}}))
          .body);
  EXPECT_EQ(call["output"][0]["type"], "function_call");
  EXPECT_EQ(call["output"][0]["arguments"], "{\"x\":\"mock\"}");
  json back = json::parse(
      Handle(Post("/openai/v1/responses", {{"model", "m"},
                                           {"input", json::array({{{"type", "function_call_output"},
                                                                   {"call_id", "call_mock_1"},
                                                                   {"output", "ok"}}})}}))
          .body);
  EXPECT_EQ(back["output"][0]["content"][0]["text"], "Tool said: ok");
}

}  // namespace
}  // namespace llmgw::mock

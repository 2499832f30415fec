#include "services/gateway/domain/usage.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "services/gateway/domain/testdata_streams.h"

namespace llmgw::gateway {
namespace {

money::TokenCounts Tokens(int64_t input, int64_t cached_input, int64_t cache_write, int64_t output,
                          int64_t reasoning) {
  return money::TokenCounts{input, cached_input, cache_write, output, reasoning};
}

std::string Show(const money::TokenCounts& t) {
  return "{input=" + std::to_string(t.input) + " cached=" + std::to_string(t.cached_input) +
         " write=" + std::to_string(t.cache_write) + " output=" + std::to_string(t.output) +
         " reasoning=" + std::to_string(t.reasoning) + "}";
}

#define EXPECT_TOKENS(actual, expected) EXPECT_EQ(Show(actual), Show(expected))

// What one stream run produces: every event seen, the bytes relayed, and the tracker's verdict.
struct StreamRun {
  std::vector<std::string> raws;
  std::vector<std::string> datas;
  std::string relayed;
  Usage usage;
  bool terminal = false;
  bool error = false;
};

StreamRun RunStream(Provider p, bool drop, const std::string& input,
                    std::vector<size_t> cuts = {}) {
  StreamRun run;
  SseParser parser;
  StreamUsageTracker tracker(p, drop);
  auto on_event = [&](SseEvent&& e) {
    if (tracker.OnEvent(e)) run.relayed += e.raw;
    run.raws.push_back(std::move(e.raw));
    run.datas.push_back(std::move(e.data));
  };
  size_t prev = 0;
  cuts.push_back(input.size());
  for (size_t cut : cuts) {
    parser.Feed(std::string_view(input).substr(prev, cut - prev), on_event);
    prev = cut;
  }
  parser.Finish(on_event);
  EXPECT_EQ(parser.pending(), "");
  run.usage = tracker.usage();
  run.terminal = tracker.saw_terminal();
  run.error = tracker.saw_error();
  return run;
}

std::string WithLineEnd(const std::string& s, const std::string& eol) {
  std::string out;
  for (char c : s) {
    if (c == '\n') {
      out += eol;
    } else {
      out += c;
    }
  }
  return out;
}

std::string Concat(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += x;
  return s;
}

// ---- Streams --------------------------------------------------------------------------------

TEST(StreamUsageTest, OpenAIUsageChunkDroppedOnlyWhenInjected) {
  const std::string input = testdata::kOpenAIStream;
  StreamRun kept = RunStream(Provider::kOpenAI, /*drop=*/false, input);
  ASSERT_EQ(kept.raws.size(), 6u);
  EXPECT_EQ(kept.relayed, input);
  EXPECT_TRUE(kept.usage.found);
  EXPECT_EQ(kept.usage.model, "gpt-4o-mini-2024-07-18");
  EXPECT_TOKENS(kept.usage.tokens, Tokens(1200, 1024, 0, 300, 0));
  EXPECT_TRUE(kept.terminal);
  EXPECT_FALSE(kept.error);

  StreamRun dropped = RunStream(Provider::kOpenAI, /*drop=*/true, input);
  std::string want;
  for (size_t i = 0; i < dropped.raws.size(); ++i) {
    if (i != testdata::kOpenAIStreamUsageEvent) want += dropped.raws[i];
  }
  EXPECT_EQ(dropped.relayed, want);
  EXPECT_EQ(dropped.relayed.find("\"usage\":{"), std::string::npos);
  EXPECT_NE(dropped.relayed.find("data: [DONE]\n\n"), std::string::npos);
  EXPECT_TOKENS(dropped.usage.tokens, Tokens(1200, 1024, 0, 300, 0));
  EXPECT_TRUE(dropped.terminal);
}

// The first chunk is parsed without its content unless the cheap test sees a usage object; a
// usage key spelled with an escape still finds the usage-only chunk and drops it.
TEST(StreamUsageTest, InjectedUsageChunkWithEscapedKeyIsStillDropped) {
  const std::string content =
      "data: {\"model\":\"m-1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}\n\n";
  const std::string usage_only =
      "data: {\"model\":\"m-1\",\"choices\":[],"
      "\"\\u0075sage\":{\"prompt_tokens\":5,\"completion_tokens\":7,\"total_tokens\":12}}\n\n";
  StreamRun run = RunStream(Provider::kOpenAI, /*drop=*/true, usage_only + content);
  EXPECT_EQ(run.relayed, content);
  EXPECT_TRUE(run.usage.found);
  EXPECT_EQ(run.usage.model, "m-1");
  EXPECT_TOKENS(run.usage.tokens, Tokens(5, 0, 0, 7, 0));

  StreamRun kept = RunStream(Provider::kOpenAI, /*drop=*/false, usage_only + content);
  EXPECT_EQ(kept.relayed, usage_only + content);
  EXPECT_TOKENS(kept.usage.tokens, Tokens(5, 0, 0, 7, 0));
}

TEST(StreamUsageTest, GoogleUsageOnEveryChunkLastWins) {
  StreamRun run = RunStream(Provider::kGoogle, /*drop=*/true, testdata::kGoogleStream);
  EXPECT_EQ(run.raws.size(), 4u);
  EXPECT_EQ(run.relayed, testdata::kGoogleStream);  // no "choices":[] chunk: nothing dropped
  EXPECT_TRUE(run.usage.found);
  EXPECT_EQ(run.usage.model, "gemini-1.5-flash");
  EXPECT_TOKENS(run.usage.tokens, Tokens(8, 0, 0, 7, 0));  // not 1+4+7, not 8*3
  EXPECT_TRUE(run.terminal);
}

TEST(StreamUsageTest, AnthropicCumulativeMessageDeltaOverwrites) {
  StreamRun run = RunStream(Provider::kAnthropic, /*drop=*/false, testdata::kAnthropicStream);
  EXPECT_EQ(run.raws.size(), 8u);
  EXPECT_EQ(run.relayed, testdata::kAnthropicStream);
  EXPECT_TRUE(run.usage.found);
  EXPECT_EQ(run.usage.model, "claude-3-5-sonnet-20241022");
  // input 25 + cache write 100 + cache read 50; output 12 from the last delta (not 1+5+12).
  EXPECT_TOKENS(run.usage.tokens, Tokens(175, 50, 100, 12, 0));
  EXPECT_TRUE(run.terminal);
  EXPECT_FALSE(run.error);
}

TEST(StreamUsageTest, AnthropicMessageDeltaWithInputFieldsOverwritesThem) {
  std::string input =
      "event: message_start\n"
      "data: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-3-5-haiku-20241022\","
      "\"usage\":{\"input_tokens\":10,\"cache_creation_input_tokens\":null,"
      "\"cache_read_input_tokens\":4,\"output_tokens\":1}}}\n\n"
      "event: message_delta\n"
      "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{"
      "\"input_tokens\":11,\"cache_creation_input_tokens\":3,\"cache_read_input_tokens\":null,"
      "\"output_tokens\":20}}\n\n"
      "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
  StreamRun run = RunStream(Provider::kAnthropic, false, input);
  // null never overwrites: cache_read stays 4.
  EXPECT_TOKENS(run.usage.tokens, Tokens(11 + 3 + 4, 4, 3, 20, 0));
  EXPECT_TRUE(run.terminal);
}

TEST(StreamUsageTest, AnthropicWithoutEventLinesFallsBackToDataType) {
  std::string input =
      "data: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":7,"
      "\"output_tokens\":1}}}\n\n"
      "data: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":9}}\n\n"
      "data: {\"type\":\"message_stop\"}\n\n";
  StreamRun run = RunStream(Provider::kAnthropic, false, input);
  EXPECT_TOKENS(run.usage.tokens, Tokens(7, 0, 0, 9, 0));
  EXPECT_TRUE(run.terminal);
}

TEST(StreamUsageTest, InBandErrors) {
  StreamRun openai = RunStream(Provider::kOpenAI, true,
                               "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n"
                               "data: {\"error\":{\"message\":\"boom\",\"type\":\"server_error\","
                               "\"param\":null,\"code\":null}}\n\n");
  EXPECT_TRUE(openai.error);
  EXPECT_FALSE(openai.terminal);
  EXPECT_FALSE(openai.usage.found);

  StreamRun anthropic = RunStream(Provider::kAnthropic, false,
                                  "event: ping\ndata: {\"type\": \"ping\"}\n\n"
                                  "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":"
                                  "\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n");
  EXPECT_TRUE(anthropic.error);
  EXPECT_FALSE(anthropic.terminal);
  EXPECT_FALSE(anthropic.usage.found);
}

TEST(StreamUsageTest, MalformedEventsAreIgnored) {
  for (Provider p : {Provider::kOpenAI, Provider::kAnthropic, Provider::kXai}) {
    StreamRun run = RunStream(p, true,
                              "data: {not json\n\n"
                              "event: message_start\ndata: [1,2]\n\n"
                              "data: \"usage\"\n\n"
                              "event: message_delta\ndata: {\"usage\":\"x\"}\n\n"
                              "data: {\"usage\":{\"prompt_tokens\":\"5\"},\"choices\":[]}\n\n"
                              ": only a comment\n\n");
    EXPECT_FALSE(run.error);
    EXPECT_FALSE(run.terminal);
    EXPECT_TOKENS(run.usage.tokens, Tokens(0, 0, 0, 0, 0));
  }
}

TEST(StreamUsageTest, UsageFoundInPrettyMultiLineData) {
  std::string input =
      "data: {\"model\":\"gpt-4o\",\"choices\":[{\"delta\":{\"content\":\"\\\"usage\\\": "
      "{\"}}]}\n\n"
      "data: {\"choices\":[{\"delta\":{\"content\":\"usage\"}}],\"x\":\"usage\"}\n\n"
      "data: {\"choices\": [],\n"
      "data:  \"usage\"  :\n"
      "data: \t{\"prompt_tokens\": 3, \"completion_tokens\": 4}}\n\n"
      "data: [DONE]\n\n";
  StreamRun run = RunStream(Provider::kOpenAI, true, input);
  ASSERT_EQ(run.raws.size(), 4u);
  EXPECT_EQ(run.usage.model, "gpt-4o");
  EXPECT_TOKENS(run.usage.tokens, Tokens(3, 0, 0, 4, 0));
  EXPECT_EQ(run.relayed, run.raws[0] + run.raws[1] + run.raws[3]);
}

TEST(StreamUsageTest, XaiReasoningAddedToOutput) {
  std::string input =
      "data: {\"id\":\"x1\",\"object\":\"chat.completion.chunk\",\"model\":\"grok-3-mini\","
      "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"4\",\"role\":\"assistant\"}}]}\n\n"
      "data: {\"id\":\"x1\",\"object\":\"chat.completion.chunk\",\"model\":\"grok-3-mini\","
      "\"choices\":[],\"usage\":{\"prompt_tokens\":14,\"completion_tokens\":1,\"total_tokens\":"
      "215,\"prompt_tokens_details\":{\"text_tokens\":14,\"audio_tokens\":0,\"image_tokens\":0,"
      "\"cached_tokens\":6},\"completion_tokens_details\":{\"reasoning_tokens\":200,"
      "\"audio_tokens\":0,\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}}"
      "\n\ndata: [DONE]\n\n";
  StreamRun run = RunStream(Provider::kXai, true, input);
  EXPECT_TOKENS(run.usage.tokens, Tokens(14, 6, 0, 201, 200));
  EXPECT_EQ(run.usage.model, "grok-3-mini");
  EXPECT_EQ(run.raws.size(), 3u);
  EXPECT_EQ(run.relayed, run.raws[0] + run.raws[2]);
  // The same numbers from OpenAI mean reasoning is already inside completion_tokens.
  StreamRun openai = RunStream(Provider::kOpenAI, true, input);
  EXPECT_TOKENS(openai.usage.tokens, Tokens(14, 6, 0, 1, 200));
}

TEST(StreamUsageTest, ResponsesApiUsageFromCompletedEvent) {
  std::string input =
      "event: response.created\n"
      "data: {\"type\":\"response.created\",\"response\":{\"id\":\"resp_1\",\"model\":"
      "\"gpt-4o-2024-08-06\",\"usage\":null}}\n\n"
      "event: response.output_text.delta\n"
      "data: {\"type\":\"response.output_text.delta\",\"delta\":\"Hi\"}\n\n"
      "event: response.completed\n"
      "data: {\"type\":\"response.completed\",\"response\":{\"id\":\"resp_1\",\"model\":"
      "\"gpt-4o-2024-08-06\",\"usage\":{\"input_tokens\":36,\"input_tokens_details\":{"
      "\"cached_tokens\":0},\"output_tokens\":87,\"output_tokens_details\":{\"reasoning_tokens\":"
      "10},\"total_tokens\":123}}}\n\n";
  StreamRun run = RunStream(Provider::kOpenAI, false, input);
  EXPECT_TRUE(run.usage.found);
  EXPECT_EQ(run.usage.model, "gpt-4o-2024-08-06");
  EXPECT_TOKENS(run.usage.tokens, Tokens(36, 0, 0, 87, 10));
  EXPECT_TRUE(run.terminal);
  EXPECT_EQ(run.relayed, input);
}

// Events, relayed bytes and usage do not depend on how the stream is cut, for \n, \r\n and \r.
TEST(StreamUsageTest, RandomSplitsGiveIdenticalEventsAndUsage) {
  struct Stream {
    Provider provider;
    bool drop;
    std::string text;
  };
  std::vector<Stream> streams;
  for (const char* eol : {"\n", "\r\n", "\r"}) {
    streams.push_back({Provider::kOpenAI, true, WithLineEnd(testdata::kOpenAIStream, eol)});
    streams.push_back({Provider::kOpenAI, false, WithLineEnd(testdata::kOpenAIStream, eol)});
    streams.push_back({Provider::kGoogle, true, WithLineEnd(testdata::kGoogleStream, eol)});
    streams.push_back({Provider::kAnthropic, false, WithLineEnd(testdata::kAnthropicStream, eol)});
  }
  std::mt19937 rng(20240601);
  for (const Stream& s : streams) {
    SCOPED_TRACE(testing::PrintToString(s.text.substr(0, 40)));
    StreamRun whole = RunStream(s.provider, s.drop, s.text);
    EXPECT_EQ(Concat(whole.raws), s.text);
    EXPECT_TRUE(whole.usage.found);
    EXPECT_TRUE(whole.terminal);

    std::vector<size_t> every;
    for (size_t i = 1; i < s.text.size(); ++i) every.push_back(i);
    std::vector<StreamRun> runs = {RunStream(s.provider, s.drop, s.text, every)};
    for (int iter = 0; iter < 200; ++iter) {
      std::uniform_int_distribution<size_t> count(1, 16);
      std::uniform_int_distribution<size_t> pos(0, s.text.size());
      std::vector<size_t> cuts;
      for (size_t c = count(rng); c > 0; --c) cuts.push_back(pos(rng));
      std::sort(cuts.begin(), cuts.end());
      runs.push_back(RunStream(s.provider, s.drop, s.text, cuts));
    }
    for (const StreamRun& r : runs) {
      ASSERT_EQ(r.raws, whole.raws);
      ASSERT_EQ(r.datas, whole.datas);
      ASSERT_EQ(r.relayed, whole.relayed);
      ASSERT_EQ(Show(r.usage.tokens), Show(whole.usage.tokens));
      ASSERT_EQ(r.usage.model, whole.usage.model);
      ASSERT_EQ(r.terminal, whole.terminal);
    }
  }
  // Spot-check the line-ending variants agree on usage with the \n original.
  EXPECT_TOKENS(
      RunStream(Provider::kAnthropic, false, WithLineEnd(testdata::kAnthropicStream, "\r"))
          .usage.tokens,
      Tokens(175, 50, 100, 12, 0));
  EXPECT_TOKENS(
      RunStream(Provider::kGoogle, true, WithLineEnd(testdata::kGoogleStream, "\r\n")).usage.tokens,
      Tokens(8, 0, 0, 7, 0));
}

// ---- Requests -------------------------------------------------------------------------------

TEST(InspectRequestTest, InjectsIncludeUsageBySplicingTheBody) {
  std::string body =
      R"({"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}],)"
      R"("temperature":0.70})";
  RequestInspection r = InspectRequest(Provider::kOpenAI, "/chat/completions", body);
  EXPECT_EQ(r.model, "gpt-4o");
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.injected_include_usage);
  EXPECT_EQ(r.body, R"({"stream_options":{"include_usage":true},"model":"gpt-4o","stream":true,)"
                    R"("messages":[{"role":"user","content":"hi"}],"temperature":0.70})");

  std::string pretty = "\n  {\n  \"stream\": true,\n  \"model\": \"grok-beta\"\n}\n";
  RequestInspection x = InspectRequest(Provider::kXai, "/chat/completions", pretty);
  EXPECT_TRUE(x.injected_include_usage);
  EXPECT_EQ(x.model, "grok-beta");
  EXPECT_EQ(x.body,
            "\n  {\"stream_options\":{\"include_usage\":true},\n  \"stream\": true,\n  "
            "\"model\": \"grok-beta\"\n}\n");

  RequestInspection g = InspectRequest(Provider::kGoogle, "/chat/completions",
                                       R"({"model":"gemini-1.5-flash","stream":true})");
  EXPECT_TRUE(g.injected_include_usage);
  EXPECT_EQ(g.body, R"({"stream_options":{"include_usage":true},"model":"gemini-1.5-flash",)"
                    R"("stream":true})");
}

TEST(InspectRequestTest, RewritesStreamOptionsKeepingOtherKeys) {
  RequestInspection f = InspectRequest(
      Provider::kOpenAI, "/chat/completions",
      R"({"model":"gpt-4o","stream":true,"stream_options":{"include_usage":false,"x":1},"n":2})");
  EXPECT_TRUE(f.injected_include_usage);
  EXPECT_EQ(f.body,
            R"({"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true,"x":1},)"
            R"("n":2})");

  RequestInspection o = InspectRequest(
      Provider::kOpenAI, "/chat/completions",
      R"({"stream_options":{"continuous_usage_stats":true},"model":"gpt-4o","stream":true})");
  EXPECT_TRUE(o.injected_include_usage);
  EXPECT_EQ(o.body, R"({"stream_options":{"continuous_usage_stats":true,"include_usage":true},)"
                    R"("model":"gpt-4o","stream":true})");

  RequestInspection n = InspectRequest(Provider::kOpenAI, "/chat/completions",
                                       R"({"model":"m","stream":true,"stream_options":null})");
  EXPECT_TRUE(n.injected_include_usage);
  EXPECT_EQ(n.body, R"({"model":"m","stream":true,"stream_options":{"include_usage":true}})");
}

TEST(InspectRequestTest, LeavesTheBodyAloneOtherwise) {
  struct Case {
    Provider p;
    std::string endpoint;
    std::string body;
    std::string model;
    bool stream;
  };
  const std::vector<Case> cases = {
      // The client asked for usage itself: it sees the usage chunk.
      {Provider::kOpenAI, "/chat/completions",
       R"({"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true}})", "gpt-4o",
       true},
      {Provider::kOpenAI, "/chat/completions", R"({"model":"gpt-4o","stream":false})", "gpt-4o",
       false},
      {Provider::kOpenAI, "/chat/completions", R"({"model":"gpt-4o"})", "gpt-4o", false},
      {Provider::kOpenAI, "/chat/completions", R"({"model":"gpt-4o","stream":"true"})", "gpt-4o",
       false},
      {Provider::kOpenAI, "/responses", R"({"model":"gpt-4o","stream":true})", "gpt-4o", true},
      {Provider::kAnthropic, "/v1/messages",
       R"({"model":"claude-3-5-sonnet-20241022","max_tokens":10,"stream":true})",
       "claude-3-5-sonnet-20241022", true},
      {Provider::kOpenAI, "/chat/completions", "not json {\"stream\":true}", "", false},
      {Provider::kOpenAI, "/chat/completions", R"({"model":"gpt-4o","stream":true)", "", false},
      {Provider::kOpenAI, "/chat/completions", R"([{"model":"gpt-4o","stream":true}])", "", false},
      {Provider::kOpenAI, "/chat/completions", "", "", false},
      {Provider::kOpenAI, "/chat/completions", R"({"model":42,"stream":true,"x":[})", "", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    RequestInspection r = InspectRequest(c.p, c.endpoint, c.body);
    EXPECT_FALSE(r.injected_include_usage);
    EXPECT_EQ(r.body, c.body);
    EXPECT_EQ(r.model, c.model);
    EXPECT_EQ(r.stream, c.stream);
  }
}

TEST(InspectRequestTest, FindsTopLevelKeysAfterLargeNestedValues) {
  std::string body = R"({"messages":[)";
  for (int i = 0; i < 1000; ++i) {
    if (i > 0) body += ",";
    body += R"({"role":"user","content":[{"type":"text","text":"model stream"}],)"
            R"("model":"inner","stream":false})";
  }
  body += R"(],"tools":{"model":"nested"},"model":"gpt-4o-mini","stream":true})";
  RequestInspection r = InspectRequest(Provider::kOpenAI, "/chat/completions", body);
  EXPECT_EQ(r.model, "gpt-4o-mini");
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.injected_include_usage);
  EXPECT_EQ(r.body, R"({"stream_options":{"include_usage":true},)" + body.substr(1));
}

// The injected request and the dropped chunk round trip: the client's view is what it would
// have been had the gateway not asked for usage.
TEST(InspectRequestTest, InjectionRoundTrip) {
  RequestInspection injected = InspectRequest(Provider::kOpenAI, "/chat/completions",
                                              R"({"model":"gpt-4o-mini","stream":true})");
  ASSERT_TRUE(injected.injected_include_usage);
  StreamRun a =
      RunStream(Provider::kOpenAI, injected.injected_include_usage, testdata::kOpenAIStream);
  EXPECT_EQ(a.relayed.find("\"choices\":[],"), std::string::npos);
  EXPECT_TOKENS(a.usage.tokens, Tokens(1200, 1024, 0, 300, 0));

  RequestInspection asked = InspectRequest(
      Provider::kOpenAI, "/chat/completions",
      R"({"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true}})");
  ASSERT_FALSE(asked.injected_include_usage);
  StreamRun b = RunStream(Provider::kOpenAI, asked.injected_include_usage, testdata::kOpenAIStream);
  EXPECT_EQ(b.relayed, testdata::kOpenAIStream);
  EXPECT_TOKENS(b.usage.tokens, Tokens(1200, 1024, 0, 300, 0));
}

// ---- JSON bodies ----------------------------------------------------------------------------

TEST(ParseJsonUsageTest, OpenAIChatCompletion) {
  Usage u = ParseJsonUsage(Provider::kOpenAI, R"({
    "id": "chatcmpl-123", "object": "chat.completion", "created": 1677652288,
    "model": "gpt-4o-2024-08-06", "system_fingerprint": "fp_44709d6fcb",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello",
                 "refusal": null}, "logprobs": null, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 2006, "completion_tokens": 300, "total_tokens": 2306,
              "prompt_tokens_details": {"cached_tokens": 1920, "audio_tokens": 0},
              "completion_tokens_details": {"reasoning_tokens": 128, "audio_tokens": 0,
                "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}}})");
  EXPECT_TRUE(u.found);
  EXPECT_EQ(u.model, "gpt-4o-2024-08-06");
  EXPECT_TOKENS(u.tokens, Tokens(2006, 1920, 0, 300, 128));
}

TEST(ParseJsonUsageTest, OpenAIResponsesAndEmbeddings) {
  Usage r = ParseJsonUsage(Provider::kOpenAI, R"({
    "id": "resp_67cc", "object": "response", "created_at": 1741476542, "status": "completed",
    "model": "o3-mini-2025-01-31", "output": [{"type": "message", "content": [
      {"type": "output_text", "text": "usage: input_tokens 1"}]}],
    "usage": {"input_tokens": 328, "input_tokens_details": {"cached_tokens": 256},
              "output_tokens": 52, "output_tokens_details": {"reasoning_tokens": 40},
              "total_tokens": 380}})");
  EXPECT_TRUE(r.found);
  EXPECT_EQ(r.model, "o3-mini-2025-01-31");
  EXPECT_TOKENS(r.tokens, Tokens(328, 256, 0, 52, 40));

  Usage e = ParseJsonUsage(Provider::kOpenAI, R"({"object":"list","data":[{"object":
    "embedding","index":0,"embedding":"AACAPwAAAEA="}],"model":"text-embedding-3-small",
    "usage":{"prompt_tokens":8,"total_tokens":8}})");
  EXPECT_TRUE(e.found);
  EXPECT_EQ(e.model, "text-embedding-3-small");
  EXPECT_TOKENS(e.tokens, Tokens(8, 0, 0, 0, 0));
}

TEST(ParseJsonUsageTest, AnthropicMessage) {
  Usage u = ParseJsonUsage(Provider::kAnthropic, R"({
    "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF", "type": "message", "role": "assistant",
    "model": "claude-3-5-sonnet-20241022",
    "content": [{"type": "text", "text": "Hi! My name is Claude."}],
    "stop_reason": "end_turn", "stop_sequence": null,
    "usage": {"input_tokens": 2095, "cache_creation_input_tokens": 2051,
              "cache_read_input_tokens": 1000, "output_tokens": 503}})");
  EXPECT_TRUE(u.found);
  EXPECT_EQ(u.model, "claude-3-5-sonnet-20241022");
  EXPECT_TOKENS(u.tokens, Tokens(2095 + 2051 + 1000, 1000, 2051, 503, 0));

  Usage plain =
      ParseJsonUsage(Provider::kAnthropic, R"({"model":"claude-3-5-haiku-20241022","usage":{)"
                                           R"("input_tokens":12,"output_tokens":6}})");
  EXPECT_TOKENS(plain.tokens, Tokens(12, 0, 0, 6, 0));
}

TEST(ParseJsonUsageTest, AnthropicOneHourCacheWritesArePartOfTheWrites) {
  Usage u = ParseJsonUsage(Provider::kAnthropic, R"({"model":"claude-sonnet-4-5-20250929",
    "usage":{"input_tokens":10,"cache_creation_input_tokens":300,"cache_read_input_tokens":20,
    "cache_creation":{"ephemeral_5m_input_tokens":100,"ephemeral_1h_input_tokens":200},
    "output_tokens":5}})");
  EXPECT_TOKENS(u.tokens, Tokens(330, 20, 300, 5, 0));
  EXPECT_EQ(u.tokens.cache_write_1h, 200);
  // Never more one-hour writes than writes, whatever a provider sends.
  Usage odd = ParseJsonUsage(Provider::kAnthropic, R"({"usage":{"input_tokens":1,
    "cache_creation_input_tokens":3,"cache_creation":{"ephemeral_1h_input_tokens":9},
    "output_tokens":1}})");
  EXPECT_EQ(odd.tokens.cache_write_1h, 3);
}

TEST(StreamUsageTest, AnthropicOneHourCacheWritesFromMessageStart) {
  std::string input =
      "event: message_start\n"
      "data: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":4,"
      "\"cache_creation_input_tokens\":50,\"cache_read_input_tokens\":0,"
      "\"cache_creation\":{\"ephemeral_5m_input_tokens\":20,\"ephemeral_1h_input_tokens\":30},"
      "\"output_tokens\":1}}}\n\n"
      "event: message_delta\n"
      "data: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":9}}\n\n"
      "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
  StreamRun run = RunStream(Provider::kAnthropic, false, input);
  EXPECT_TOKENS(run.usage.tokens, Tokens(54, 0, 50, 9, 0));
  EXPECT_EQ(run.usage.tokens.cache_write_1h, 30);  // kept when message_delta omits it
}

TEST(ParseJsonUsageTest, GoogleAndXai) {
  Usage g = ParseJsonUsage(Provider::kGoogle, R"({"choices":[{"finish_reason":"stop","index":0,
    "message":{"content":"Hi","role":"assistant"}}],"created":1718000000,"model":
    "gemini-1.5-flash","object":"chat.completion","usage":{"completion_tokens":9,
    "prompt_tokens":5,"total_tokens":14}})");
  EXPECT_TRUE(g.found);
  EXPECT_EQ(g.model, "gemini-1.5-flash");
  EXPECT_TOKENS(g.tokens, Tokens(5, 0, 0, 9, 0));

  const std::string xai_body = R"({"id":"a3d1","object":"chat.completion","created":1743770302,
    "model":"grok-3-mini-beta","choices":[{"index":0,"message":{"role":"assistant",
    "content":"101 * 3 = 303","reasoning_content":"..."},"finish_reason":"stop"}],
    "usage":{"prompt_tokens":32,"completion_tokens":9,"total_tokens":135,
    "prompt_tokens_details":{"text_tokens":32,"audio_tokens":0,"image_tokens":0,
    "cached_tokens":6},"completion_tokens_details":{"reasoning_tokens":94,"audio_tokens":0,
    "accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},
    "system_fingerprint":"fp_1"})";
  Usage x = ParseJsonUsage(Provider::kXai, xai_body);
  EXPECT_TRUE(x.found);
  EXPECT_EQ(x.model, "grok-3-mini-beta");
  EXPECT_TOKENS(x.tokens, Tokens(32, 6, 0, 9 + 94, 94));
  EXPECT_TOKENS(ParseJsonUsage(Provider::kOpenAI, xai_body).tokens, Tokens(32, 6, 0, 9, 94));
}

TEST(ParseJsonUsageTest, NoUsage) {
  for (Provider p : {Provider::kOpenAI, Provider::kAnthropic, Provider::kGoogle, Provider::kXai}) {
    for (const std::string& body :
         {std::string(R"({"error":{"message":"x","type":"invalid_request_error","param":null,)"
                      R"("code":"invalid_api_key"}})"),
          std::string(R"({"type":"error","error":{"type":"overloaded_error","message":"x"}})"),
          std::string(R"({"model":"m","usage":null})"), std::string(R"({"usage":{}})"),
          std::string("<html>502 Bad Gateway</html>"), std::string(""),
          std::string(R"({"usage":{"prompt_tokens":5})"), std::string("[1,2,3]")}) {
      SCOPED_TRACE(body);
      Usage u = ParseJsonUsage(p, body);
      EXPECT_FALSE(u.found);
      EXPECT_TOKENS(u.tokens, Tokens(0, 0, 0, 0, 0));
    }
  }
  Usage m = ParseJsonUsage(Provider::kOpenAI, R"({"model":"m","usage":null})");
  EXPECT_EQ(m.model, "m");
  Usage neg = ParseJsonUsage(Provider::kOpenAI,
                             R"({"usage":{"prompt_tokens":-5,"completion_tokens":1e30}})");
  EXPECT_TRUE(neg.found);
  EXPECT_TOKENS(neg.tokens, Tokens(0, 0, 0, 0, 0));
}

TEST(SanitizeLabelTest, KeepsOrdinaryLabels) {
  EXPECT_EQ(SanitizeLabel("gpt-4o-mini-2024-07-18"), "gpt-4o-mini-2024-07-18");
  EXPECT_EQ(SanitizeLabel("/v1/messages"), "/v1/messages");
  EXPECT_EQ(SanitizeLabel("req_011CTgm5 x"), "req_011CTgm5 x");
  EXPECT_EQ(SanitizeLabel("mod\xC3\xA8le-\xE2\x82\xAC-\xF0\x9F\x98\x80"),
            "mod\xC3\xA8le-\xE2\x82\xAC-\xF0\x9F\x98\x80");  // è, €, an emoji
  EXPECT_EQ(SanitizeLabel(""), "");
}

TEST(SanitizeLabelTest, DropsNulControlsAndInvalidUtf8) {
  EXPECT_EQ(SanitizeLabel(std::string("gpt\0-4o", 7)), "gpt-4o");
  EXPECT_EQ(SanitizeLabel("a\tb\r\nc\x1b[31md\x7f"), "abc[31md");
  // C1 controls dropped, a no-break space kept.
  EXPECT_EQ(SanitizeLabel("a\xC2\x85z\xC2\x9Fy\xC2\xA0"), "azy\xC2\xA0");
  // A byte that never starts UTF-8, a sequence cut short.
  EXPECT_EQ(SanitizeLabel("a\xFFz\xC3"), "az");
  // An overlong '/', a surrogate, a code point above U+10FFFF.
  EXPECT_EQ(SanitizeLabel("\xC0\xAF|\xED\xA0\x80|\xF4\x90\x80\x80"), "||");
  EXPECT_EQ(SanitizeLabel(std::string(1000, '\0')), "");
}

TEST(SanitizeLabelTest, CutsAt256BytesOnACharacterBoundary) {
  EXPECT_EQ(kMaxLabelBytes, 256u);
  EXPECT_EQ(SanitizeLabel(std::string(256, 'm')), std::string(256, 'm'));
  EXPECT_EQ(SanitizeLabel(std::string(8 << 20, 'm')), std::string(256, 'm'));  // 8 MiB
  // 255 ASCII bytes then a 2-byte character: the character does not fit and is cut whole.
  EXPECT_EQ(SanitizeLabel(std::string(255, 'm') + "\xC3\xA8zz"), std::string(255, 'm'));
  // 254 + 2 fits exactly.
  EXPECT_EQ(SanitizeLabel(std::string(254, 'm') + "\xC3\xA8zz"),
            std::string(254, 'm') + "\xC3\xA8");
  // 100 emoji (4 bytes each): 64 of them.
  std::string emoji;
  for (int i = 0; i < 100; ++i) emoji += "\xF0\x9F\x98\x80";
  EXPECT_EQ(SanitizeLabel(emoji), emoji.substr(0, 256));
  // Dropped bytes do not count.
  std::string mixed;
  for (int i = 0; i < 300; ++i) mixed += std::string("m\0", 2);
  EXPECT_EQ(SanitizeLabel(mixed), std::string(256, 'm'));
}

}  // namespace
}  // namespace llmgw::gateway

namespace llmgw::gateway {
namespace {

TEST(GeminiUsageTest, ThoughtsAreOutputCachedIsPartOfThePrompt) {
  Usage u = ParseGeminiUsage(R"({"candidates":[{"content":{"parts":[{"text":"hi"}]},
    "finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":100,"cachedContentTokenCount":40,
    "candidatesTokenCount":20,"thoughtsTokenCount":30,"toolUsePromptTokenCount":5,
    "totalTokenCount":155},"modelVersion":"gemini-2.5-pro"})");
  EXPECT_TRUE(u.found);
  EXPECT_EQ(u.model, "gemini-2.5-pro");
  EXPECT_TOKENS(u.tokens, Tokens(105, 40, 0, 50, 30));
  // streamGenerateContent without alt=sse: an array; cumulative, the last wins.
  Usage arr =
      ParseGeminiUsage(R"([{"usageMetadata":{"promptTokenCount":8,"candidatesTokenCount":1}},
    {"usageMetadata":{"promptTokenCount":8,"candidatesTokenCount":6}}])");
  EXPECT_TOKENS(arr.tokens, Tokens(8, 0, 0, 6, 0));
  EXPECT_FALSE(ParseGeminiUsage(R"({"candidates":[]})").found);
  EXPECT_FALSE(ParseGeminiUsage("not json").found);
}

TEST(GeminiUsageTest, StreamKeepsTheLastUsageAndEndsOnAFinishReason) {
  GeminiStreamUsage s;
  auto ev = [](std::string data) {
    SseEvent e;
    e.data = std::move(data);
    return e;
  };
  s.OnEvent(ev(R"({"candidates":[{"content":{"parts":[{"text":"a"}]}}],)"
               R"("usageMetadata":{"promptTokenCount":8,"candidatesTokenCount":2}})"));
  EXPECT_FALSE(s.saw_terminal());
  s.OnEvent(ev(R"({"candidates":[{"content":{"parts":[{"text":"b"}]},"finishReason":"STOP"}],)"
               R"("usageMetadata":{"promptTokenCount":8,"candidatesTokenCount":5}})"));
  EXPECT_TRUE(s.saw_terminal());
  EXPECT_TOKENS(s.usage().tokens, Tokens(8, 0, 0, 5, 0));  // not 2 + 5
  s.OnEvent(ev(R"({"error":{"code":500,"message":"x","status":"INTERNAL"}})"));
  EXPECT_TRUE(s.saw_error());
}

}  // namespace
}  // namespace llmgw::gateway

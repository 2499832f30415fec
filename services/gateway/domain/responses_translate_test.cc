#include "services/gateway/domain/responses_translate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

namespace llmgw::gateway {
namespace {

using json = nlohmann::json;

TEST(ResponsesToChatRequest, EveryFieldTranslated) {
  json in = json::parse(R"({
    "model": "claude-sonnet-4-6", "instructions": "Be brief.", "max_output_tokens": 200,
    "temperature": 0.5, "top_p": 0.8, "user": "u1", "stream": true,
    "tools": [{"type": "function", "name": "f", "description": "F", "parameters": {"type": "object"}}],
    "tool_choice": {"type": "function", "name": "f"},
    "input": [
      {"role": "developer", "content": "Answer in French."},
      {"role": "user", "content": [{"type": "input_text", "text": "Look"},
        {"type": "input_image", "image_url": "data:image/png;base64,QQ==", "detail": "low"}]},
      {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Calling."}]},
      {"type": "function_call", "call_id": "call_1", "name": "f", "arguments": "{\"a\":1}"},
      {"type": "function_call", "call_id": "call_2", "name": "f", "arguments": "{}"},
      {"type": "function_call_output", "call_id": "call_1", "output": "one"},
      {"type": "function_call_output", "call_id": "call_2", "output": "two"}]})");
  auto out = ResponsesToChatRequest(in, "claude-sonnet-4-6-20260101", "max_tokens");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, json::parse(R"({
    "model": "claude-sonnet-4-6-20260101",
    "messages": [
      {"role": "system", "content": "Be brief."},
      {"role": "system", "content": "Answer in French."},
      {"role": "user", "content": [{"type": "text", "text": "Look"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,QQ==", "detail": "low"}}]},
      {"role": "assistant", "content": "Calling."},
      {"role": "assistant", "content": null, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{\"a\":1}"}},
        {"id": "call_2", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
      {"role": "tool", "tool_call_id": "call_1", "content": "one"},
      {"role": "tool", "tool_call_id": "call_2", "content": "two"}],
    "max_tokens": 200, "temperature": 0.5, "top_p": 0.8, "user": "u1",
    "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"},
      "description": "F"}}],
    "tool_choice": {"type": "function", "function": {"name": "f"}},
    "stream": true, "stream_options": {"include_usage": true}})"));
  json simple = {{"model", "m"}, {"input", "hi"}};
  EXPECT_EQ((*ResponsesToChatRequest(simple, "m", "max_tokens"))["messages"],
            json::parse(R"([{"role":"user","content":"hi"}])"));
}

TEST(ResponsesToChatRequest, RefusesStateAndWhatCannotBeTranslated) {
  EXPECT_FALSE(CheckStatelessResponsesRequest({{"previous_response_id", "resp_1"}}).ok());
  EXPECT_FALSE(CheckStatelessResponsesRequest({{"store", true}}).ok());
  EXPECT_FALSE(CheckStatelessResponsesRequest({{"conversation", "conv_1"}}).ok());
  EXPECT_TRUE(
      CheckStatelessResponsesRequest({{"store", false}, {"previous_response_id", nullptr}}).ok());
  json web = {{"input", "x"}, {"tools", json::array({{{"type", "web_search"}}})}};
  EXPECT_FALSE(ResponsesToChatRequest(web, "m", "max_tokens").ok());
  json item = {{"input", json::array({{{"type", "computer_call"}}})}};
  EXPECT_FALSE(ResponsesToChatRequest(item, "m", "max_tokens").ok());
}

TEST(ChatResponseToResponse, OutputItemsStatusAndUsage) {
  json completion = json::parse(R"({"id": "c9", "choices": [{"message": {"content": "Hi",
    "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
    "finish_reason": "length"}], "usage": {"prompt_tokens": 30, "completion_tokens": 4,
    "prompt_tokens_details": {"cached_tokens": 10}, "completion_tokens_details": {"reasoning_tokens": 2}}})");
  EXPECT_EQ(ChatResponseToResponse(completion, "grok-4", 1700000000, true), json::parse(R"({
    "id": "resp_c9", "object": "response", "created_at": 1700000000, "status": "incomplete",
    "error": null, "incomplete_details": {"reason": "max_output_tokens"}, "model": "grok-4",
    "output": [
      {"type": "message", "id": "msg_c9", "status": "completed", "role": "assistant",
       "content": [{"type": "output_text", "text": "Hi", "annotations": []}]},
      {"type": "function_call", "id": "fc_call_1", "call_id": "call_1", "name": "f",
       "arguments": "{}", "status": "completed"}],
    "usage": {"input_tokens": 30, "input_tokens_details": {"cached_tokens": 10},
              "output_tokens": 6, "output_tokens_details": {"reasoning_tokens": 2},
              "total_tokens": 36}})"));
}

constexpr char kChatStream[] =
    "data: {\"id\":\"c1\",\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
    "data: {\"id\":\"c1\",\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n"
    "data: {\"id\":\"c1\",\"choices\":[{\"delta\":{\"content\":\" there\"}}]}\n\n"
    "data: {\"id\":\"c1\",\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
    "data: "
    "{\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2}}\n\n"
    "data: [DONE]\n\n";

std::string Translate(std::string_view bytes, const std::vector<size_t>& cuts,
                      ChatToResponsesStream* t) {
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

std::vector<json> Events(const std::string& sse, std::vector<std::string>* types) {
  std::vector<json> out;
  SseParser parser;
  parser.Feed(sse, [&](SseEvent&& e) {
    types->push_back(e.event);
    out.push_back(json::parse(e.data));
  });
  return out;
}

TEST(ChatToResponsesStream, TheEventSequenceHoweverTheBytesAreSplit) {
  ChatToResponsesStream t("gemini-2.5-flash", 1700000000, false);
  const std::string whole = Translate(kChatStream, {}, &t);
  std::vector<std::string> types;
  std::vector<json> events = Events(whole, &types);
  EXPECT_THAT(types,
              ::testing::ElementsAre("response.created", "response.in_progress",
                                     "response.output_item.added", "response.content_part.added",
                                     "response.output_text.delta", "response.output_text.delta",
                                     "response.output_text.done", "response.content_part.done",
                                     "response.output_item.done", "response.completed"));
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i]["sequence_number"], i);
    EXPECT_EQ(events[i]["type"], types[i]);
  }
  EXPECT_EQ(events[6]["text"], "Hi there");
  const json& done = events.back()["response"];
  EXPECT_EQ(done["status"], "completed");
  EXPECT_EQ(done["model"], "gemini-2.5-flash");
  EXPECT_EQ(done["output"][0]["content"][0]["text"], "Hi there");
  EXPECT_EQ(done["usage"]["input_tokens"], 9);
  EXPECT_EQ(done["usage"]["output_tokens"], 2);
  EXPECT_TRUE(t.done());
  EXPECT_EQ(t.delivered(), 2);
  std::mt19937 rng(3);
  const std::string_view bytes(kChatStream);
  for (int round = 0; round < 200; ++round) {
    std::vector<size_t> cuts;
    for (size_t i = 1; i < bytes.size(); ++i) {
      if (round == 0 || rng() % 13 == 0) cuts.push_back(i);  // round 0: byte by byte
    }
    ChatToResponsesStream split("gemini-2.5-flash", 1700000000, false);
    EXPECT_EQ(Translate(bytes, cuts, &split), whole) << round;
  }
}

TEST(ChatToResponsesStream, FunctionCallItemsAndCapAndErrors) {
  ChatToResponsesStream t("grok-4", 1, true);
  std::vector<std::string> types;
  Events(Translate("data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\","
                   "\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\"}}]}}]}\n\n"
                   "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
                   "{\"arguments\":\"\\\":2}\"}}]},\"finish_reason\":\"length\"}]}\n\n"
                   "data: [DONE]\n\n",
                   {}, &t),
         &types);
  EXPECT_THAT(types, ::testing::ElementsAre("response.created", "response.in_progress",
                                            "response.output_item.added",
                                            "response.function_call_arguments.delta",
                                            "response.function_call_arguments.delta",
                                            "response.function_call_arguments.done",
                                            "response.output_item.done", "response.incomplete"));
  ChatToResponsesStream e("m", 1, false);
  std::string out = Translate("data: {\"error\":{\"message\":\"boom\"}}\n\n", {}, &e);
  EXPECT_THAT(out, ::testing::HasSubstr("event: error\n"));
  EXPECT_TRUE(e.saw_error());
}

TEST(ChatToResponsesStream, FuzzNeverCrashesAndDeliveredNeverDecreases) {
  std::mt19937 rng(5);
  const std::vector<std::string> pieces = {"data: ",
                                           "{\"choices\":[{\"delta\":{\"content\":\"a\"}}]}",
                                           "[DONE]",
                                           "\n\n",
                                           "\r\n",
                                           "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":1,"
                                           "\"function\":{\"arguments\":\"x\"}}]}}]}",
                                           "{\"choices\":[{\"finish_reason\":\"stop\"}]}",
                                           "{\"usage\":{\"prompt_tokens\":1}}",
                                           "{",
                                           "\"",
                                           "null",
                                           "event: y\n",
                                           "\xc3"};
  for (int round = 0; round < 500; ++round) {
    std::string bytes;
    for (int n = rng() % 30; n > 0; --n) bytes += pieces[rng() % pieces.size()];
    ChatToResponsesStream t("m", 1, rng() % 2 == 0);
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

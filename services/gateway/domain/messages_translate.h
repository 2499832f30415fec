#pragma once
// Anthropic Messages <-> OpenAI Chat Completions, for the reseller's /v1/messages surface when the
// model is not Claude (GPT, Gemini and Grok answer in Chat Completions): the Anthropic SDK's
// request goes out as a chat completion, and the completion (or its chunks) comes back as an
// Anthropic message (or its exact event sequence). Pure: JSON in, JSON / SSE frames out.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "services/gateway/domain/errors.h"
#include "services/gateway/domain/sse.h"

namespace llmgw::gateway {

// A Messages request -> a Chat Completions request for `upstream_model`:
//   system (string or text blocks) -> a leading system message; text blocks -> text; base64 and
//   url images -> image_url parts (data URL); assistant tool_use -> tool_calls (arguments = the
//   input as JSON); user tool_result -> a "tool" message per result; max_tokens ->
//   max_completion_tokens (`max_tokens_field` names it: OpenAI's reasoning models refuse
//   max_tokens), stop_sequences -> stop, tools -> function tools, tool_choice auto/any/none/tool ->
//   auto/required/none/named, temperature / top_p as they are, metadata.user_id -> user;
//   stream -> stream with usage asked for. InvalidArgument (message for the client) otherwise.
absl::StatusOr<nlohmann::json> MessagesToChatRequest(const nlohmann::json& messages_request,
                                                     const std::string& upstream_model,
                                                     const std::string& max_tokens_field);

// OpenAI finish_reason -> Anthropic stop_reason (stop->end_turn, length->max_tokens,
// tool_calls/function_call->tool_use, content_filter->refusal).
std::string StopReasonFromFinishReason(const std::string& finish_reason);

// Anthropic's usage from an OpenAI usage object: input_tokens excludes the cached prompt tokens
// (cache_read_input_tokens); output includes reasoning (xAI reports it apart: `reasoning_apart`).
nlohmann::json AnthropicUsageFromOpenAI(const nlohmann::json& usage, bool reasoning_apart);

// A chat.completion -> an Anthropic message naming `client_model`.
nlohmann::json ChatResponseToMessage(const nlohmann::json& completion,
                                     const std::string& client_model, bool reasoning_apart);

// An OpenAI-compatible provider's error -> the Anthropic-shaped error the client sees; the
// operator's key failing (401/403) is a 502.
ErrorSpec AnthropicErrorFromOpenAIStyle(int status, const std::string& body);

// Turns an OpenAI chat.completion.chunk stream into the Anthropic event sequence the SDK's stream
// helper expects: message_start, then per content block content_block_start / _delta (text_delta,
// input_json_delta) / _stop, then message_delta (stop_reason, usage) and message_stop once the
// upstream's [DONE] arrives (its usage chunk comes after the finish chunk).
class ChatToMessagesStream {
 public:
  ChatToMessagesStream(std::string client_model, bool reasoning_apart);

  // The Anthropic frames ("event: …\ndata: {…}\n\n") for one upstream event; often none.
  std::vector<std::string> OnEvent(const SseEvent& e);
  bool done() const { return done_; }
  bool saw_error() const { return saw_error_; }
  // Content and tool-argument deltas relayed (BilledTokens' floor for a cut stream).
  int64_t delivered() const { return delivered_; }

 private:
  void Start(std::vector<std::string>& out, const nlohmann::json& chunk);
  void CloseBlock(std::vector<std::string>& out);
  void OpenBlock(std::vector<std::string>& out, nlohmann::json block);
  void Finish(std::vector<std::string>& out);

  std::string model_;
  bool reasoning_apart_;
  bool started_ = false;
  bool done_ = false;
  bool saw_error_ = false;
  int block_ = -1;         // index of the open content block; -1: none open
  std::string open_kind_;  // "text" or "tool_use"
  int open_tool_ = -1;     // the OpenAI tool_calls index of the open tool_use block
  int next_index_ = 0;     // the next content block's index
  std::string stop_reason_ = "end_turn";
  nlohmann::json usage_ = nlohmann::json::object();
  int64_t delivered_ = 0;
};

}  // namespace llmgw::gateway

#pragma once
// OpenAI Responses API <-> Chat Completions, for the reseller's /v1/responses surface when the
// model is not OpenAI's (Claude goes on through translate.h's Chat -> Anthropic): the OpenAI SDK's
// responses.create request goes out as a chat completion, and the completion (or its chunks) comes
// back as a response object (or the Responses event sequence). Stateless only. Pure.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "services/gateway/domain/sse.h"

namespace llmgw::gateway {

// INVALID_ARGUMENT (the client's message) when the request needs state the gateway does not keep:
// previous_response_id, store: true, conversation.
absl::Status CheckStatelessResponsesRequest(const nlohmann::json& request);

// A Responses request -> a Chat Completions request for `upstream_model`: instructions -> a leading
// system message; input (a string, or items: role messages with input_text / output_text /
// input_image parts, function_call, function_call_output) -> messages (consecutive function calls
// become one assistant turn with tool_calls, their outputs "tool" messages); flat function tools
// -> nested ones; tool_choice; max_output_tokens -> `max_tokens_field`; temperature, top_p, user;
// stream -> stream with usage asked for. INVALID_ARGUMENT on what cannot be translated
// (built-in tools, unknown item types).
absl::StatusOr<nlohmann::json> ResponsesToChatRequest(const nlohmann::json& request,
                                                      const std::string& upstream_model,
                                                      const std::string& max_tokens_field);

// The Responses usage object from a Chat Completions usage (reasoning_apart: xAI reports reasoning
// apart from completion_tokens; it is output).
nlohmann::json ResponsesUsageFromChat(const nlohmann::json& usage, bool reasoning_apart);

// A chat.completion -> a response object naming `client_model` (status "incomplete" with
// incomplete_details.reason "max_output_tokens" when the output was cut by the cap).
nlohmann::json ChatResponseToResponse(const nlohmann::json& completion,
                                      const std::string& client_model, int64_t created_at,
                                      bool reasoning_apart);

// Chat completion chunks -> the Responses event sequence ("event: <type>\ndata: {…}\n\n", each
// data with its type and a rising sequence_number): response.created, response.in_progress, per
// output item output_item.added, (content_part.added, output_text.delta…, output_text.done,
// content_part.done) or (function_call_arguments.delta…, .done), output_item.done, and finally
// response.completed carrying the whole response with its usage (after the upstream's [DONE]).
class ChatToResponsesStream {
 public:
  ChatToResponsesStream(std::string client_model, int64_t created_at, bool reasoning_apart);

  std::vector<std::string> OnEvent(const SseEvent& e);
  bool done() const { return done_; }
  bool saw_error() const { return saw_error_; }
  int64_t delivered() const { return delivered_; }

 private:
  std::string Frame(nlohmann::json data);
  nlohmann::json Response(const char* status) const;
  void Start(std::vector<std::string>& out, const nlohmann::json& chunk);
  void CloseItem(std::vector<std::string>& out);
  void Finish(std::vector<std::string>& out);

  std::string model_;
  int64_t created_;
  bool reasoning_apart_;
  std::string id_ = "resp_llmgw";
  int64_t sequence_ = 0;
  bool started_ = false;
  bool done_ = false;
  bool saw_error_ = false;
  bool capped_ = false;
  nlohmann::json output_ = nlohmann::json::array();  // the items so far (closed ones complete)
  int open_ = -1;                                    // output index of the open item; -1: none
  int open_tool_ = -1;     // the chat tool_calls index of the open function_call item
  std::string text_;       // the open message item's text
  std::string arguments_;  // the open function_call item's arguments
  nlohmann::json usage_;
  int64_t delivered_ = 0;
};

}  // namespace llmgw::gateway

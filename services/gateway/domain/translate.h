#pragma once
// OpenAI Chat Completions <-> Anthropic Messages, for reseller calls to claude-* models (WIRE.md
// "OpenAI → Anthropic translation"). Pure: JSON in, JSON out.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "services/gateway/domain/errors.h"
#include "services/gateway/domain/sse.h"

namespace llmgw::gateway {

// An OpenAI chat completions request → an Anthropic messages request for `upstream_model`.
// `default_max_tokens` applies when the request names neither max_completion_tokens nor
// max_tokens. InvalidArgument (message for the client) on what cannot be translated: a message
// with an unknown role, tool_calls arguments that are not JSON, an image that is neither a data
// URL nor an http(s) URL.
absl::StatusOr<nlohmann::json> OpenAIToAnthropicRequest(const nlohmann::json& openai,
                                                        const std::string& upstream_model,
                                                        int64_t default_max_tokens);

// Anthropic stop_reason → OpenAI finish_reason.
std::string FinishReasonFromStopReason(const std::string& stop_reason);

// A non-streaming Anthropic message → an OpenAI chat.completion naming `client_model` (the model
// the customer asked for), created at `created_unix_s`.
nlohmann::json AnthropicToOpenAIResponse(const nlohmann::json& message,
                                         const std::string& client_model, int64_t created_unix_s);

// An Anthropic error (status and body) → the OpenAI-shaped error the customer sees. Errors caused
// by the operator's key (401/403) become 502: the customer's key is fine, the gateway's is not.
ErrorSpec OpenAIErrorFromAnthropic(int status, const std::string& body);

// Turns an Anthropic SSE stream into OpenAI chat.completion.chunk SSE frames, event by event.
class AnthropicToOpenAIStream {
 public:
  AnthropicToOpenAIStream(std::string client_model, int64_t created_unix_s, bool include_usage);

  // The OpenAI frames ("data: {…}\n\n", "data: [DONE]\n\n") for one Anthropic event; often none.
  std::vector<std::string> OnEvent(const SseEvent& e);
  bool done() const { return done_; }

 private:
  std::string Chunk(nlohmann::json delta, const nlohmann::json& finish_reason);

  std::string model_;
  int64_t created_;
  bool include_usage_;
  std::string id_ = "chatcmpl-llmgw";
  int64_t input_ = 0, cache_read_ = 0, cache_write_ = 0, output_ = 0;
  int tool_index_ = -1;  // index of the current tool call among tool_use blocks
  bool block_is_tool_ = false;
  bool done_ = false;
};

}  // namespace llmgw::gateway

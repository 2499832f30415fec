#pragma once
// Usage read from provider responses: JSON bodies and SSE streams. Pure.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "libs/common/money.h"
#include "services/gateway/domain/provider.h"
#include "services/gateway/domain/sse.h"

namespace llmgw::gateway {

struct Usage {
  money::TokenCounts tokens;  // semantics of money::TokenCounts (input includes cache parts)
  bool found = false;         // the provider reported usage
  std::string model;          // the model the response names, when it names one
};

// The most bytes a label of a usage event (model, endpoint, request id) may have: metering refuses
// a whole batch, other organizations' events included, over one longer label.
inline constexpr size_t kMaxLabelBytes = 256;

// A client- or provider-controlled string made fit for a usage event: invalid UTF-8, NUL and the
// other control characters (U+0000-U+001F, U+007F-U+009F) are dropped, then the rest is cut to
// at most kMaxLabelBytes bytes at a character boundary. Reads at most what it keeps plus what it
// drops, so a multi-megabyte input costs one pass at worst.
std::string SanitizeLabel(std::string_view s);

// What the gateway needs to know about a pass-through request body before forwarding it.
struct RequestInspection {
  std::string model;    // "" when absent or the body is not JSON
  bool stream = false;  // "stream": true
  // OpenAI-style streaming request without stream_options.include_usage: the body was rewritten
  // to ask for usage, and the extra usage chunk must be dropped from what the client sees.
  bool injected_include_usage = false;
  std::string body;  // the body to forward (rewritten only when injected_include_usage)
};

// `endpoint` as in Route::endpoint. Injection applies to OpenAI, Google and xAI
// "/chat/completions" streaming requests only. A body that is not JSON is forwarded untouched.
RequestInspection InspectRequest(Provider p, std::string_view endpoint, std::string body);

// Usage from a non-streaming JSON response: OpenAI chat completions (usage.prompt_tokens,
// completion_tokens, prompt_tokens_details.cached_tokens, completion_tokens_details
// .reasoning_tokens), responses (usage.input_tokens, output_tokens, input_tokens_details,
// output_tokens_details), embeddings (usage.prompt_tokens); Anthropic messages (input_tokens +
// cache_creation_input_tokens + cache_read_input_tokens = input, output_tokens). xAI: reasoning
// tokens reported apart from completion_tokens are added to output (WIRE.md).
Usage ParseJsonUsage(Provider p, std::string_view body);

// Gemini's native API (WIRE.md): usageMetadata of a GenerateContentResponse, or of the last element
// of an array of them that has one (streamGenerateContent without alt=sse). input =
// promptTokenCount (cached included) + toolUsePromptTokenCount, cached = cachedContentTokenCount,
// output = candidatesTokenCount + thoughtsTokenCount (thoughts are billed as output), reasoning =
// thoughtsTokenCount; model = modelVersion.
Usage ParseGeminiUsage(std::string_view body);

// Gemini's native stream (alt=sse: "data: {GenerateContentResponse}" events): usageMetadata is
// cumulative, the last one wins; a candidate's finishReason ends it.
class GeminiStreamUsage {
 public:
  void OnEvent(const SseEvent& e);
  const Usage& usage() const { return usage_; }
  bool saw_terminal() const { return saw_terminal_; }
  bool saw_error() const { return saw_error_; }

 private:
  Usage usage_;
  bool saw_terminal_ = false;
  bool saw_error_ = false;
};

// Follows one SSE stream event by event.
class StreamUsageTracker {
 public:
  StreamUsageTracker(Provider p, bool drop_injected_usage_chunk);

  // Observes one event; returns false when the event must not be relayed to the client (the
  // usage-only chunk of an injected include_usage: "choices":[] with a usage object).
  // OpenAI/Google/xAI: the last usage seen wins, never summed (chat chunks' "usage", and the
  // responses API's response.completed/incomplete/failed "response.usage"). Anthropic: input
  // from message_start, output from the last message_delta (cumulative: overwrite; input and
  // cache fields a message_delta carries overwrite too; null never overwrites).
  bool OnEvent(const SseEvent& e);

  const Usage& usage() const { return usage_; }
  bool saw_terminal() const { return saw_terminal_; }  // [DONE] or message_stop
  bool saw_error() const { return saw_error_; }        // an in-band error event

 private:
  bool OnOpenAIStyleEvent(const SseEvent& e);
  void OnAnthropicEvent(const SseEvent& e);

  Provider provider_;
  bool drop_injected_;
  Usage usage_;
  // Anthropic reports the input in parts; each part is overwritten by the latest event.
  int64_t anthropic_input_ = 0;
  int64_t anthropic_cache_creation_ = 0;
  int64_t anthropic_cache_read_ = 0;
  int64_t anthropic_cache_write_1h_ = 0;
  bool saw_terminal_ = false;
  bool saw_error_ = false;
};

}  // namespace llmgw::gateway

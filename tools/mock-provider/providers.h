#pragma once
// Pure request -> response logic of llmgw-mock-provider (no sockets): tests call HandleRequest
// directly; server.cc only moves bytes and waits on timers.
//
// Routes (query strings ignored):
//   OpenAI    /openai/v1/{chat/completions,embeddings,responses} (POST), /openai/v1/models and
//             /openai/v1/models/{id} (GET; also under the Google and xAI prefixes)
//   Anthropic /anthropic/v1/messages, /anthropic/v1/messages/count_tokens (POST),
//             /anthropic/v1/models (GET)
//   Google    /google/v1beta/openai/{chat/completions,embeddings} (POST), .../models (GET)
//   xAI       /xai/v1/chat/completions (POST), /xai/v1/models (GET)
// Google and xAI use the OpenAI shapes (bodies and errors) except for the quirks below.
//
// Checks, in order: route (404, unknown path or method), auth (401: OpenAI-style need
// "Authorization: Bearer <non-empty>"; Anthropic "x-api-key" or Bearer), Anthropic
// "anthropic-version" (400), x-mock-status injection, JSON parse (400), "model" (400),
// "messages" array for chat/messages (400), Anthropic "max_tokens" (400). Error answers are sent
// at once; --latency-ms / x-mock-latency-ms delays only successful answers.
//
// Deterministic output (token counts: see token_count.h):
//   - Text answer: words "mock0 mock1 … mock{K-1}", K = min(cap, D) where D = 12 (or header
//     x-mock-output-tokens) and cap = max_completion_tokens | max_tokens | max_output_tokens when
//     given. Output tokens = K. finish_reason "length" / stop_reason "max_tokens" when cap < D,
//     else "stop" / "end_turn".
//   - Tool call: when the request has tools, tool_choice is not "none" and the last message is not
//     a tool result (OpenAI role "tool"; Anthropic user tool_result block): a call to the first
//     tool with arguments from its JSON schema properties (enum → first value, string → "mock",
//     number/integer → 1, boolean → true, array → [], object → {}, else null), ids "call_mock_1" /
//     "toolu_mock_1", finish "tool_calls" / "tool_use". Output tokens = K as for text.
//   - After a tool result: text "Tool said: <content>" (content of the last message's tool results,
//     joined by a space). Output tokens = words of that text, truncated to the cap when given
//     (then finish "length" / "max_tokens").
//   - Usage: OpenAI prompt_tokens = input, prompt_tokens_details.cached_tokens = min(input,
//     x-mock-cached-tokens); Anthropic input_tokens = input, cache_read_input_tokens =
//     x-mock-cached-tokens, cache_creation_input_tokens = x-mock-cache-write-tokens (both 0 by
//     default, reported in addition to input_tokens as Anthropic does), and cache_creation
//     {ephemeral_5m_input_tokens, ephemeral_1h_input_tokens}: x-mock-cache-write-1h-tokens of the
//     writes at one hour, the rest at five minutes.
//   - xAI: for models containing "mini" or "reasoning", completion_tokens_details.reasoning_tokens
//     = 10, NOT included in completion_tokens; total_tokens = prompt + completion + reasoning.
//
// Streaming ("stream": true): the output is split into C content chunks (C = --chunks or header
// x-mock-chunks, at least 1; chunk i gets words [i*K/C, (i+1)*K/C), possibly empty). The first byte
// is sent after --latency-ms (x-mock-latency-ms); content chunks after the first wait
// --chunk-delay-ms (x-mock-chunk-delay-ms). Stream duration = latency + (C-1) * delay.
//   - OpenAI/xAI: role chunk {role:"assistant",content:""}, C content chunks, finish chunk, then
//     with stream_options.include_usage a usage chunk ("choices":[]) and "usage":null on the
//     others; then "data: [DONE]".
//   - Google: every chunk carries the cumulative usage so far (completion_tokens growing), the
//     finish chunk the final usage; no usage-only chunk.
//   - Anthropic: message_start (usage input_tokens, output_tokens 1), content_block_start, ping,
//     C content_block_delta, content_block_stop, message_delta (usage.output_tokens = final K),
//     message_stop.
//   - Tool calls stream their arguments in max(2, min(C, len)) fragments (OpenAI tool_calls deltas
//     / Anthropic input_json_delta).
//   - x-mock-fail-mid-stream: 1 → after C/2 content chunks an in-band error (OpenAI
//     data: {"error":…}; Anthropic event: error overloaded_error) and the stream ends.
// Errors injected with x-mock-status: N (≥ 400) use the provider's shape (OpenAI 429
// rate_limit_exceeded, 500 server_error; Anthropic 429 rate_limit_error, 529 overloaded_error…);
// x-mock-error-code overrides the OpenAI type and code (e.g. insufficient_quota).
// Embeddings: dimension "dimensions" or 8; value j of input i = (i*dim + j + 1) / 1024;
// encoding_format "base64" → base64 of little-endian float32.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmgw::mock {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct MockRequest {
  std::string method;
  std::string target;  // path and query
  HeaderList headers;  // names in lower case
  std::string body;

  // Value of the first header with this (lower-case) name, or "" when absent.
  std::string_view Header(std::string_view name) const;
};

struct Options {
  int latency_ms = 0;
  int chunks = 5;
  int chunk_delay_ms = 0;
  int report_page_buckets = 0;  // admin reports: at most this many buckets a page (0: `limit`)
};

struct Context {
  uint64_t request_number = 1;  // ids: req_mock_<n>, chatcmpl-mock-<n>, msg_mock_<n>
  int64_t created = 0;          // unix seconds
};

struct SseFrame {
  int delay_ms = 0;   // wait before sending this frame
  std::string bytes;  // the complete frame, ending in "\n\n"
};

// What a successful call used, as the provider bills it; the server records it against the
// caller's key for the admin usage reports (admin_reports.h). Input counts every input token,
// cache reads and writes included; output includes reasoning.
struct ServedUsage {
  std::string provider;  // openai | anthropic | google | xai
  std::string model;
  int64_t input_tokens = 0;
  int64_t cached_input_tokens = 0;
  int64_t cache_write_5m_tokens = 0;
  int64_t cache_write_1h_tokens = 0;
  int64_t output_tokens = 0;
};

struct MockResponse {
  int status = 200;
  std::string content_type = "application/json";
  HeaderList headers;  // request id etc.
  std::string body;    // when !streaming
  bool streaming = false;
  std::vector<SseFrame> frames;  // when streaming
  int latency_ms = 0;            // before the first byte
  // Set by successful chat completions, responses and messages (not by a stream failing midway).
  std::optional<ServedUsage> served;
};

MockResponse HandleRequest(const MockRequest& request, const Options& options,
                           const Context& context);

// Standard base64 with padding.
std::string Base64Encode(std::string_view bytes);

}  // namespace llmgw::mock

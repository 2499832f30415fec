#pragma once
// The mock provider's token counting rules, kept apart so tests can compute expected numbers.
//
//   words(s)            = number of maximal runs of non-whitespace characters in s.
//   text(content)       = a string content itself; for an array of parts, every part's "text"
//                         (OpenAI text/input_text/output_text parts, Anthropic text blocks), and
//                         the text of Anthropic tool_result blocks (string content or text blocks).
//                         Images, tool calls and tool_use inputs count nothing.
//   chat input tokens   = sum over messages of (4 + words(text(content)))
//                         + words(text(system)) for an Anthropic top-level "system".
//   embedding tokens    = words of every input string (string or array of strings); an array of
//                         token ids counts its length.
//   responses tokens    = words(instructions) + (string input: 4 + words(input);
//                         item array: sum over items of 4 + words(text(content))).

#include <cstdint>
#include <string_view>

#include "nlohmann/json.hpp"

namespace llmgw::mock {

int64_t CountWords(std::string_view text);
// Words of a content value: a string, or an array of text parts / blocks (see above).
int64_t CountContentWords(const nlohmann::json& content);
// OpenAI chat completions and Anthropic messages (including the top-level "system").
int64_t CountChatInputTokens(const nlohmann::json& request);
int64_t CountEmbeddingInputTokens(const nlohmann::json& input);
int64_t CountResponsesInputTokens(const nlohmann::json& request);

}  // namespace llmgw::mock

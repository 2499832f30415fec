#include "tools/mock-provider/token_count.h"

namespace llmgw::mock {
namespace {
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
}  // namespace

int64_t CountWords(std::string_view text) {
  int64_t words = 0;
  bool in_word = false;
  for (char c : text) {
    if (IsSpace(c)) {
      in_word = false;
    } else if (!in_word) {
      in_word = true;
      ++words;
    }
  }
  return words;
}

int64_t CountContentWords(const nlohmann::json& content) {
  if (content.is_string()) return CountWords(content.get_ref<const std::string&>());
  if (!content.is_array()) return 0;
  int64_t words = 0;
  for (const auto& part : content) {
    if (!part.is_object()) continue;
    auto text = part.find("text");
    if (text != part.end() && text->is_string()) {
      words += CountWords(text->get_ref<const std::string&>());
    }
    auto type = part.find("type");
    if (type != part.end() && *type == "tool_result") {
      auto inner = part.find("content");
      if (inner != part.end()) words += CountContentWords(*inner);
    }
  }
  return words;
}

int64_t CountChatInputTokens(const nlohmann::json& request) {
  int64_t tokens = 0;
  auto messages = request.find("messages");
  if (messages != request.end() && messages->is_array()) {
    for (const auto& message : *messages) {
      tokens += 4;
      if (!message.is_object()) continue;
      auto content = message.find("content");
      if (content != message.end()) tokens += CountContentWords(*content);
    }
  }
  auto system = request.find("system");
  if (system != request.end()) tokens += CountContentWords(*system);
  return tokens;
}

int64_t CountEmbeddingInputTokens(const nlohmann::json& input) {
  if (input.is_string()) return CountWords(input.get_ref<const std::string&>());
  if (!input.is_array()) return 0;
  int64_t tokens = 0;
  for (const auto& item : input) {
    if (item.is_string()) {
      tokens += CountWords(item.get_ref<const std::string&>());
    } else if (item.is_number_integer()) {
      tokens += 1;
    } else if (item.is_array()) {
      tokens += static_cast<int64_t>(item.size());
    }
  }
  return tokens;
}

int64_t CountResponsesInputTokens(const nlohmann::json& request) {
  int64_t tokens = 0;
  auto instructions = request.find("instructions");
  if (instructions != request.end() && instructions->is_string()) {
    tokens += CountWords(instructions->get_ref<const std::string&>());
  }
  auto input = request.find("input");
  if (input == request.end()) return tokens;
  if (input->is_string()) return tokens + 4 + CountWords(input->get_ref<const std::string&>());
  if (!input->is_array()) return tokens;
  for (const auto& item : *input) {
    tokens += 4;
    if (!item.is_object()) continue;
    auto content = item.find("content");
    if (content != item.end()) tokens += CountContentWords(*content);
  }
  return tokens;
}

}  // namespace llmgw::mock

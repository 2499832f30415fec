#include "services/gateway/domain/translate.h"

#include <algorithm>

#include "services/gateway/domain/json_fields.h"

namespace llmgw::gateway {
namespace {

using json = nlohmann::json;

// Text of an OpenAI content (string, or array of parts of which text parts count).
std::string TextOf(const json& content) {
  if (content.is_string()) return content.get<std::string>();
  std::string out;
  if (content.is_array()) {
    for (const auto& part : content) {
      if (part.is_object() && part.value("type", "") == "text" && part.contains("text") &&
          part["text"].is_string()) {
        if (!out.empty()) out += "\n";
        out += part["text"].get<std::string>();
      }
    }
  }
  return out;
}

absl::StatusOr<json> ImageBlock(const json& part) {
  std::string url;
  if (part.contains("image_url")) {
    const json& iu = part["image_url"];
    if (iu.is_string()) url = iu.get<std::string>();
    if (iu.is_object() && iu.contains("url") && iu["url"].is_string()) url = iu["url"];
  }
  if (url.rfind("data:", 0) == 0) {
    size_t semi = url.find(';');
    size_t comma = url.find(',');
    if (semi == std::string::npos || comma == std::string::npos || semi > comma ||
        url.compare(semi, 8, ";base64,") != 0) {
      return absl::InvalidArgumentError(
          "image_url data URLs must be base64 (data:<type>;base64,…)");
    }
    return json{{"type", "image"},
                {"source",
                 {{"type", "base64"},
                  {"media_type", url.substr(5, semi - 5)},
                  {"data", url.substr(comma + 1)}}}};
  }
  if (url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0) {
    return json{{"type", "image"}, {"source", {{"type", "url"}, {"url", url}}}};
  }
  return absl::InvalidArgumentError("image_url.url must be a data URL or an http(s) URL");
}

// OpenAI content → Anthropic content blocks.
absl::StatusOr<json> Blocks(const json& content) {
  json blocks = json::array();
  if (content.is_string()) {
    if (!content.get<std::string>().empty())
      blocks.push_back({{"type", "text"}, {"text", content}});
    return blocks;
  }
  if (content.is_null()) return blocks;
  if (!content.is_array())
    return absl::InvalidArgumentError("message content must be a string or an array");
  for (const auto& part : content) {
    std::string type = part.is_object() ? part.value("type", "") : "";
    if (type == "text") {
      blocks.push_back({{"type", "text"}, {"text", part.value("text", "")}});
    } else if (type == "image_url") {
      auto img = ImageBlock(part);
      if (!img.ok()) return img.status();
      blocks.push_back(*std::move(img));
    } else {
      return absl::InvalidArgumentError("unsupported content part type \"" + type + "\"");
    }
  }
  return blocks;
}

// Appends blocks as a turn of `role`, merging with the previous turn of the same role
// (Anthropic wants alternating turns; consecutive tool results become one user turn).
void AppendTurn(json& messages, const std::string& role, json blocks) {
  if (blocks.empty()) return;
  if (!messages.empty() && messages.back()["role"] == role) {
    for (auto& b : blocks) messages.back()["content"].push_back(std::move(b));
    return;
  }
  messages.push_back({{"role", role}, {"content", std::move(blocks)}});
}

json UsageJson(int64_t input, int64_t cache_read, int64_t cache_write, int64_t output) {
  int64_t prompt = input + cache_read + cache_write;
  return {{"prompt_tokens", prompt},
          {"completion_tokens", output},
          {"total_tokens", prompt + output},
          {"prompt_tokens_details", {{"cached_tokens", cache_read}}}};
}

}  // namespace

absl::StatusOr<json> OpenAIToAnthropicRequest(const json& in, const std::string& upstream_model,
                                              int64_t default_max_tokens) {
  if (!in.is_object()) return absl::InvalidArgumentError("the request body must be a JSON object");
  if (!in.contains("messages") || !in["messages"].is_array() || in["messages"].empty()) {
    return absl::InvalidArgumentError("messages must be a non-empty array");
  }
  json out = {{"model", upstream_model}};
  json system = json::array();
  json messages = json::array();
  for (const auto& m : in["messages"]) {
    if (!m.is_object()) return absl::InvalidArgumentError("each message must be an object");
    std::string role = m.value("role", "");
    const json content = m.contains("content") ? m["content"] : json();
    if (role == "system" || role == "developer") {
      std::string text = TextOf(content);
      if (!text.empty()) system.push_back({{"type", "text"}, {"text", text}});
    } else if (role == "user") {
      auto blocks = Blocks(content);
      if (!blocks.ok()) return blocks.status();
      AppendTurn(messages, "user", *std::move(blocks));
    } else if (role == "assistant") {
      auto blocks = Blocks(content);
      if (!blocks.ok()) return blocks.status();
      if (m.contains("tool_calls") && m["tool_calls"].is_array()) {
        for (const auto& call : m["tool_calls"]) {
          const json& fn = call.contains("function") ? call["function"] : json::object();
          std::string args = fn.value("arguments", "");
          json input = args.empty() ? json::object() : json::parse(args, nullptr, false);
          if (input.is_discarded() || !input.is_object()) {
            return absl::InvalidArgumentError(
                "tool_calls[].function.arguments must be a JSON object");
          }
          blocks->push_back({{"type", "tool_use"},
                             {"id", call.value("id", "")},
                             {"name", fn.value("name", "")},
                             {"input", std::move(input)}});
        }
      }
      AppendTurn(messages, "assistant", *std::move(blocks));
    } else if (role == "tool") {
      AppendTurn(messages, "user",
                 json::array({{{"type", "tool_result"},
                               {"tool_use_id", m.value("tool_call_id", "")},
                               {"content", TextOf(content)}}}));
    } else {
      return absl::InvalidArgumentError("unsupported message role \"" + role + "\"");
    }
  }
  if (messages.empty()) return absl::InvalidArgumentError("messages has no user or assistant turn");
  if (!system.empty()) out["system"] = std::move(system);
  out["messages"] = std::move(messages);

  int64_t max_tokens = default_max_tokens;
  for (const char* k : {"max_tokens", "max_completion_tokens"}) {
    if (in.contains(k) && in[k].is_number_integer()) max_tokens = in[k].get<int64_t>();
  }
  if (max_tokens < 1) return absl::InvalidArgumentError("max_tokens must be at least 1");
  out["max_tokens"] = max_tokens;

  if (in.contains("stop")) {
    const json& stop = in["stop"];
    if (stop.is_string()) out["stop_sequences"] = json::array({stop});
    if (stop.is_array()) out["stop_sequences"] = stop;
  }
  if (in.contains("temperature") && in["temperature"].is_number()) {
    out["temperature"] =
        std::min(in["temperature"].get<double>(), 1.0);  // Anthropic's range is 0..1
  }
  if (in.contains("top_p") && in["top_p"].is_number()) out["top_p"] = in["top_p"];
  if (in.value("stream", false)) out["stream"] = true;
  if (in.contains("user") && in["user"].is_string()) out["metadata"] = {{"user_id", in["user"]}};

  if (in.contains("tools") && in["tools"].is_array() && !in["tools"].empty()) {
    json tools = json::array();
    for (const auto& t : in["tools"]) {
      const json& fn = t.contains("function") ? t["function"] : json::object();
      json tool = {{"name", fn.value("name", "")},
                   {"input_schema",
                    fn.contains("parameters") ? fn["parameters"] : json{{"type", "object"}}}};
      if (fn.contains("description")) tool["description"] = fn["description"];
      tools.push_back(std::move(tool));
    }
    out["tools"] = std::move(tools);
  }
  if (in.contains("tool_choice")) {
    const json& tc = in["tool_choice"];
    json choice;
    if (tc.is_string()) {
      std::string s = tc.get<std::string>();
      if (s == "auto") choice = {{"type", "auto"}};
      if (s == "required") choice = {{"type", "any"}};
      if (s == "none") choice = {{"type", "none"}};
    } else if (tc.is_object() && tc.contains("function")) {
      choice = {{"type", "tool"}, {"name", tc["function"].value("name", "")}};
    }
    if (!choice.is_null()) {
      if (in.contains("parallel_tool_calls") && in["parallel_tool_calls"] == false &&
          choice["type"] != "none") {
        choice["disable_parallel_tool_use"] = true;
      }
      out["tool_choice"] = std::move(choice);
    }
  }
  return out;
}

std::string FinishReasonFromStopReason(const std::string& r) {
  if (r == "max_tokens") return "length";
  if (r == "tool_use") return "tool_calls";
  if (r == "refusal") return "content_filter";
  return "stop";  // end_turn, stop_sequence, pause_turn
}

json AnthropicToOpenAIResponse(const json& msg, const std::string& client_model,
                               int64_t created_unix_s) {
  std::string text;
  json tool_calls = json::array();
  if (msg.contains("content") && msg["content"].is_array()) {
    for (const auto& b : msg["content"]) {
      std::string type = b.value("type", "");
      if (type == "text") text += b.value("text", "");
      if (type == "tool_use") {
        tool_calls.push_back({{"id", b.value("id", "")},
                              {"type", "function"},
                              {"function",
                               {{"name", b.value("name", "")},
                                {"arguments", b.contains("input") ? b["input"].dump() : "{}"}}}});
      }
    }
  }
  json message = {{"role", "assistant"},
                  {"content", text.empty() && !tool_calls.empty() ? json() : json(text)},
                  {"refusal", nullptr}};
  if (!tool_calls.empty()) message["tool_calls"] = std::move(tool_calls);
  const json usage = msg.contains("usage") ? msg["usage"] : json::object();
  return {{"id", "chatcmpl-" + msg.value("id", std::string("llmgw"))},
          {"object", "chat.completion"},
          {"created", created_unix_s},
          {"model", client_model},
          {"choices", json::array({{{"index", 0},
                                    {"message", std::move(message)},
                                    {"logprobs", nullptr},
                                    {"finish_reason", FinishReasonFromStopReason(msg.value(
                                                          "stop_reason", "end_turn"))}}})},
          {"usage",
           UsageJson(IntField(usage, "input_tokens"), IntField(usage, "cache_read_input_tokens"),
                     IntField(usage, "cache_creation_input_tokens"),
                     IntField(usage, "output_tokens"))}};
}

ErrorSpec OpenAIErrorFromAnthropic(int status, const std::string& body) {
  json j = json::parse(body, nullptr, false);
  std::string type, message = "upstream error";
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    type = j["error"].value("type", "");
    message = j["error"].value("message", message);
  }
  if (status == 401 || status == 403) {
    return {502, "api_error", "upstream_auth_failed",
            "The gateway could not authenticate with the provider.", ""};
  }
  if (status == 429 || type == "rate_limit_error") {
    return {429, "rate_limit_error", "rate_limit_exceeded", message, ""};
  }
  if (status == 529 || type == "overloaded_error") {
    return {503, "server_error", "overloaded", message, ""};
  }
  if (status >= 500) return {502, "server_error", "", message, ""};
  if (status == 404) return {404, "invalid_request_error", "not_found", message, ""};
  if (status == 413) return {413, "invalid_request_error", "request_too_large", message, ""};
  return {status >= 400 ? status : 502, "invalid_request_error", "", message, ""};
}

AnthropicToOpenAIStream::AnthropicToOpenAIStream(std::string client_model, int64_t created_unix_s,
                                                 bool include_usage)
    : model_(std::move(client_model)), created_(created_unix_s), include_usage_(include_usage) {}

std::string AnthropicToOpenAIStream::Chunk(json delta, const json& finish_reason) {
  json chunk = {{"id", id_},
                {"object", "chat.completion.chunk"},
                {"created", created_},
                {"model", model_},
                {"choices", json::array({{{"index", 0},
                                          {"delta", std::move(delta)},
                                          {"logprobs", nullptr},
                                          {"finish_reason", finish_reason}}})}};
  if (include_usage_) chunk["usage"] = nullptr;
  return "data: " + chunk.dump() + "\n\n";
}

std::vector<std::string> AnthropicToOpenAIStream::OnEvent(const SseEvent& e) {
  std::vector<std::string> out;
  if (done_ || e.comment_only) return out;
  json d = json::parse(e.data, nullptr, false);
  if (d.is_discarded() || !d.is_object()) return out;
  std::string type = e.event.empty() ? d.value("type", "") : e.event;

  if (type == "message_start" && d.contains("message")) {
    const json& m = d["message"];
    if (m.contains("id") && m["id"].is_string()) id_ = "chatcmpl-" + m["id"].get<std::string>();
    if (m.contains("usage")) {
      const json& u = m["usage"];
      input_ = IntField(u, "input_tokens");
      cache_read_ = IntField(u, "cache_read_input_tokens");
      cache_write_ = IntField(u, "cache_creation_input_tokens");
      output_ = IntField(u, "output_tokens");
    }
    out.push_back(Chunk({{"role", "assistant"}, {"content", ""}, {"refusal", nullptr}}, nullptr));
  } else if (type == "content_block_start" && d.contains("content_block")) {
    const json& b = d["content_block"];
    block_is_tool_ = b.value("type", "") == "tool_use";
    if (block_is_tool_) {
      ++tool_index_;
      out.push_back(Chunk(
          {{"tool_calls",
            json::array({{{"index", tool_index_},
                          {"id", b.value("id", "")},
                          {"type", "function"},
                          {"function", {{"name", b.value("name", "")}, {"arguments", ""}}}}})}},
          nullptr));
    }
  } else if (type == "content_block_delta" && d.contains("delta")) {
    const json& delta = d["delta"];
    std::string dt = delta.value("type", "");
    if (dt == "text_delta") {
      out.push_back(Chunk({{"content", delta.value("text", "")}}, nullptr));
    } else if (dt == "input_json_delta" && tool_index_ >= 0) {
      out.push_back(
          Chunk({{"tool_calls",
                  json::array({{{"index", tool_index_},
                                {"function", {{"arguments", delta.value("partial_json", "")}}}}})}},
                nullptr));
    }
  } else if (type == "message_delta") {
    if (d.contains("usage")) {
      const json& u = d["usage"];
      if (u.contains("output_tokens")) output_ = IntField(u, "output_tokens");
      if (u.contains("input_tokens")) input_ = IntField(u, "input_tokens");
      if (u.contains("cache_read_input_tokens"))
        cache_read_ = IntField(u, "cache_read_input_tokens");
      if (u.contains("cache_creation_input_tokens")) {
        cache_write_ = IntField(u, "cache_creation_input_tokens");
      }
    }
    std::string stop = d.contains("delta") && d["delta"].contains("stop_reason") &&
                               d["delta"]["stop_reason"].is_string()
                           ? d["delta"]["stop_reason"].get<std::string>()
                           : "end_turn";
    out.push_back(Chunk(json::object(), FinishReasonFromStopReason(stop)));
  } else if (type == "message_stop") {
    if (include_usage_) {
      json chunk = {{"id", id_},
                    {"object", "chat.completion.chunk"},
                    {"created", created_},
                    {"model", model_},
                    {"choices", json::array()},
                    {"usage", UsageJson(input_, cache_read_, cache_write_, output_)}};
      out.push_back("data: " + chunk.dump() + "\n\n");
    }
    out.push_back("data: [DONE]\n\n");
    done_ = true;
  } else if (type == "error") {
    std::string message = "upstream error";
    if (d.contains("error") && d["error"].is_object())
      message = d["error"].value("message", message);
    json err = {
        {"error",
         {{"message", message}, {"type", "server_error"}, {"param", nullptr}, {"code", nullptr}}}};
    out.push_back("data: " + err.dump() + "\n\n");
    done_ = true;
  }
  return out;
}

}  // namespace llmgw::gateway

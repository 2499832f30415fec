#include "services/gateway/domain/messages_translate.h"

#include <utility>

#include "services/gateway/domain/json_fields.h"

namespace llmgw::gateway {
namespace {

using json = nlohmann::json;

// Text of an Anthropic content: a string, or its text blocks joined.
std::string TextOf(const json& content) {
  if (content.is_string()) return content.get<std::string>();
  std::string out;
  if (!content.is_array()) return out;
  for (const auto& b : content) {
    if (b.is_object() && b.value("type", "") == "text" && b.contains("text") &&
        b["text"].is_string()) {
      if (!out.empty()) out += "\n";
      out += b["text"].get<std::string>();
    }
  }
  return out;
}

absl::StatusOr<json> ImagePart(const json& block) {
  const json source = block.contains("source") ? block["source"] : json();
  const std::string type = source.is_object() ? source.value("type", "") : "";
  if (type == "base64" && source.contains("data") && source["data"].is_string()) {
    return json{{"type", "image_url"},
                {"image_url",
                 {{"url", "data:" + source.value("media_type", "image/png") + ";base64," +
                              source["data"].get<std::string>()}}}};
  }
  if (type == "url" && source.contains("url") && source["url"].is_string()) {
    return json{{"type", "image_url"}, {"image_url", {{"url", source["url"]}}}};
  }
  return absl::InvalidArgumentError("image source must be base64 data or a url");
}

// One Anthropic turn -> the Chat Completions messages it becomes (tool results are messages of
// their own, before the rest of the user's turn).
absl::Status AppendTurn(const json& m, json& out) {
  if (!m.is_object()) return absl::InvalidArgumentError("messages: each message must be an object");
  const std::string role = m.value("role", "");
  if (role != "user" && role != "assistant") {
    return absl::InvalidArgumentError("messages: role must be \"user\" or \"assistant\"");
  }
  const json content = m.contains("content") ? m["content"] : json();
  if (content.is_string()) {
    out.push_back({{"role", role}, {"content", content}});
    return absl::OkStatus();
  }
  if (!content.is_array()) {
    return absl::InvalidArgumentError("messages: content must be a string or an array of blocks");
  }
  json parts = json::array();
  json tool_calls = json::array();
  for (const auto& b : content) {
    const std::string type = b.is_object() ? b.value("type", "") : "";
    if (type == "text") {
      parts.push_back({{"type", "text"}, {"text", b.value("text", "")}});
    } else if (type == "image") {
      absl::StatusOr<json> image = ImagePart(b);
      if (!image.ok()) return image.status();
      parts.push_back(*std::move(image));
    } else if (type == "tool_use" && role == "assistant") {
      const json input = b.contains("input") ? b["input"] : json::object();
      tool_calls.push_back(
          {{"id", b.value("id", "")},
           {"type", "function"},
           {"function", {{"name", b.value("name", "")}, {"arguments", Dump(input)}}}});
    } else if (type == "tool_result" && role == "user") {
      const json c = b.contains("content") ? b["content"] : json("");
      out.push_back(
          {{"role", "tool"}, {"tool_call_id", b.value("tool_use_id", "")}, {"content", TextOf(c)}});
    } else if (type == "thinking" || type == "redacted_thinking") {
      continue;  // another provider's reasoning cannot be replayed
    } else {
      return absl::InvalidArgumentError("messages: unsupported content block type \"" + type +
                                        "\"");
    }
  }
  if (parts.empty() && tool_calls.empty()) return absl::OkStatus();
  json msg = {{"role", role}};
  if (role == "assistant") {
    std::string text;
    for (const auto& p : parts) text += p.value("text", "");
    msg["content"] = text.empty() && !tool_calls.empty() ? json() : json(text);
    if (!tool_calls.empty()) msg["tool_calls"] = std::move(tool_calls);
  } else {
    msg["content"] = std::move(parts);
  }
  out.push_back(std::move(msg));
  return absl::OkStatus();
}

absl::StatusOr<json> Tools(const json& tools) {
  if (!tools.is_array()) return absl::InvalidArgumentError("tools must be an array");
  json out = json::array();
  for (const auto& t : tools) {
    if (!t.is_object() || !t.contains("name") || !t["name"].is_string()) {
      return absl::InvalidArgumentError("tools: each tool needs a name");
    }
    if (t.contains("type") && t["type"] != "custom") {
      return absl::InvalidArgumentError("tools: server tools (" + t.value("type", "") +
                                        ") are only available on Claude models");
    }
    json fn = {{"name", t["name"]},
               {"parameters", t.contains("input_schema") ? t["input_schema"] : json::object()}};
    if (t.contains("description")) fn["description"] = t["description"];
    out.push_back({{"type", "function"}, {"function", std::move(fn)}});
  }
  return out;
}

json ToolChoice(const json& choice) {
  const std::string type = choice.is_object() ? choice.value("type", "auto") : "auto";
  if (type == "any") return "required";
  if (type == "none") return "none";
  if (type == "tool")
    return {{"type", "function"}, {"function", {{"name", choice.value("name", "")}}}};
  return "auto";
}

std::string Frame(const char* event, const json& data) {
  return std::string("event: ") + event + "\ndata: " + Dump(data) + "\n\n";
}

}  // namespace

absl::StatusOr<json> MessagesToChatRequest(const json& in, const std::string& upstream_model,
                                           const std::string& max_tokens_field) {
  json messages = json::array();
  if (in.contains("system")) {
    const std::string system = TextOf(in["system"]);
    if (!system.empty()) messages.push_back({{"role", "system"}, {"content", system}});
  }
  for (const auto& m : in["messages"]) {
    if (absl::Status s = AppendTurn(m, messages); !s.ok()) return s;
  }
  json out = {{"model", upstream_model}, {"messages", std::move(messages)}};
  out[max_tokens_field] = in["max_tokens"];
  for (const char* k : {"temperature", "top_p"}) {
    if (in.contains(k) && !in[k].is_null()) out[k] = in[k];
  }
  if (in.contains("stop_sequences") && in["stop_sequences"].is_array() &&
      !in["stop_sequences"].empty()) {
    out["stop"] = in["stop_sequences"];
  }
  if (in.contains("tools") && !in["tools"].is_null()) {
    absl::StatusOr<json> tools = Tools(in["tools"]);
    if (!tools.ok()) return tools.status();
    if (!tools->empty()) out["tools"] = *std::move(tools);
  }
  if (in.contains("tool_choice") && out.contains("tools"))
    out["tool_choice"] = ToolChoice(in["tool_choice"]);
  if (in.contains("metadata") && in["metadata"].is_object() && in["metadata"].contains("user_id") &&
      in["metadata"]["user_id"].is_string()) {
    out["user"] = in["metadata"]["user_id"];
  }
  if (in.contains("stream") && in["stream"].is_boolean() && in["stream"].get<bool>()) {
    out["stream"] = true;
    out["stream_options"] = {{"include_usage", true}};
  }
  return out;
}

std::string StopReasonFromFinishReason(const std::string& finish_reason) {
  if (finish_reason == "length") return "max_tokens";
  if (finish_reason == "tool_calls" || finish_reason == "function_call") return "tool_use";
  if (finish_reason == "content_filter") return "refusal";
  return "end_turn";
}

json AnthropicUsageFromOpenAI(const json& u, bool reasoning_apart) {
  const int64_t prompt = IntField(u, "prompt_tokens");
  const int64_t cached =
      std::min(NestedIntField(u, "prompt_tokens_details", "cached_tokens"), prompt);
  int64_t output = IntField(u, "completion_tokens");
  if (reasoning_apart) output += NestedIntField(u, "completion_tokens_details", "reasoning_tokens");
  return {{"input_tokens", prompt - cached},
          {"cache_creation_input_tokens", 0},
          {"cache_read_input_tokens", cached},
          {"output_tokens", output}};
}

json ChatResponseToMessage(const json& completion, const std::string& client_model,
                           bool reasoning_apart) {
  json content = json::array();
  std::string finish = "stop";
  const json* choices = completion.contains("choices") && completion["choices"].is_array() &&
                                !completion["choices"].empty()
                            ? &completion["choices"]
                            : nullptr;
  if (choices != nullptr && (*choices)[0].is_object()) {
    const json& c = (*choices)[0];
    if (c.contains("finish_reason") && c["finish_reason"].is_string()) finish = c["finish_reason"];
    const json m =
        c.contains("message") && c["message"].is_object() ? c["message"] : json::object();
    if (m.contains("content") && m["content"].is_string() &&
        !m["content"].get<std::string>().empty()) {
      content.push_back({{"type", "text"}, {"text", m["content"]}});
    }
    if (m.contains("tool_calls") && m["tool_calls"].is_array()) {
      for (const auto& call : m["tool_calls"]) {
        const json fn = call.contains("function") ? call["function"] : json::object();
        json input = json::parse(fn.value("arguments", "{}"), nullptr, false);
        if (!input.is_object()) input = json::object();
        content.push_back({{"type", "tool_use"},
                           {"id", call.value("id", "")},
                           {"name", fn.value("name", "")},
                           {"input", std::move(input)}});
      }
    }
  }
  const std::string id = completion.contains("id") && completion["id"].is_string()
                             ? completion["id"].get<std::string>()
                             : "llmgw";
  return {{"id", "msg_" + id},
          {"type", "message"},
          {"role", "assistant"},
          {"model", client_model},
          {"content", std::move(content)},
          {"stop_reason", StopReasonFromFinishReason(finish)},
          {"stop_sequence", nullptr},
          {"usage", AnthropicUsageFromOpenAI(
                        completion.contains("usage") ? completion["usage"] : json::object(),
                        reasoning_apart)}};
}

ErrorSpec AnthropicErrorFromOpenAIStyle(int status, const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_array() && !j.empty()) j = j[0];  // Gemini sometimes wraps the error in a list
  std::string message = "upstream error";
  if (j.is_object() && j.contains("error") && j["error"].is_object() &&
      j["error"].contains("message") && j["error"]["message"].is_string()) {
    message = j["error"]["message"];
  }
  if (status == 401 || status == 403) {
    return {502, "api_error", "upstream_auth_failed",
            "The gateway could not use its account with the provider.", "api_error"};
  }
  if (status == 429) return {429, "rate_limit_error", "", message, "rate_limit_error"};
  if (status >= 500) return {502, "api_error", "", message, "api_error"};
  return {status >= 400 ? status : 502, "invalid_request_error", "", message, ""};
}

ChatToMessagesStream::ChatToMessagesStream(std::string client_model, bool reasoning_apart)
    : model_(std::move(client_model)), reasoning_apart_(reasoning_apart) {}

void ChatToMessagesStream::Start(std::vector<std::string>& out, const json& chunk) {
  started_ = true;
  const std::string id =
      chunk.contains("id") && chunk["id"].is_string() ? chunk["id"].get<std::string>() : "llmgw";
  out.push_back(
      Frame("message_start", {{"type", "message_start"},
                              {"message",
                               {{"id", "msg_" + id},
                                {"type", "message"},
                                {"role", "assistant"},
                                {"model", model_},
                                {"content", json::array()},
                                {"stop_reason", nullptr},
                                {"stop_sequence", nullptr},
                                {"usage", {{"input_tokens", 0}, {"output_tokens", 0}}}}}}));
}

void ChatToMessagesStream::CloseBlock(std::vector<std::string>& out) {
  if (block_ < 0) return;
  out.push_back(Frame("content_block_stop", {{"type", "content_block_stop"}, {"index", block_}}));
  block_ = -1;
  open_kind_.clear();
  open_tool_ = -1;
}

void ChatToMessagesStream::OpenBlock(std::vector<std::string>& out, json block) {
  CloseBlock(out);
  block_ = next_index_++;
  open_kind_ = block.value("type", "");
  out.push_back(Frame(
      "content_block_start",
      {{"type", "content_block_start"}, {"index", block_}, {"content_block", std::move(block)}}));
}

void ChatToMessagesStream::Finish(std::vector<std::string>& out) {
  CloseBlock(out);
  json usage = usage_.empty() ? json{{"output_tokens", 0}} : usage_;
  out.push_back(Frame("message_delta",
                      {{"type", "message_delta"},
                       {"delta", {{"stop_reason", stop_reason_}, {"stop_sequence", nullptr}}},
                       {"usage", std::move(usage)}}));
  out.push_back(Frame("message_stop", {{"type", "message_stop"}}));
  done_ = true;
}

std::vector<std::string> ChatToMessagesStream::OnEvent(const SseEvent& e) {
  std::vector<std::string> out;
  if (done_ || e.comment_only || e.data.empty()) return out;
  if (e.data == "[DONE]") {
    if (!started_) Start(out, json::object());
    Finish(out);
    return out;
  }
  json chunk = json::parse(e.data, nullptr, false);
  if (!chunk.is_object()) return out;
  if (chunk.contains("error")) {
    std::string message = "upstream error";
    if (chunk["error"].is_object()) message = chunk["error"].value("message", message);
    out.push_back(Frame(
        "error", {{"type", "error"}, {"error", {{"type", "api_error"}, {"message", message}}}}));
    saw_error_ = true;
    done_ = true;
    return out;
  }
  if (!started_) Start(out, chunk);
  if (chunk.contains("usage") && chunk["usage"].is_object()) {
    usage_ = AnthropicUsageFromOpenAI(chunk["usage"], reasoning_apart_);  // the last one wins
  }
  if (!chunk.contains("choices") || !chunk["choices"].is_array()) return out;
  for (const auto& c : chunk["choices"]) {
    if (!c.is_object()) continue;
    const json d = c.contains("delta") && c["delta"].is_object() ? c["delta"] : json::object();
    if (d.contains("content") && d["content"].is_string() &&
        !d["content"].get<std::string>().empty()) {
      if (open_kind_ != "text") OpenBlock(out, {{"type", "text"}, {"text", ""}});
      out.push_back(Frame("content_block_delta",
                          {{"type", "content_block_delta"},
                           {"index", block_},
                           {"delta", {{"type", "text_delta"}, {"text", d["content"]}}}}));
      ++delivered_;
    }
    if (d.contains("tool_calls") && d["tool_calls"].is_array()) {
      for (const auto& call : d["tool_calls"]) {
        if (!call.is_object()) continue;
        const int index = call.contains("index") && call["index"].is_number_integer()
                              ? call["index"].get<int>()
                              : 0;
        const json fn = call.contains("function") && call["function"].is_object() ? call["function"]
                                                                                  : json::object();
        if (open_kind_ != "tool_use" || open_tool_ != index) {
          OpenBlock(out, {{"type", "tool_use"},
                          {"id", call.value("id", "")},
                          {"name", fn.value("name", "")},
                          {"input", json::object()}});
          open_tool_ = index;
        }
        const std::string args = fn.contains("arguments") && fn["arguments"].is_string()
                                     ? fn["arguments"].get<std::string>()
                                     : "";
        if (!args.empty()) {
          out.push_back(Frame("content_block_delta",
                              {{"type", "content_block_delta"},
                               {"index", block_},
                               {"delta", {{"type", "input_json_delta"}, {"partial_json", args}}}}));
          ++delivered_;
        }
      }
    }
    if (c.contains("finish_reason") && c["finish_reason"].is_string()) {
      stop_reason_ = StopReasonFromFinishReason(c["finish_reason"]);
      CloseBlock(out);
    }
  }
  return out;
}

}  // namespace llmgw::gateway

#include "services/gateway/domain/responses_translate.h"

#include <utility>

#include "services/gateway/domain/json_fields.h"

namespace llmgw::gateway {
namespace {

using json = nlohmann::json;

// A message item's content -> chat content (a string stays a string; parts become chat parts).
absl::StatusOr<json> ChatContent(const json& content, const std::string& role) {
  if (content.is_string()) return content;
  if (!content.is_array())
    return absl::InvalidArgumentError("input: content must be a string or an array");
  if (role == "assistant") {  // assistant turns: their output text, joined
    std::string text;
    for (const auto& p : content) {
      if (p.is_object() && p.contains("text") && p["text"].is_string())
        text += p["text"].get<std::string>();
    }
    return json(text);
  }
  json parts = json::array();
  for (const auto& p : content) {
    const std::string type = p.is_object() ? p.value("type", "") : "";
    if (type == "input_text" || type == "output_text" || type == "text") {
      parts.push_back({{"type", "text"}, {"text", p.value("text", "")}});
    } else if (type == "input_image" && p.contains("image_url") && p["image_url"].is_string()) {
      json image = {{"url", p["image_url"]}};
      if (p.contains("detail") && p["detail"].is_string()) image["detail"] = p["detail"];
      parts.push_back({{"type", "image_url"}, {"image_url", std::move(image)}});
    } else {
      return absl::InvalidArgumentError("input: unsupported content part type \"" + type + "\"");
    }
  }
  return parts;
}

// One input item appended to the chat messages.
absl::Status AppendItem(const json& item, json& messages) {
  if (!item.is_object()) return absl::InvalidArgumentError("input: each item must be an object");
  const std::string type = item.value("type", item.contains("role") ? "message" : "");
  if (type == "message") {
    std::string role = item.value("role", "user");
    if (role == "developer") role = "system";
    if (role != "user" && role != "assistant" && role != "system") {
      return absl::InvalidArgumentError("input: unknown role \"" + role + "\"");
    }
    absl::StatusOr<json> content =
        ChatContent(item.contains("content") ? item["content"] : json(""), role);
    if (!content.ok()) return content.status();
    messages.push_back({{"role", role}, {"content", *std::move(content)}});
    return absl::OkStatus();
  }
  if (type == "function_call") {
    json call = {
        {"id", item.value("call_id", "")},
        {"type", "function"},
        {"function",
         {{"name", item.value("name", "")}, {"arguments", item.value("arguments", "{}")}}}};
    // Consecutive calls are one assistant turn.
    if (!messages.empty() && messages.back()["role"] == "assistant" &&
        messages.back().contains("tool_calls")) {
      messages.back()["tool_calls"].push_back(std::move(call));
    } else {
      messages.push_back({{"role", "assistant"},
                          {"content", nullptr},
                          {"tool_calls", json::array({std::move(call)})}});
    }
    return absl::OkStatus();
  }
  if (type == "function_call_output") {
    const json output = item.contains("output") ? item["output"] : json("");
    messages.push_back(
        {{"role", "tool"},
         {"tool_call_id", item.value("call_id", "")},
         {"content", output.is_string() ? output.get<std::string>() : Dump(output)}});
    return absl::OkStatus();
  }
  if (type == "reasoning") return absl::OkStatus();  // another model's reasoning is not replayed
  return absl::InvalidArgumentError("input: unsupported item type \"" + type + "\"");
}

absl::StatusOr<json> ChatTools(const json& tools) {
  if (!tools.is_array()) return absl::InvalidArgumentError("tools must be an array");
  json out = json::array();
  for (const auto& t : tools) {
    if (!t.is_object() || t.value("type", "") != "function") {
      return absl::InvalidArgumentError(
          "tools: only function tools are available for this model (built-in tools such as "
          "web_search run on OpenAI models only)");
    }
    json fn = {{"name", t.value("name", "")},
               {"parameters", t.contains("parameters") ? t["parameters"] : json::object()}};
    if (t.contains("description")) fn["description"] = t["description"];
    if (t.contains("strict")) fn["strict"] = t["strict"];
    out.push_back({{"type", "function"}, {"function", std::move(fn)}});
  }
  return out;
}

json ChatToolChoice(const json& choice) {
  if (choice.is_string()) return choice;
  if (choice.is_object() && choice.value("type", "") == "function") {
    return {{"type", "function"}, {"function", {{"name", choice.value("name", "")}}}};
  }
  return "auto";
}

json MessageItem(const std::string& id, const std::string& text, const char* status) {
  return {
      {"type", "message"},
      {"id", id},
      {"status", status},
      {"role", "assistant"},
      {"content",
       json::array({{{"type", "output_text"}, {"text", text}, {"annotations", json::array()}}})}};
}

json FunctionCallItem(const std::string& call_id, const std::string& name,
                      const std::string& arguments, const char* status) {
  return {{"type", "function_call"}, {"id", "fc_" + call_id}, {"call_id", call_id}, {"name", name},
          {"arguments", arguments},  {"status", status}};
}

}  // namespace

absl::Status CheckStatelessResponsesRequest(const json& request) {
  if (request.contains("previous_response_id") && !request["previous_response_id"].is_null()) {
    return absl::InvalidArgumentError(
        "previous_response_id is not supported: llmgw does not store responses. Send the whole "
        "conversation in `input` (and store: false).");
  }
  if (request.contains("conversation") && !request["conversation"].is_null()) {
    return absl::InvalidArgumentError(
        "conversation is not supported: llmgw does not store conversations. Send the whole "
        "conversation in `input`.");
  }
  if (request.contains("store") && request["store"].is_boolean() && request["store"].get<bool>()) {
    return absl::InvalidArgumentError(
        "store: true is not supported: llmgw does not store responses. Use store: false.");
  }
  return absl::OkStatus();
}

absl::StatusOr<json> ResponsesToChatRequest(const json& in, const std::string& upstream_model,
                                            const std::string& max_tokens_field) {
  json messages = json::array();
  if (in.contains("instructions") && in["instructions"].is_string() &&
      !in["instructions"].get<std::string>().empty()) {
    messages.push_back({{"role", "system"}, {"content", in["instructions"]}});
  }
  const json& input = in["input"];
  if (input.is_string()) {
    messages.push_back({{"role", "user"}, {"content", input}});
  } else {
    for (const auto& item : input) {
      if (absl::Status s = AppendItem(item, messages); !s.ok()) return s;
    }
  }
  json out = {{"model", upstream_model}, {"messages", std::move(messages)}};
  if (in.contains("max_output_tokens") && in["max_output_tokens"].is_number_integer()) {
    out[max_tokens_field] = in["max_output_tokens"];
  }
  for (const char* k : {"temperature", "top_p", "user", "parallel_tool_calls"}) {
    if (in.contains(k) && !in[k].is_null()) out[k] = in[k];
  }
  if (in.contains("tools") && !in["tools"].is_null()) {
    absl::StatusOr<json> tools = ChatTools(in["tools"]);
    if (!tools.ok()) return tools.status();
    if (!tools->empty()) out["tools"] = *std::move(tools);
  }
  if (in.contains("tool_choice") && out.contains("tools"))
    out["tool_choice"] = ChatToolChoice(in["tool_choice"]);
  if (in.contains("stream") && in["stream"].is_boolean() && in["stream"].get<bool>()) {
    out["stream"] = true;
    out["stream_options"] = {{"include_usage", true}};
  }
  return out;
}

json ResponsesUsageFromChat(const json& u, bool reasoning_apart) {
  const int64_t input = IntField(u, "prompt_tokens");
  const int64_t reasoning = NestedIntField(u, "completion_tokens_details", "reasoning_tokens");
  const int64_t output = IntField(u, "completion_tokens") + (reasoning_apart ? reasoning : 0);
  return {{"input_tokens", input},
          {"input_tokens_details",
           {{"cached_tokens", NestedIntField(u, "prompt_tokens_details", "cached_tokens")}}},
          {"output_tokens", output},
          {"output_tokens_details", {{"reasoning_tokens", reasoning}}},
          {"total_tokens", input + output}};
}

json ChatResponseToResponse(const json& completion, const std::string& client_model,
                            int64_t created_at, bool reasoning_apart) {
  const std::string id = completion.contains("id") && completion["id"].is_string()
                             ? completion["id"].get<std::string>()
                             : "llmgw";
  json output = json::array();
  std::string finish = "stop";
  if (completion.contains("choices") && completion["choices"].is_array() &&
      !completion["choices"].empty() && completion["choices"][0].is_object()) {
    const json& c = completion["choices"][0];
    if (c.contains("finish_reason") && c["finish_reason"].is_string()) finish = c["finish_reason"];
    const json m =
        c.contains("message") && c["message"].is_object() ? c["message"] : json::object();
    if (m.contains("content") && m["content"].is_string() &&
        !m["content"].get<std::string>().empty()) {
      output.push_back(MessageItem("msg_" + id, m["content"], "completed"));
    }
    if (m.contains("tool_calls") && m["tool_calls"].is_array()) {
      for (const auto& call : m["tool_calls"]) {
        const json fn = call.contains("function") ? call["function"] : json::object();
        output.push_back(FunctionCallItem(call.value("id", ""), fn.value("name", ""),
                                          fn.value("arguments", "{}"), "completed"));
      }
    }
  }
  const bool capped = finish == "length";
  return {{"id", "resp_" + id},
          {"object", "response"},
          {"created_at", created_at},
          {"status", capped ? "incomplete" : "completed"},
          {"error", nullptr},
          {"incomplete_details", capped ? json{{"reason", "max_output_tokens"}} : json()},
          {"model", client_model},
          {"output", std::move(output)},
          {"usage", ResponsesUsageFromChat(
                        completion.contains("usage") ? completion["usage"] : json::object(),
                        reasoning_apart)}};
}

ChatToResponsesStream::ChatToResponsesStream(std::string client_model, int64_t created_at,
                                             bool reasoning_apart)
    : model_(std::move(client_model)), created_(created_at), reasoning_apart_(reasoning_apart) {}

std::string ChatToResponsesStream::Frame(json data) {
  data["sequence_number"] = sequence_++;
  const std::string type = data["type"];
  return "event: " + type + "\ndata: " + Dump(data) + "\n\n";
}

json ChatToResponsesStream::Response(const char* status) const {
  json r = {{"id", id_},        {"object", "response"}, {"created_at", created_},
            {"status", status}, {"error", nullptr},     {"incomplete_details", nullptr},
            {"model", model_},  {"output", output_},    {"usage", nullptr}};
  if (std::string(status) != "in_progress") {
    r["usage"] = usage_.is_object() ? usage_ : ResponsesUsageFromChat(json::object(), false);
  }
  if (std::string(status) == "incomplete")
    r["incomplete_details"] = {{"reason", "max_output_tokens"}};
  return r;
}

void ChatToResponsesStream::Start(std::vector<std::string>& out, const json& chunk) {
  started_ = true;
  if (chunk.contains("id") && chunk["id"].is_string())
    id_ = "resp_" + chunk["id"].get<std::string>();
  out.push_back(Frame({{"type", "response.created"}, {"response", Response("in_progress")}}));
  out.push_back(Frame({{"type", "response.in_progress"}, {"response", Response("in_progress")}}));
}

void ChatToResponsesStream::CloseItem(std::vector<std::string>& out) {
  if (open_ < 0) return;
  json& item = output_[open_];
  const std::string item_id = item["id"];
  if (item["type"] == "message") {
    out.push_back(Frame({{"type", "response.output_text.done"},
                         {"item_id", item_id},
                         {"output_index", open_},
                         {"content_index", 0},
                         {"text", text_}}));
    json part = {{"type", "output_text"}, {"text", text_}, {"annotations", json::array()}};
    out.push_back(Frame({{"type", "response.content_part.done"},
                         {"item_id", item_id},
                         {"output_index", open_},
                         {"content_index", 0},
                         {"part", part}}));
    item = MessageItem(item_id, text_, "completed");
  } else {
    out.push_back(Frame({{"type", "response.function_call_arguments.done"},
                         {"item_id", item_id},
                         {"output_index", open_},
                         {"arguments", arguments_}}));
    item = FunctionCallItem(item["call_id"], item["name"], arguments_, "completed");
  }
  out.push_back(
      Frame({{"type", "response.output_item.done"}, {"output_index", open_}, {"item", item}}));
  open_ = -1;
  open_tool_ = -1;
  text_.clear();
  arguments_.clear();
}

void ChatToResponsesStream::Finish(std::vector<std::string>& out) {
  CloseItem(out);
  const char* status = capped_ ? "incomplete" : "completed";
  out.push_back(Frame({{"type", capped_ ? "response.incomplete" : "response.completed"},
                       {"response", Response(status)}}));
  done_ = true;
}

std::vector<std::string> ChatToResponsesStream::OnEvent(const SseEvent& e) {
  std::vector<std::string> out;
  if (done_ || e.comment_only || e.data.empty()) return out;
  if (e.data == "[DONE]") {
    if (!started_) Start(out, json::object());
    Finish(out);
    return out;
  }
  json chunk = json::parse(e.data, nullptr, false);
  if (!chunk.is_object()) return out;
  if (!started_) Start(out, chunk);
  if (chunk.contains("error")) {
    std::string message = "upstream error";
    if (chunk["error"].is_object()) message = chunk["error"].value("message", message);
    out.push_back(Frame(
        {{"type", "error"}, {"code", "server_error"}, {"message", message}, {"param", nullptr}}));
    saw_error_ = true;
    done_ = true;
    return out;
  }
  if (chunk.contains("usage") && chunk["usage"].is_object()) {
    usage_ = ResponsesUsageFromChat(chunk["usage"], reasoning_apart_);  // the last one wins
  }
  if (!chunk.contains("choices") || !chunk["choices"].is_array()) return out;
  for (const auto& c : chunk["choices"]) {
    if (!c.is_object()) continue;
    const json d = c.contains("delta") && c["delta"].is_object() ? c["delta"] : json::object();
    if (d.contains("content") && d["content"].is_string() &&
        !d["content"].get<std::string>().empty()) {
      if (open_ < 0 || output_[open_]["type"] != "message") {
        CloseItem(out);
        open_ = static_cast<int>(output_.size());
        const std::string item_id = "msg_" + id_.substr(5);
        output_.push_back(MessageItem(item_id, "", "in_progress"));
        output_[open_]["content"] = json::array();
        out.push_back(Frame({{"type", "response.output_item.added"},
                             {"output_index", open_},
                             {"item", output_[open_]}}));
        out.push_back(Frame(
            {{"type", "response.content_part.added"},
             {"item_id", item_id},
             {"output_index", open_},
             {"content_index", 0},
             {"part", {{"type", "output_text"}, {"text", ""}, {"annotations", json::array()}}}}));
      }
      const std::string delta = d["content"];
      text_ += delta;
      out.push_back(Frame({{"type", "response.output_text.delta"},
                           {"item_id", output_[open_]["id"]},
                           {"output_index", open_},
                           {"content_index", 0},
                           {"delta", delta}}));
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
        if (open_ < 0 || output_[open_]["type"] != "function_call" || open_tool_ != index) {
          CloseItem(out);
          open_ = static_cast<int>(output_.size());
          open_tool_ = index;
          output_.push_back(
              FunctionCallItem(call.value("id", ""), fn.value("name", ""), "", "in_progress"));
          out.push_back(Frame({{"type", "response.output_item.added"},
                               {"output_index", open_},
                               {"item", output_[open_]}}));
        }
        const std::string args = fn.contains("arguments") && fn["arguments"].is_string()
                                     ? fn["arguments"].get<std::string>()
                                     : "";
        if (!args.empty()) {
          arguments_ += args;
          out.push_back(Frame({{"type", "response.function_call_arguments.delta"},
                               {"item_id", output_[open_]["id"]},
                               {"output_index", open_},
                               {"delta", args}}));
          ++delivered_;
        }
      }
    }
    if (c.contains("finish_reason") && c["finish_reason"].is_string()) {
      capped_ = c["finish_reason"] == "length";
      CloseItem(out);
    }
  }
  return out;
}

}  // namespace llmgw::gateway

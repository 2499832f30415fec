#include "services/gateway/api/chat_surface.h"

#include <optional>
#include <utility>

#include "services/gateway/domain/json_fields.h"
#include "services/gateway/domain/translate.h"

namespace llmgw::gateway {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

namespace {

constexpr char kStreamBrokenChunk[] =
    "data: {\"error\":{\"message\":\"The upstream stream ended before completion.\","
    "\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n";

// Bytes of the generated text and tool-call arguments of an OpenAI chat.completion.
template <typename J>
int64_t CompletionBytes(const J& completion) {
  int64_t n = 0;
  if (!completion.is_object() || !completion.contains("choices") ||
      !completion["choices"].is_array()) {
    return 0;
  }
  for (const auto& c : completion["choices"]) {
    if (!c.is_object() || !c.contains("message") || !c["message"].is_object()) continue;
    const auto& m = c["message"];
    if (m.contains("content") && m["content"].is_string()) {
      n += static_cast<int64_t>(m["content"].template get_ref<const std::string&>().size());
    }
    if (m.contains("tool_calls") && m["tool_calls"].is_array()) {
      for (const auto& call : m["tool_calls"]) {
        if (call.is_object() && call.contains("function") && call["function"].is_object() &&
            call["function"].contains("arguments") && call["function"]["arguments"].is_string()) {
          n += static_cast<int64_t>(
              call["function"]["arguments"].template get_ref<const std::string&>().size());
        }
      }
    }
  }
  return n;
}

// Whether an OpenAI chunk carries generated content (text, refusal or tool-call arguments).
template <typename J>
bool ChunkHasOutput(const J& chunk) {
  if (!chunk.contains("choices") || !chunk["choices"].is_array()) return false;
  for (const auto& c : chunk["choices"]) {
    if (!c.is_object() || !c.contains("delta") || !c["delta"].is_object()) continue;
    const auto& d = c["delta"];
    for (const char* k : {"content", "refusal"}) {
      if (d.contains(k) && d[k].is_string() &&
          !d[k].template get_ref<const std::string&>().empty()) {
        return true;
      }
    }
    if (d.contains("tool_calls") && d["tool_calls"].is_array() && !d["tool_calls"].empty()) {
      return true;
    }
  }
  return false;
}

bool WantsUsage(const json& body) {
  auto so = body.find("stream_options");
  if (so == body.end() || !so->is_object()) return false;
  auto iu = so->find("include_usage");
  return iu != so->end() && iu->is_boolean() && iu->get<bool>();
}

// An OpenAI-compatible stream relayed chunk by chunk with the customer's model name; the usage
// chunk the gateway asked for is dropped.
class OpenAIStyleChatStream final : public ResellerStreamReader {
 public:
  OpenAIStyleChatStream(Provider p, bool injected_usage, std::string client_model)
      : tracker_(p, injected_usage), model_(std::move(client_model)) {}

  void OnEvent(SseEvent&& e, std::string& out) override {
    if (!tracker_.OnEvent(e)) return;  // the injected usage chunk
    if (e.data.empty() || e.data == "[DONE]") {
      out += e.raw;
      return;
    }
    ordered_json chunk = ordered_json::parse(e.data, nullptr, false);
    if (!chunk.is_object()) {
      out += e.raw;
      return;
    }
    if (ChunkHasOutput(chunk)) ++delivered_;
    if (chunk.contains("model")) chunk["model"] = model_;
    out += "data: ";
    out += Dump(chunk);
    out += "\n\n";
  }
  void OnEnd(bool, std::string_view, std::string& out) override {
    if (!tracker_.saw_terminal()) out += kStreamBrokenChunk;  // errors after the 200 go in-band
  }
  Usage usage() const override { return tracker_.usage(); }
  bool complete() const override { return tracker_.saw_terminal() && !tracker_.saw_error(); }
  int64_t delivered_units() const override { return delivered_; }

 private:
  StreamUsageTracker tracker_;
  std::string model_;
  int64_t delivered_ = 0;
};

// An Anthropic stream translated into OpenAI chunks as it arrives.
class AnthropicAsChatStream final : public ResellerStreamReader {
 public:
  AnthropicAsChatStream(std::string client_model, int64_t created, bool client_wants_usage)
      : tracker_(Provider::kAnthropic, false),
        translator_(std::move(client_model), created, client_wants_usage) {}

  void OnEvent(SseEvent&& e, std::string& out) override {
    tracker_.OnEvent(e);
    std::vector<std::string> frames = translator_.OnEvent(e);
    if (e.event == "content_block_delta" && !frames.empty()) ++delivered_;
    for (auto& f : frames) out += f;
  }
  void OnEnd(bool, std::string_view, std::string& out) override {
    if (!translator_.done()) out += kStreamBrokenChunk;
  }
  Usage usage() const override { return tracker_.usage(); }
  bool complete() const override { return translator_.done() && !tracker_.saw_error(); }
  int64_t delivered_units() const override { return delivered_; }

 private:
  StreamUsageTracker tracker_;
  AnthropicToOpenAIStream translator_;
  int64_t delivered_ = 0;
};

}  // namespace

ErrorSpec OpenAIErrorFromOpenAIStyle(int status, const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_array() && !j.empty()) j = j[0];  // Gemini sometimes wraps the error in a list
  std::string message = "upstream error", type, code;
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    const json& e = j["error"];
    if (e.contains("message") && e["message"].is_string()) message = e["message"];
    if (e.contains("type") && e["type"].is_string()) type = e["type"];
    if (e.contains("code") && e["code"].is_string()) code = e["code"];
  }
  if (status == 401 || status == 403 || code == "insufficient_quota") {
    return {502, "api_error", "upstream_auth_failed",
            "The gateway could not use its account with the provider.", ""};
  }
  if (status >= 500) return {502, "server_error", code, message, ""};
  if (status == 429) {
    return {429, type.empty() ? "rate_limit_error" : type,
            code.empty() ? "rate_limit_exceeded" : code, message, ""};
  }
  return {status >= 400 ? status : 502, type.empty() ? "invalid_request_error" : type, code,
          message, ""};
}

absl::StatusOr<ClientRequest> ChatCompletionsSurface::Parse(const json& body) const {
  if (!body.contains("model") || !body["model"].is_string() ||
      body["model"].get_ref<const std::string&>().empty()) {
    return absl::InvalidArgumentError("You must provide a model parameter.");
  }
  if (!body.contains("messages") || !body["messages"].is_array()) {
    return absl::InvalidArgumentError("'messages' is a required property and must be an array.");
  }
  // "n" multiplies the output: refused out of range before anything is held or sent.
  if (absl::StatusOr<int64_t> choices = ChoiceCount(body); !choices.ok()) return choices.status();
  if (absl::Status limits = CheckOutputTokenLimits(body); !limits.ok()) return limits;
  auto stream = body.find("stream");
  return ClientRequest{body["model"].get<std::string>(),
                       stream != body.end() && stream->is_boolean() && stream->get<bool>()};
}

CostBound ChatCompletionsSurface::Bound(const json& body, size_t body_bytes,
                                        const PricedModel& model) const {
  return BoundChatCost(body, body_bytes, model);
}

absl::StatusOr<UpstreamCall> ChatCompletionsSurface::Upstream(const json& body,
                                                              const ResellerTarget& target) const {
  UpstreamCall call;
  if (target.provider == Provider::kAnthropic) {
    const int64_t default_max =
        target.price.max_output_tokens > 0 ? target.price.max_output_tokens : 4096;
    auto translated = OpenAIToAnthropicRequest(body, target.upstream_model, default_max);
    if (!translated.ok()) return translated.status();
    call.path = "/v1/messages";
    call.body = Dump(*translated);
    return call;
  }
  json out = body;
  out["model"] = target.upstream_model;
  auto stream = body.find("stream");
  if (stream != body.end() && stream->is_boolean() && stream->get<bool>() && !WantsUsage(body)) {
    // The usage arrives only when asked for; the extra chunk is dropped from the relay.
    if (!out.contains("stream_options") || !out["stream_options"].is_object()) {
      out["stream_options"] = json::object();
    }
    out["stream_options"]["include_usage"] = true;
    call.injected_usage = true;
  }
  call.path = "/chat/completions";
  call.body = Dump(out);
  return call;
}

std::string ChatCompletionsSurface::Respond(std::string raw, const ResellerTarget& target,
                                            const std::string& client_model, int64_t created,
                                            int64_t* delivered) const {
  if (target.provider == Provider::kAnthropic) {
    json completion =
        AnthropicToOpenAIResponse(json::parse(raw, nullptr, false), client_model, created);
    *delivered = CompletionBytes(completion);
    return Dump(completion);
  }
  ordered_json completion = ordered_json::parse(raw, nullptr, false);
  *delivered = CompletionBytes(completion);
  if (!completion.is_object()) return raw;
  completion["model"] = client_model;
  return Dump(completion);
}

ErrorSpec ChatCompletionsSurface::UpstreamError(Provider provider, int status,
                                                const std::string& body) const {
  return provider == Provider::kAnthropic ? OpenAIErrorFromAnthropic(status, body)
                                          : OpenAIErrorFromOpenAIStyle(status, body);
}

std::unique_ptr<ResellerStreamReader> ChatCompletionsSurface::Stream(
    const json& body, const ResellerTarget& target, const UpstreamCall& call,
    const std::string& client_model, int64_t created) const {
  if (target.provider == Provider::kAnthropic) {
    return std::make_unique<AnthropicAsChatStream>(client_model, created, WantsUsage(body));
  }
  return std::make_unique<OpenAIStyleChatStream>(target.provider, call.injected_usage,
                                                 client_model);
}

}  // namespace llmgw::gateway

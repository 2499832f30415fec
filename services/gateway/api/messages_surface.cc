#include "services/gateway/api/messages_surface.h"

#include <utility>

#include "services/gateway/domain/json_fields.h"
#include "services/gateway/domain/messages_translate.h"

namespace llmgw::gateway {

using json = nlohmann::json;

namespace {

constexpr char kStreamBrokenEvent[] =
    "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\","
    "\"message\":\"The upstream stream ended before completion.\"}}\n\n";

// Bytes of the generated text and tool inputs of an Anthropic message.
int64_t MessageBytes(const json& message) {
  int64_t n = 0;
  if (!message.is_object() || !message.contains("content") || !message["content"].is_array()) {
    return 0;
  }
  for (const auto& b : message["content"]) {
    if (!b.is_object()) continue;
    if (b.contains("text") && b["text"].is_string()) {
      n += static_cast<int64_t>(b["text"].get_ref<const std::string&>().size());
    }
    if (b.contains("input")) n += static_cast<int64_t>(Dump(b["input"]).size());
  }
  return n;
}

// A Chat Completions stream (GPT, Gemini, Grok) as Anthropic's event sequence.
class ChatAsMessagesStream final : public ResellerStreamReader {
 public:
  ChatAsMessagesStream(Provider p, std::string client_model)
      : tracker_(p, false), translator_(std::move(client_model), p == Provider::kXai) {}
  void OnEvent(SseEvent&& e, std::string& out) override {
    tracker_.OnEvent(e);
    for (std::string& f : translator_.OnEvent(e)) out += f;
  }
  void OnEnd(bool, std::string_view, std::string& out) override {
    if (!translator_.done()) out += kStreamBrokenEvent;
  }
  Usage usage() const override { return tracker_.usage(); }
  bool complete() const override { return translator_.done() && !translator_.saw_error(); }
  int64_t delivered_units() const override { return translator_.delivered(); }

 private:
  StreamUsageTracker tracker_;
  ChatToMessagesStream translator_;
};

}  // namespace

ErrorSpec AnthropicErrorFromAnthropic(int status, const std::string& body) {
  json j = json::parse(body, nullptr, false);
  std::string type, message = "upstream error";
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    type = j["error"].value("type", "");
    message = j["error"].value("message", message);
  }
  if (status == 401 || status == 403) {
    return {502, "api_error", "upstream_auth_failed",
            "The gateway could not authenticate with the provider.", "api_error"};
  }
  if (status >= 500 && status != 529) return {502, "api_error", "", message, "api_error"};
  return {status >= 400 ? status : 502, "invalid_request_error", "", message, type};
}

absl::StatusOr<ClientRequest> MessagesSurface::Parse(const json& body) const {
  if (!body.contains("model") || !body["model"].is_string() ||
      body["model"].get_ref<const std::string&>().empty()) {
    return absl::InvalidArgumentError("model: Field required");
  }
  if (!body.contains("max_tokens")) return absl::InvalidArgumentError("max_tokens: Field required");
  if (!body["max_tokens"].is_number_integer() || body["max_tokens"].get<int64_t>() < 1) {
    return absl::InvalidArgumentError("max_tokens: Input should be an integer greater than 0");
  }
  if (!body.contains("messages") || !body["messages"].is_array()) {
    return absl::InvalidArgumentError("messages: Field required");
  }
  auto stream = body.find("stream");
  return ClientRequest{body["model"].get<std::string>(),
                       stream != body.end() && stream->is_boolean() && stream->get<bool>()};
}

CostBound MessagesSurface::Bound(const json& body, size_t body_bytes,
                                 const PricedModel& model) const {
  return BoundChatCost(body, body_bytes, model);  // max_tokens, messages and images alike
}

absl::StatusOr<UpstreamCall> MessagesSurface::Upstream(const json& body,
                                                       const ResellerTarget& target) const {
  UpstreamCall call;
  if (target.provider == Provider::kAnthropic) {
    json out = body;
    out["model"] = target.upstream_model;
    call.path = "/v1/messages";
    call.body = Dump(out);
    return call;
  }
  // OpenAI's reasoning models refuse max_tokens; the OpenAI-compatible others expect it.
  const char* field = target.provider == Provider::kOpenAI ? "max_completion_tokens" : "max_tokens";
  absl::StatusOr<json> translated = MessagesToChatRequest(body, target.upstream_model, field);
  if (!translated.ok()) return translated.status();
  call.path = "/chat/completions";
  call.body = Dump(*translated);
  return call;
}

std::string MessagesSurface::Respond(std::string raw, const ResellerTarget& target,
                                     const std::string& client_model, int64_t,
                                     int64_t* delivered) const {
  json parsed = json::parse(raw, nullptr, false);
  if (target.provider == Provider::kAnthropic) {
    *delivered = MessageBytes(parsed);
    return raw;
  }
  json message = ChatResponseToMessage(parsed, client_model, target.provider == Provider::kXai);
  *delivered = MessageBytes(message);
  return Dump(message);
}

ErrorSpec MessagesSurface::UpstreamError(Provider provider, int status,
                                         const std::string& body) const {
  return provider == Provider::kAnthropic ? AnthropicErrorFromAnthropic(status, body)
                                          : AnthropicErrorFromOpenAIStyle(status, body);
}

std::unique_ptr<ResellerStreamReader> MessagesSurface::Stream(const json&,
                                                              const ResellerTarget& target,
                                                              const UpstreamCall&,
                                                              const std::string& client_model,
                                                              int64_t) const {
  if (target.provider == Provider::kAnthropic) {
    return std::make_unique<NativeStream>(Provider::kAnthropic,
                                          std::vector<std::string_view>{"content_block_delta"},
                                          kStreamBrokenEvent);
  }
  return std::make_unique<ChatAsMessagesStream>(target.provider, client_model);
}

}  // namespace llmgw::gateway

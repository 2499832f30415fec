#include "services/gateway/api/responses_surface.h"

#include <optional>
#include <utility>

#include "services/gateway/api/chat_surface.h"
#include "services/gateway/domain/json_fields.h"
#include "services/gateway/domain/responses_translate.h"
#include "services/gateway/domain/translate.h"

namespace llmgw::gateway {

using json = nlohmann::json;

namespace {

constexpr char kStreamBrokenEvent[] =
    "event: error\ndata: {\"type\":\"error\",\"code\":\"server_error\","
    "\"message\":\"The upstream stream ended before completion.\",\"param\":null}\n\n";

// Bytes of the output text and function-call arguments of a response object.
int64_t ResponseBytes(const json& response) {
  int64_t n = 0;
  if (!response.is_object() || !response.contains("output") || !response["output"].is_array()) {
    return 0;
  }
  for (const auto& item : response["output"]) {
    if (!item.is_object()) continue;
    if (item.contains("arguments") && item["arguments"].is_string()) {
      n += static_cast<int64_t>(item["arguments"].get_ref<const std::string&>().size());
    }
    if (!item.contains("content") || !item["content"].is_array()) continue;
    for (const auto& part : item["content"]) {
      if (part.is_object() && part.contains("text") && part["text"].is_string()) {
        n += static_cast<int64_t>(part["text"].get_ref<const std::string&>().size());
      }
    }
  }
  return n;
}

// Chat chunks (Gemini, Grok; or Claude's events turned into chunks first) as Responses events.
class ChatAsResponsesStream final : public ResellerStreamReader {
 public:
  ChatAsResponsesStream(Provider p, std::string client_model, int64_t created)
      : tracker_(p, false),
        translator_(std::move(client_model), created, p == Provider::kXai),
        anthropic_(p == Provider::kAnthropic) {
    // The chunks' model never reaches the client: the Responses events name client_model.
    if (anthropic_) chunks_.emplace("claude", created, /*include_usage=*/true);
  }
  void OnEvent(SseEvent&& e, std::string& out) override {
    tracker_.OnEvent(e);
    if (!anthropic_) {
      for (std::string& f : translator_.OnEvent(e)) out += f;
      return;
    }
    for (const std::string& frame : chunks_->OnEvent(e)) {
      parser_.Feed(frame, [&](SseEvent&& chunk) {
        for (std::string& f : translator_.OnEvent(chunk)) out += f;
      });
    }
  }
  void OnEnd(bool, std::string_view, std::string& out) override {
    if (!translator_.done()) out += kStreamBrokenEvent;
  }
  Usage usage() const override { return tracker_.usage(); }
  bool complete() const override { return translator_.done() && !translator_.saw_error(); }
  int64_t delivered_units() const override { return translator_.delivered(); }

 private:
  StreamUsageTracker tracker_;
  ChatToResponsesStream translator_;
  bool anthropic_;
  std::optional<AnthropicToOpenAIStream> chunks_;  // Claude: its events as chat chunks first
  SseParser parser_;
};

}  // namespace

absl::StatusOr<ClientRequest> ResponsesSurface::Parse(const json& body) const {
  if (!body.contains("model") || !body["model"].is_string() ||
      body["model"].get_ref<const std::string&>().empty()) {
    return absl::InvalidArgumentError("Missing required parameter: 'model'.");
  }
  if (!body.contains("input") || !(body["input"].is_string() || body["input"].is_array())) {
    return absl::InvalidArgumentError("Missing required parameter: 'input'.");
  }
  if (absl::Status s = CheckStatelessResponsesRequest(body); !s.ok()) return s;
  if (absl::Status limits = CheckOutputTokenLimits(body); !limits.ok()) return limits;
  auto stream = body.find("stream");
  return ClientRequest{body["model"].get<std::string>(),
                       stream != body.end() && stream->is_boolean() && stream->get<bool>()};
}

CostBound ResponsesSurface::Bound(const json& body, size_t body_bytes,
                                  const PricedModel& model) const {
  return BoundChatCost(body, body_bytes, model);  // input items, images, max_output_tokens
}

absl::StatusOr<UpstreamCall> ResponsesSurface::Upstream(const json& body,
                                                        const ResellerTarget& target) const {
  UpstreamCall call;
  if (target.provider == Provider::kOpenAI) {
    json out = body;
    out["model"] = target.upstream_model;
    out["store"] = false;  // stateless: the provider keeps nothing for a later request
    call.path = "/responses";
    call.body = Dump(out);
    return call;
  }
  absl::StatusOr<json> chat = ResponsesToChatRequest(body, target.upstream_model, "max_tokens");
  if (!chat.ok()) return chat.status();
  if (target.provider == Provider::kAnthropic) {
    const int64_t default_max =
        target.price.max_output_tokens > 0 ? target.price.max_output_tokens : 4096;
    absl::StatusOr<json> messages =
        OpenAIToAnthropicRequest(*chat, target.upstream_model, default_max);
    if (!messages.ok()) return messages.status();
    call.path = "/v1/messages";
    call.body = Dump(*messages);
    return call;
  }
  call.path = "/chat/completions";
  call.body = Dump(*chat);
  return call;
}

std::string ResponsesSurface::Respond(std::string raw, const ResellerTarget& target,
                                      const std::string& client_model, int64_t created,
                                      int64_t* delivered) const {
  json parsed = json::parse(raw, nullptr, false);
  json response;
  if (target.provider == Provider::kOpenAI) {
    response = std::move(parsed);
    response["model"] = client_model;
  } else {
    const json completion = target.provider == Provider::kAnthropic
                                ? AnthropicToOpenAIResponse(parsed, client_model, created)
                                : parsed;
    response = ChatResponseToResponse(completion, client_model, created,
                                      target.provider == Provider::kXai);
  }
  *delivered = ResponseBytes(response);
  return Dump(response);
}

ErrorSpec ResponsesSurface::UpstreamError(Provider provider, int status,
                                          const std::string& body) const {
  return provider == Provider::kAnthropic ? OpenAIErrorFromAnthropic(status, body)
                                          : OpenAIErrorFromOpenAIStyle(status, body);
}

std::unique_ptr<ResellerStreamReader> ResponsesSurface::Stream(const json&,
                                                               const ResellerTarget& target,
                                                               const UpstreamCall&,
                                                               const std::string& client_model,
                                                               int64_t created) const {
  if (target.provider == Provider::kOpenAI) {
    return std::make_unique<NativeStream>(
        Provider::kOpenAI,
        std::vector<std::string_view>{"response.output_text.delta",
                                      "response.function_call_arguments.delta"},
        kStreamBrokenEvent);
  }
  return std::make_unique<ChatAsResponsesStream>(target.provider, client_model, created);
}

}  // namespace llmgw::gateway

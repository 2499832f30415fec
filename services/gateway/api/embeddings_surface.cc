#include "services/gateway/api/embeddings_surface.h"

#include "services/gateway/api/chat_surface.h"

namespace llmgw::gateway {

using json = nlohmann::json;

absl::StatusOr<ClientRequest> EmbeddingsSurface::Parse(const json& body) const {
  if (!body.contains("model") || !body["model"].is_string() ||
      body["model"].get_ref<const std::string&>().empty()) {
    return absl::InvalidArgumentError("You must provide a model parameter.");
  }
  if (!body.contains("input") || !(body["input"].is_string() || body["input"].is_array()) ||
      (body["input"].is_array() && body["input"].empty())) {
    return absl::InvalidArgumentError("'input' is a required property: a string or an array.");
  }
  return ClientRequest{body["model"].get<std::string>(), false};
}

CostBound EmbeddingsSurface::Bound(const json&, size_t body_bytes, const PricedModel& model) const {
  // Every input token takes at least one byte of the body (a token id at least one digit); no
  // output is billed.
  CostBound b;
  b.input_tokens = static_cast<int64_t>(body_bytes);
  b.provider_cost = BoundRequestCost(b.input_tokens, 0, model.price, model.tier);
  return b;
}

absl::StatusOr<UpstreamCall> EmbeddingsSurface::Upstream(const json& body,
                                                         const ResellerTarget& target) const {
  json out = body;
  out["model"] = target.upstream_model;
  return UpstreamCall{"/embeddings", out.dump(-1, ' ', false, json::error_handler_t::replace),
                      false};
}

std::string EmbeddingsSurface::Respond(std::string raw, const ResellerTarget&, const std::string&,
                                       int64_t, int64_t* delivered) const {
  *delivered = 0;
  return raw;  // the vectors as the provider sent them (base64 or floats, as asked)
}

ErrorSpec EmbeddingsSurface::UpstreamError(Provider, int status, const std::string& body) const {
  return OpenAIErrorFromOpenAIStyle(status, body);
}

std::unique_ptr<ResellerStreamReader> EmbeddingsSurface::Stream(const json&,
                                                                const ResellerTarget& target,
                                                                const UpstreamCall&,
                                                                const std::string&, int64_t) const {
  // Embeddings never stream: a provider that did anyway is relayed as it came, usage read.
  return std::make_unique<NativeStream>(target.provider, std::vector<std::string_view>{}, "");
}

}  // namespace llmgw::gateway

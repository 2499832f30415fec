#pragma once
// The reseller's OpenAI Chat Completions surface (POST /api/v1/chat/completions): OpenAI, Gemini
// and xAI models forwarded natively (OpenAI-compatible), Claude models translated to Anthropic
// Messages and back (domain/translate).

#include "services/gateway/api/reseller_surface.h"

namespace llmgw::gateway {

class ChatCompletionsSurface final : public ResellerSurface {
 public:
  Surface error_surface() const override { return Surface::kOpenAI; }
  std::string_view endpoint() const override { return "/chat/completions"; }
  absl::StatusOr<ClientRequest> Parse(const nlohmann::json& body) const override;
  CostBound Bound(const nlohmann::json& body, size_t body_bytes,
                  const PricedModel& model) const override;
  absl::StatusOr<UpstreamCall> Upstream(const nlohmann::json& body,
                                        const ResellerTarget& target) const override;
  std::string Respond(std::string raw, const ResellerTarget& target,
                      const std::string& client_model, int64_t created,
                      int64_t* delivered) const override;
  ErrorSpec UpstreamError(Provider provider, int status, const std::string& body) const override;
  std::unique_ptr<ResellerStreamReader> Stream(const nlohmann::json& body,
                                               const ResellerTarget& target,
                                               const UpstreamCall& call,
                                               const std::string& client_model,
                                               int64_t created) const override;
};

// An OpenAI-compatible provider's error (OpenAI, Gemini's OpenAI endpoint, xAI) as an OpenAI
// client sees it. Failures of the operator's key or account are the gateway's problem: 502.
ErrorSpec OpenAIErrorFromOpenAIStyle(int status, const std::string& body);

}  // namespace llmgw::gateway

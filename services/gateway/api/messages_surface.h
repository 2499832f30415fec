#pragma once
// The reseller's Anthropic Messages surface (POST /api/v1/messages: the Anthropic SDK and Claude
// Code with baseURL http://HOST:8080/api and an llm_sk_ key): Claude models forwarded natively,
// GPT, Gemini and Grok models translated to Chat Completions and back (domain/messages_translate),
// errors in Anthropic's shape.

#include "services/gateway/api/reseller_surface.h"

namespace llmgw::gateway {

class MessagesSurface final : public ResellerSurface {
 public:
  Surface error_surface() const override { return Surface::kAnthropic; }
  std::string_view endpoint() const override { return "/v1/messages"; }
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

// An Anthropic error as an Anthropic client sees it through the gateway: as it came, except the
// operator's own key failing (401/403), which is the gateway's problem: 502.
ErrorSpec AnthropicErrorFromAnthropic(int status, const std::string& body);

}  // namespace llmgw::gateway

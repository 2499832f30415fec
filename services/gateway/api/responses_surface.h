#pragma once
// The reseller's OpenAI Responses surface (POST /api/v1/responses: the OpenAI SDK's
// responses.create, the Vercel AI SDK's default openai(model)): OpenAI models forwarded natively
// (store: false), the others translated to Chat Completions (and on to Anthropic Messages for
// Claude) and back (domain/responses_translate). Stateless only.

#include "services/gateway/api/reseller_surface.h"

namespace llmgw::gateway {

class ResponsesSurface final : public ResellerSurface {
 public:
  Surface error_surface() const override { return Surface::kOpenAI; }
  std::string_view endpoint() const override { return "/responses"; }
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

}  // namespace llmgw::gateway

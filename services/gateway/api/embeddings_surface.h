#pragma once
// The reseller's OpenAI Embeddings surface (POST /api/v1/embeddings, the OpenAI SDK's
// embeddings.create) for the providers that have embedding models priced (OpenAI, Gemini's
// OpenAI-compatible endpoint): forwarded as they are, billed for their input tokens.

#include "services/gateway/api/reseller_surface.h"

namespace llmgw::gateway {

class EmbeddingsSurface final : public ResellerSurface {
 public:
  Surface error_surface() const override { return Surface::kOpenAI; }
  std::string_view endpoint() const override { return "/embeddings"; }
  std::string_view model_kind() const override { return "embedding"; }
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

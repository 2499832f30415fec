#include "services/gateway/domain/provider.h"

namespace llmgw::gateway {

std::string_view ProviderName(Provider p) {
  switch (p) {
    case Provider::kOpenAI:
      return "openai";
    case Provider::kAnthropic:
      return "anthropic";
    case Provider::kGoogle:
      return "google";
    case Provider::kXai:
      return "xai";
  }
  return "unknown";
}

std::optional<Provider> ProviderFromName(std::string_view name) {
  if (name == "openai") return Provider::kOpenAI;
  if (name == "anthropic") return Provider::kAnthropic;
  if (name == "google") return Provider::kGoogle;
  if (name == "xai") return Provider::kXai;
  return std::nullopt;
}

}  // namespace llmgw::gateway

#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace llmgw::gateway {

enum class Provider { kOpenAI, kAnthropic, kGoogle, kXai };

// "openai", "anthropic", "google", "xai" — the label used in events, metrics and the price book.
std::string_view ProviderName(Provider p);
std::optional<Provider> ProviderFromName(std::string_view name);

// Which error shape and request-id header a client expects.
enum class Surface { kOpenAI, kAnthropic };
inline Surface SurfaceOf(Provider p) {
  return p == Provider::kAnthropic ? Surface::kAnthropic : Surface::kOpenAI;
}

}  // namespace llmgw::gateway

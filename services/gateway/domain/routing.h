#pragma once
// Where a gateway request goes. Pure: no I/O.

#include <optional>
#include <string>
#include <string_view>

#include "services/gateway/domain/provider.h"

namespace llmgw::gateway {

enum class RouteKind {
  kPassthrough,          // /api/v1/{openai,anthropic,google,xai}/...
  kResellerChat,         // POST /api/v1/chat/completions
  kResellerModels,       // GET /api/v1/models
  kResellerMessages,     // POST /api/v1/messages (Anthropic SDK with baseURL …/api)
  kResellerCountTokens,  // POST /api/v1/messages/count_tokens
  kResellerResponses,    // POST /api/v1/responses (OpenAI SDK's responses.create)
  kResellerEmbeddings,   // POST /api/v1/embeddings
  kHealth,               // /healthz
  kReady,                // /readyz
  kNotFound,
};

struct Route {
  RouteKind kind = RouteKind::kNotFound;
  Provider provider = Provider::kOpenAI;  // pass-through only
  // Pass-through: the path (and query) to append to the provider's base URL, always starting
  // with '/'. OpenAI/Google/xAI: the rest after the prefix ("/chat/completions?x=1").
  // Anthropic: "/v1/messages" for both /api/v1/anthropic/messages and
  // /api/v1/anthropic/v1/messages (likewise /v1/messages/count_tokens, /v1/models, …).
  std::string upstream_path;
  // The endpoint label for events and metrics, without query: "/chat/completions", "/v1/messages".
  // Gemini's native API: the method without the model, "/v1beta/models:generateContent".
  std::string endpoint;
  // Gemini's native API (/api/v1/google/v1beta/models/… and /v1/models/…): sent to the native
  // base URL, not the OpenAI-compatible one; the model comes from the path.
  bool google_native = false;
  std::string model;
};

// `target` is the request-target as received ("/api/v1/openai/chat/completions?x=1").
// Rejects paths with "..", "//" segments or percent-encoded slashes as kNotFound.
Route RouteRequest(std::string_view method, std::string_view target);

}  // namespace llmgw::gateway

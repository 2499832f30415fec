#pragma once
// The mock's Gemini native API (what @google/genai speaks), under /google:
//   POST /google/v1beta/models/{model}:generateContent        (and /google/v1/models/…)
//   POST /google/v1beta/models/{model}:streamGenerateContent  (?alt=sse: "data: {…}\r\n\r\n"
//        events; without it one JSON array of the same chunks)
//   POST /google/v1beta/models/{model}:countTokens            → {"totalTokens": prompt}
// Key: x-goog-api-key or ?key= (neither: 403 PERMISSION_DENIED); errors
// {"error":{"code","message","status"}}.
// Tokens: prompt = sum over contents of (4 + words of its text parts) + words of
// systemInstruction's text parts; output K = x-mock-output-tokens (default 12) capped by
// generationConfig.maxOutputTokens (then finishReason MAX_TOKENS, else STOP), text "mock0 mock1 …";
// usageMetadata {promptTokenCount, candidatesTokenCount, totalTokenCount} plus
// cachedContentTokenCount = min(prompt, x-mock-cached-tokens) and thoughtsTokenCount =
// x-mock-thoughts-tokens when given (thoughts count in the total, not in candidates). Streams:
// --chunks / x-mock-chunks chunks, usageMetadata on every chunk with the candidates so far
// (cumulative), finishReason on the last.

#include <optional>
#include <string_view>

#include "tools/mock-provider/providers.h"

namespace llmgw::mock {

// The response for a Gemini native path, or nullopt when `path` is not one.
std::optional<MockResponse> HandleGeminiNative(const MockRequest& request, std::string_view path,
                                               const Options& options, const Context& context);

}  // namespace llmgw::mock

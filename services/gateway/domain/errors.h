#pragma once
// Error bodies in the shape each surface's SDK parses (WIRE.md).

#include <string>
#include <string_view>

#include "services/gateway/domain/provider.h"

namespace llmgw::gateway {

struct ErrorSpec {
  int http_status;
  // OpenAI: error.type and error.code (code may be empty → null); Anthropic: error.type is
  // derived from the status (400 invalid_request_error, 401 authentication_error,
  // 403 permission_error, 404 not_found_error, 413 request_too_large, 429 rate_limit_error,
  // 500 api_error, 503/529 overloaded_error), except that `anthropic_type` overrides it.
  std::string openai_type;
  std::string openai_code;
  std::string message;
  std::string anthropic_type;
};

// {"error":{"message","type","param":null,"code"}}
std::string OpenAIErrorBody(const ErrorSpec& e);
// {"type":"error","error":{"type","message"}}
std::string AnthropicErrorBody(const ErrorSpec& e);
std::string ErrorBody(Surface s, const ErrorSpec& e);

// The errors the gateway itself produces.
ErrorSpec MissingMonitorToken();                 // 401 invalid_api_key / authentication_error
ErrorSpec InvalidMonitorToken();                 // 401
ErrorSpec InvalidApiKey();                       // 401 invalid_api_key
ErrorSpec RouteNotFound(std::string_view path);  // 404
ErrorSpec BodyTooLarge(size_t limit_bytes);      // 413
ErrorSpec BadRequest(std::string_view why);      // 400 invalid_request_error
ErrorSpec DependencyUnavailable(std::string_view what);    // 503 (+ Retry-After by the caller)
ErrorSpec UpstreamUnavailable(std::string_view provider);  // 502 bad gateway
ErrorSpec UpstreamTimeout(std::string_view provider);      // 504
ErrorSpec ModelNotFound(std::string_view model);           // 404 model_not_found
ErrorSpec InsufficientQuota();                             // 429 insufficient_quota (type and code)
// 429 rate_limit_exceeded (OpenAI: type requests|tokens) / rate_limit_error (Anthropic); `what`
// names the limit ("requests per minute of this key").
ErrorSpec RateLimited(std::string_view what);
// 429 budget_exceeded: a spend budget is used up (not retryable: x-should-retry: false).
ErrorSpec BudgetExceeded(std::string_view what);

}  // namespace llmgw::gateway

// ordered_json keeps the documented key order; dump never throws (invalid UTF-8 is replaced).
#include "services/gateway/domain/errors.h"

#include <nlohmann/json.hpp>

namespace llmgw::gateway {
namespace {

using OrderedJson = nlohmann::ordered_json;

std::string Dump(const OrderedJson& j) {
  return j.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

std::string AnthropicTypeFor(int status) {
  switch (status) {
    case 400:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 503:
    case 529:
      return "overloaded_error";
    default:
      return status >= 500 ? "api_error" : "invalid_request_error";
  }
}

ErrorSpec Make(int status, std::string type, std::string code, std::string message,
               std::string anthropic_type = "") {
  return ErrorSpec{status, std::move(type), std::move(code), std::move(message),
                   std::move(anthropic_type)};
}

}  // namespace

std::string OpenAIErrorBody(const ErrorSpec& e) {
  OrderedJson err = OrderedJson::object();
  err["message"] = e.message;
  err["type"] = e.openai_type;
  err["param"] = nullptr;
  if (e.openai_code.empty()) {
    err["code"] = nullptr;
  } else {
    err["code"] = e.openai_code;
  }
  OrderedJson body = OrderedJson::object();
  body["error"] = std::move(err);
  return Dump(body);
}

std::string AnthropicErrorBody(const ErrorSpec& e) {
  OrderedJson err = OrderedJson::object();
  err["type"] = e.anthropic_type.empty() ? AnthropicTypeFor(e.http_status) : e.anthropic_type;
  err["message"] = e.message;
  OrderedJson body = OrderedJson::object();
  body["type"] = "error";
  body["error"] = std::move(err);
  return Dump(body);
}

std::string ErrorBody(Surface s, const ErrorSpec& e) {
  return s == Surface::kAnthropic ? AnthropicErrorBody(e) : OpenAIErrorBody(e);
}

// Messages never echo a credential, only say which one is wrong.
ErrorSpec MissingMonitorToken() {
  return Make(
      401, "invalid_request_error", "invalid_api_key",
      "Missing monitor token: send your llmgw monitor token in the X-Monitor-Token header.");
}

ErrorSpec InvalidMonitorToken() {
  return Make(401, "invalid_request_error", "invalid_api_key",
              "Invalid monitor token provided in the X-Monitor-Token header.");
}

ErrorSpec InvalidApiKey() {
  return Make(401, "invalid_request_error", "invalid_api_key",
              "Incorrect API key provided: send a valid llmgw key as Authorization: Bearer "
              "llm_sk_...");
}

ErrorSpec RouteNotFound(std::string_view path) {
  // Only the path: a query string may carry something the client should not see echoed.
  std::string_view shown = path.substr(0, path.find('?'));
  if (shown.size() > 256) shown = shown.substr(0, 256);
  return Make(404, "invalid_request_error", "unknown_url",
              "Unknown request URL: " + std::string(shown) + ". Please check the URL and method.");
}

ErrorSpec BodyTooLarge(size_t limit_bytes) {
  return Make(
      413, "invalid_request_error", "request_too_large",
      "Request body is larger than the limit of " + std::to_string(limit_bytes) + " bytes.");
}

ErrorSpec BadRequest(std::string_view why) {
  return Make(400, "invalid_request_error", "", std::string(why));
}

ErrorSpec DependencyUnavailable(std::string_view what) {
  // Our own dependency is down, not the provider overloaded: api_error on both surfaces.
  return Make(
      503, "api_error", "service_unavailable",
      "The service is temporarily unavailable (" + std::string(what) + "). Please retry later.",
      "api_error");
}

ErrorSpec UpstreamUnavailable(std::string_view provider) {
  return Make(502, "api_error", "upstream_unavailable",
              "The upstream provider " + std::string(provider) + " could not be reached.");
}

ErrorSpec UpstreamTimeout(std::string_view provider) {
  return Make(504, "api_error", "upstream_timeout",
              "The upstream provider " + std::string(provider) + " did not answer in time.");
}

ErrorSpec ModelNotFound(std::string_view model) {
  return Make(
      404, "invalid_request_error", "model_not_found",
      "The model `" + std::string(model) + "` does not exist or you do not have access to it.");
}

ErrorSpec InsufficientQuota() {
  return Make(429, "insufficient_quota", "insufficient_quota",
              "You exceeded your current quota: your balance is too low for this request. "
              "Please top up your balance.");
}

ErrorSpec RateLimited(std::string_view what) {
  ErrorSpec e = Make(429, "requests", "rate_limit_exceeded",
                     "Rate limit reached: " + std::string(what) + ". Please retry after the time in "
                     "the retry-after header.");
  e.anthropic_type = "rate_limit_error";
  return e;
}

ErrorSpec BudgetExceeded(std::string_view what) {
  ErrorSpec e = Make(429, "insufficient_quota", "budget_exceeded",
                     "Budget exceeded: " + std::string(what) +
                         ". Requests are refused until the budget's period ends or it is raised.");
  e.anthropic_type = "rate_limit_error";
  return e;
}

}  // namespace llmgw::gateway

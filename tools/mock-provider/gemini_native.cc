#include "tools/mock-provider/gemini_native.h"

#include <algorithm>
#include <charconv>
#include <string>

#include "nlohmann/json.hpp"
#include "tools/mock-provider/token_count.h"

namespace llmgw::mock {
namespace {

using json = nlohmann::json;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

int64_t IntHeader(const MockRequest& r, std::string_view name, int64_t fallback) {
  std::string_view v = r.Header(name);
  int64_t out = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return v.empty() || ec != std::errc() || ptr != v.data() + v.size() ? fallback : out;
}

bool QueryHas(std::string_view target, std::string_view param) {
  const size_t q = target.find('?');
  if (q == std::string_view::npos) return false;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    if (query.substr(0, amp).substr(0, param.size()) == param) return true;
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

MockResponse Error(const Context& context, int status, const char* code_status,
                   const std::string& message) {
  MockResponse r;
  r.status = status;
  r.headers.emplace_back("x-request-id", "req_mock_" + std::to_string(context.request_number));
  r.body = Dump({{"error", {{"code", status}, {"message", message}, {"status", code_status}}}});
  return r;
}

int64_t PartsWords(const json& content) {
  int64_t n = 0;
  if (!content.is_object() || !content.contains("parts") || !content["parts"].is_array()) return 0;
  for (const auto& p : content["parts"]) {
    if (p.is_object() && p.contains("text") && p["text"].is_string()) {
      n += CountWords(p["text"].get<std::string>());
    }
  }
  return n;
}

int64_t PromptTokens(const json& body) {
  int64_t n = 0;
  for (const auto& c : body["contents"]) n += 4 + PartsWords(c);
  if (body.contains("systemInstruction")) n += PartsWords(body["systemInstruction"]);
  return n;
}

json Usage(int64_t prompt, int64_t candidates, int64_t cached, int64_t thoughts) {
  json u = {{"promptTokenCount", prompt},
            {"candidatesTokenCount", candidates},
            {"totalTokenCount", prompt + candidates + thoughts},
            {"promptTokensDetails", json::array({{{"modality", "TEXT"}, {"tokenCount", prompt}}})}};
  if (cached > 0) u["cachedContentTokenCount"] = cached;
  if (thoughts > 0) u["thoughtsTokenCount"] = thoughts;
  return u;
}

json Chunk(const std::string& model, const std::string& id, const std::string& text,
           const char* finish, const json& usage) {
  json candidate = {{"content", {{"role", "model"}, {"parts", json::array({{{"text", text}}})}}},
                    {"index", 0}};
  if (finish != nullptr) candidate["finishReason"] = finish;
  return {{"candidates", json::array({std::move(candidate)})},
          {"usageMetadata", usage},
          {"modelVersion", model},
          {"responseId", id}};
}

}  // namespace

std::optional<MockResponse> HandleGeminiNative(const MockRequest& request, std::string_view path,
                                               const Options& options, const Context& context) {
  std::string_view rest;
  for (std::string_view prefix : {"/google/v1beta/models/", "/google/v1/models/"}) {
    if (path.substr(0, prefix.size()) == prefix) rest = path.substr(prefix.size());
  }
  const size_t colon = rest.find(':');
  if (rest.empty() || colon == std::string_view::npos || request.method != "POST") {
    return std::nullopt;
  }
  const std::string model(rest.substr(0, colon));
  const std::string_view method = rest.substr(colon + 1);
  if (request.Header("x-goog-api-key").empty() && !QueryHas(request.target, "key=")) {
    return Error(context, 403, "PERMISSION_DENIED",
                 "Method doesn't allow unregistered callers (callers without established "
                 "identity). Please use API Key or other form of API consumer identity to call "
                 "this API.");
  }
  json body = json::parse(request.body, nullptr, false);
  if (!body.is_object() || !body.contains("contents") || !body["contents"].is_array()) {
    return Error(context, 400, "INVALID_ARGUMENT", "* contents: contents is not specified");
  }
  const int64_t prompt = PromptTokens(body);
  MockResponse r;
  r.headers.emplace_back("x-request-id", "req_mock_" + std::to_string(context.request_number));
  r.latency_ms = static_cast<int>(
      std::max<int64_t>(0, IntHeader(request, "x-mock-latency-ms", options.latency_ms)));
  if (method == "countTokens") {
    r.body = Dump({{"totalTokens", prompt}});
    return r;
  }
  if (method != "generateContent" && method != "streamGenerateContent") {
    return Error(context, 404, "NOT_FOUND", "Method not found.");
  }
  int64_t k = std::max<int64_t>(0, IntHeader(request, "x-mock-output-tokens", 12));
  const char* finish = "STOP";
  const json config = body.contains("generationConfig") ? body["generationConfig"] : json();
  if (config.is_object() && config.contains("maxOutputTokens") &&
      config["maxOutputTokens"].is_number_integer() &&
      config["maxOutputTokens"].get<int64_t>() < k) {
    k = std::max<int64_t>(0, config["maxOutputTokens"].get<int64_t>());
    finish = "MAX_TOKENS";
  }
  const int64_t cached =
      std::clamp<int64_t>(IntHeader(request, "x-mock-cached-tokens", 0), 0, prompt);
  const int64_t thoughts = std::max<int64_t>(0, IntHeader(request, "x-mock-thoughts-tokens", 0));
  std::vector<std::string> pieces;
  for (int64_t i = 0; i < k; ++i) pieces.push_back((i == 0 ? "mock" : " mock") + std::to_string(i));
  const std::string id = "resp_mock_" + std::to_string(context.request_number);
  if (method == "generateContent") {
    std::string text;
    for (const auto& p : pieces) text += p;
    r.body = Dump(Chunk(model, id, text, finish, Usage(prompt, k, cached, thoughts)));
    return r;
  }
  const int n = static_cast<int>(
      std::clamp<int64_t>(IntHeader(request, "x-mock-chunks", options.chunks), 1, 10000));
  const int delay = static_cast<int>(
      std::max<int64_t>(0, IntHeader(request, "x-mock-chunk-delay-ms", options.chunk_delay_ms)));
  json chunks = json::array();
  size_t done = 0;
  for (int i = 0; i < n; ++i) {
    const size_t end = (i + 1) * pieces.size() / n;
    std::string text;
    for (; done < end; ++done) text += pieces[done];
    chunks.push_back(Chunk(model, id, text, i + 1 == n ? finish : nullptr,
                           Usage(prompt, static_cast<int64_t>(done), cached, thoughts)));
  }
  if (!QueryHas(request.target, "alt=sse")) {
    r.body = Dump(chunks);
    return r;
  }
  r.streaming = true;
  r.content_type = "text/event-stream";
  for (size_t i = 0; i < chunks.size(); ++i) {
    r.frames.push_back({i == 0 ? 0 : delay, "data: " + Dump(chunks[i]) + "\r\n\r\n"});
  }
  return r;
}

}  // namespace llmgw::mock

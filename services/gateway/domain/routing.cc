// Paths are matched as received (no normalization): anything a normalizer could read two ways
// ("..", ".", "//", encoded '/', '\\' or NUL) is refused instead.
#include "services/gateway/domain/routing.h"

#include <array>

#include "libs/common/hex.h"

namespace llmgw::gateway {
namespace {

// One path segment is acceptable: not empty, not "." or ".." (in any percent-encoding), no
// control byte, no '\\', and no percent-encoded '/', '\\' or control byte.
bool SegmentOk(std::string_view seg) {
  if (seg.empty()) return false;
  std::string decoded;
  decoded.reserve(seg.size());
  for (size_t i = 0; i < seg.size(); ++i) {
    char c = seg[i];
    if (c == '%' && i + 2 < seg.size()) {
      int hi = hex::DigitValue(seg[i + 1]);
      int lo = hex::DigitValue(seg[i + 2]);
      if (hi >= 0 && lo >= 0) {
        c = static_cast<char>(hi * 16 + lo);
        i += 2;
        if (c == '/') return false;
      }
    }
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '\\') return false;
    decoded.push_back(c);
  }
  return decoded != "." && decoded != "..";
}

// Every segment of `path` (which starts with '/') is acceptable; a single trailing '/' is allowed.
bool PathOk(std::string_view path) {
  if (path.empty() || path[0] != '/') return false;
  std::string_view rest = path.substr(1);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.empty()) return true;
  while (true) {
    size_t slash = rest.find('/');
    if (!SegmentOk(rest.substr(0, slash))) return false;
    if (slash == std::string_view::npos) return true;
    rest.remove_prefix(slash + 1);
  }
}

struct Prefix {
  std::string_view path;
  Provider provider;
};
constexpr std::array<Prefix, 4> kPrefixes = {{
    {"/api/v1/openai/", Provider::kOpenAI},
    {"/api/v1/anthropic/", Provider::kAnthropic},
    {"/api/v1/google/", Provider::kGoogle},
    {"/api/v1/xai/", Provider::kXai},
}};

// Gemini's native API: "v1beta/models/gemini-2.5-flash:generateContent" (or v1/): the model and the
// method apart, so the endpoint label does not carry the model.
void SplitGeminiNative(std::string_view rest, Route& route) {
  for (std::string_view version : {"v1beta/models/", "v1/models/"}) {
    if (rest.substr(0, version.size()) != version) continue;
    std::string_view name = rest.substr(version.size());
    const size_t colon = name.find(':');
    if (name.empty() || name.find('/') != std::string_view::npos) return;
    route.google_native = true;
    route.model = std::string(name.substr(0, colon));
    route.endpoint = "/" + std::string(version.substr(0, version.size() - 1));
    if (colon != std::string_view::npos) route.endpoint += std::string(name.substr(colon));
    return;
  }
}

}  // namespace

Route RouteRequest(std::string_view method, std::string_view target) {
  Route route;
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q);
  if (!PathOk(path)) return route;

  if (path == "/healthz" || path == "/readyz") {
    if (method == "GET" || method == "HEAD") {
      route.kind = path == "/healthz" ? RouteKind::kHealth : RouteKind::kReady;
    }
    return route;
  }
  if (path == "/api/v1/chat/completions") {
    if (method == "POST") route.kind = RouteKind::kResellerChat;
    return route;
  }
  if (path == "/api/v1/responses" || path == "/api/v1/embeddings") {
    if (method == "POST") {
      route.kind = path == "/api/v1/responses" ? RouteKind::kResellerResponses
                                               : RouteKind::kResellerEmbeddings;
    }
    return route;
  }
  if (path == "/api/v1/models") {
    if (method == "GET") route.kind = RouteKind::kResellerModels;
    return route;
  }
  if (path == "/api/v1/messages" || path == "/api/v1/messages/count_tokens") {
    if (method == "POST") {
      route.kind = path.size() == std::string_view("/api/v1/messages").size()
                       ? RouteKind::kResellerMessages
                       : RouteKind::kResellerCountTokens;
    }
    return route;
  }

  for (const Prefix& prefix : kPrefixes) {
    if (path.substr(0, prefix.path.size()) != prefix.path) continue;
    std::string_view rest = path.substr(prefix.path.size());  // no leading '/'
    std::string endpoint;
    if (prefix.provider == Provider::kAnthropic) {
      // The Anthropic SDK appends "/v1/messages"; curl users write "/messages". Both → /v1/...
      if (rest.substr(0, 3) == "v1/") rest.remove_prefix(3);
      if (rest.empty() || rest == "v1") return route;
      endpoint.reserve(rest.size() + 4);
      endpoint.append("/v1/").append(rest);
    } else {
      if (rest.empty()) return route;
      endpoint.reserve(rest.size() + 1);
      endpoint.append("/").append(rest);
    }
    if (prefix.provider == Provider::kGoogle) SplitGeminiNative(rest, route);
    route.kind = RouteKind::kPassthrough;
    route.provider = prefix.provider;
    route.upstream_path.reserve(endpoint.size() + query.size());
    route.upstream_path.append(endpoint).append(query);
    if (!route.google_native) route.endpoint = std::move(endpoint);
    return route;
  }
  return route;
}

}  // namespace llmgw::gateway

#include "services/dashboard/domain/request_guard.h"

#include "absl/strings/ascii.h"

namespace llmgw::dashboard {
namespace {

// Debian's Abseil has its own string_view: compare in std terms.
bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (absl::ascii_tolower(static_cast<unsigned char>(a[i])) !=
        absl::ascii_tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

std::string MediaType(std::string_view content_type) {
  std::string type(content_type.substr(0, content_type.find(';')));
  absl::StripAsciiWhitespace(&type);
  return absl::AsciiStrToLower(type);
}

// Origin's host[:port] after its scheme, when the scheme is http or https.
std::string_view OriginAuthority(std::string_view origin) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (StartsWithIgnoreCase(origin, scheme)) return origin.substr(scheme.size());
  }
  return {};
}

bool SameOrigin(std::string_view origin, std::string_view host, std::string_view own_origin) {
  if (!own_origin.empty()) {
    std::string_view own = own_origin;
    while (!own.empty() && own.back() == '/') own.remove_suffix(1);
    return EqualsIgnoreCase(origin, own);
  }
  std::string_view authority = OriginAuthority(origin);
  return !authority.empty() && !host.empty() && EqualsIgnoreCase(authority, host);
}

}  // namespace

bool IsStateChangingMethod(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

bool IsJsonContentType(std::string_view content_type) {
  return MediaType(content_type) == "application/json";
}

GuardVerdict CheckStateChangingRequest(const GuardedRequest& req, std::string_view own_origin) {
  if (!IsStateChangingMethod(req.method)) return {};
  std::string site = absl::AsciiStrToLower(std::string(req.sec_fetch_site));
  if (site == "cross-site" || site == "same-site") {
    return {403, "cross-site request refused (Sec-Fetch-Site)"};
  }
  if (!req.origin.empty() && !SameOrigin(req.origin, req.host, own_origin)) {
    return {403, "cross-origin request refused: Origin is not this dashboard"};
  }
  if (req.accepts_csv) return {};
  if (!req.content_type.empty() && !IsJsonContentType(req.content_type)) {
    return {415, "the body must be application/json"};
  }
  if (req.content_type.empty() && req.body_size > 0) {
    return {415, "the body must be application/json (Content-Type is missing)"};
  }
  return {};
}

}  // namespace llmgw::dashboard

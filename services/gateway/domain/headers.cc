// Names are compared ASCII-case-insensitively without allocating; Connection tokens are the only
// thing collected (usually none).
#include "services/gateway/domain/headers.h"

#include <array>

namespace llmgw::gateway {
namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// `lower` must already be lower case.
bool EqualsLower(std::string_view name, std::string_view lower) {
  if (name.size() != lower.size()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (Lower(name[i]) != lower[i]) return false;
  }
  return true;
}

bool StartsWithLower(std::string_view name, std::string_view lower_prefix) {
  return name.size() >= lower_prefix.size() &&
         EqualsLower(name.substr(0, lower_prefix.size()), lower_prefix);
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

constexpr std::array<std::string_view, 8> kHopByHop = {
    "connection", "keep-alive",        "te",      "trailer",
    "trailers",   "transfer-encoding", "upgrade", "proxy-connection"};

bool IsHopByHop(std::string_view name) {
  for (std::string_view h : kHopByHop) {
    if (EqualsLower(name, h)) return true;
  }
  return StartsWithLower(name, "proxy-");
}

// The lower-cased tokens of every Connection header value.
std::vector<std::string> ConnectionTokens(const HeaderList& in) {
  std::vector<std::string> tokens;
  for (const auto& [name, value] : in) {
    if (!EqualsLower(name, "connection")) continue;
    std::string_view rest = value;
    while (true) {
      size_t comma = rest.find(',');
      std::string_view token = TrimOws(rest.substr(0, comma));
      if (!token.empty()) {
        std::string lower(token);
        for (char& c : lower) c = Lower(c);
        tokens.push_back(std::move(lower));
      }
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return tokens;
}

bool NamedByConnection(std::string_view name, const std::vector<std::string>& tokens) {
  for (const std::string& t : tokens) {
    if (EqualsLower(name, t)) return true;
  }
  return false;
}

// The gateway's own namespace never crosses in either direction.
bool IsGatewayOwn(std::string_view name) {
  return EqualsLower(name, "x-monitor-token") || StartsWithLower(name, "x-llmgw-");
}

}  // namespace

HeaderList FilterRequestHeaders(const HeaderList& in) {
  std::vector<std::string> tokens = ConnectionTokens(in);
  HeaderList out;
  out.reserve(in.size());
  for (const auto& header : in) {
    std::string_view name = header.first;
    if (IsHopByHop(name) || IsGatewayOwn(name) || EqualsLower(name, "host") ||
        EqualsLower(name, "content-length") || NamedByConnection(name, tokens)) {
      continue;
    }
    out.push_back(header);
  }
  return out;
}

HeaderList FilterResponseHeaders(const HeaderList& in) {
  std::vector<std::string> tokens = ConnectionTokens(in);
  HeaderList out;
  out.reserve(in.size());
  for (const auto& header : in) {
    std::string_view name = header.first;
    if (IsHopByHop(name) || IsGatewayOwn(name) || EqualsLower(name, "content-length") ||
        NamedByConnection(name, tokens)) {
      continue;
    }
    out.push_back(header);
  }
  return out;
}

}  // namespace llmgw::gateway

#include "services/dashboard/api/http_exchange.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "libs/common/hex.h"

namespace llmgw::dashboard {
namespace {

// %XX decoded (a malformed escape stays as it is); '+' is a space in a query.
std::string Decode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%' && i + 2 < in.size()) {
      int hi = hex::DigitValue(in[i + 1]);
      int lo = hex::DigitValue(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

template <typename Map>
std::string First(const Map& map, std::string_view name) {
  auto it = map.find(std::string(name));
  return it == map.end() ? std::string() : it->second;
}

}  // namespace

bool CaseInsensitiveLess::operator()(const std::string& a, const std::string& b) const {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const char x = absl::ascii_tolower(static_cast<unsigned char>(a[i]));
    const char y = absl::ascii_tolower(static_cast<unsigned char>(b[i]));
    if (x != y) return x < y;
  }
  return a.size() < b.size();
}

bool Request::has_header(std::string_view name) const {
  return headers.find(std::string(name)) != headers.end();
}
std::string Request::get_header_value(std::string_view name) const { return First(headers, name); }
bool Request::has_param(std::string_view name) const {
  return params.find(std::string(name)) != params.end();
}
std::string Request::get_param_value(std::string_view name) const { return First(params, name); }

void Response::set_header(std::string_view name, std::string_view value) {
  headers.emplace(std::string(name), std::string(value));
}
bool Response::has_header(std::string_view name) const {
  return headers.find(std::string(name)) != headers.end();
}
std::string Response::get_header_value(std::string_view name) const {
  return First(headers, name);
}
void Response::set_content(std::string content, std::string_view content_type) {
  body = std::move(content);
  headers.erase("Content-Type");
  headers.emplace("Content-Type", std::string(content_type));
}

void ParseTarget(std::string_view target, std::string& path, ParamMap& params) {
  const size_t q = target.find('?');
  path = Decode(target.substr(0, q), /*plus_is_space=*/false);
  if (q == std::string_view::npos) return;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const size_t eq = pair.find('=');
    std::string key = Decode(pair.substr(0, eq), true);
    if (key.empty()) continue;
    std::string value =
        eq == std::string_view::npos ? std::string() : Decode(pair.substr(eq + 1), true);
    params.emplace(std::move(key), std::move(value));
  }
}

}  // namespace llmgw::dashboard

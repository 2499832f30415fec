#pragma once
// PostgreSQL array literals ("{1,2,3}", "{\"a\",\"b\"}"), so a whole batch travels as a few
// parameters of one statement (unnest) instead of a statement per row.

#include <string>
#include <vector>

namespace llmgw::metering {

// A text element: double-quoted, with `"` and `\` escaped.
inline std::string QuotedArrayElement(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

// "{" + element(items[0]) + "," + … + "}".
template <typename T, typename F>
std::string ArrayLiteral(const std::vector<T>& items, F element) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += element(items[i]);
  }
  out += '}';
  return out;
}

}  // namespace llmgw::metering

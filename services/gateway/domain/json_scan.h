#pragma once
// Reads a few top-level keys of a JSON object without tokenizing the rest: request bodies carry
// 100s of KB of messages the gateway never looks at, and a full parser walks every byte of them.

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <utility>
#include <vector>

namespace llmgw::gateway {

// One wanted top-level key and the raw text of its value.
struct ScannedKey {
  std::string_view key;    // the element of `keys` it matched (its unescaped spelling)
  std::string_view value;  // the value's bytes in `json`, e.g. `{"a": [1, 2]}` or `"x\"y"`
};

// Walks the top-level object of `json` and fills `out` with the keys in `keys` that it has, in
// order of first appearance; when a key repeats, the last value wins (as in nlohmann::json).
// Values are not built: strings are skipped with memchr, objects and arrays by bracket depth,
// scalars up to the next delimiter. A key spelled with escapes ("mod\u0065l") is unescaped
// before it is compared, so it matches as it would after a full parse.
//
// Returns false when `json` is not an object: not starting with '{' (after an optional UTF-8 BOM
// and whitespace), an unterminated string, unbalanced or mismatched brackets, a missing colon or
// comma, an invalid top-level scalar (`tru`, `01`), an invalid escape in a key, or anything but
// whitespace after the closing brace (up to a NUL byte, which ends the text for nlohmann too).
// `out` is then empty.
//
// Lenient where nlohmann is strict, in what it skips: control characters and invalid UTF-8 in
// strings, invalid escapes in strings other than keys, and the tokens between the brackets of a
// nested value (`[1,,2]`, `{"a" 1}`, `[tru]`) are not checked. Harmless: the wanted values
// themselves are parsed strictly by the caller, and the provider validates the whole body and
// refuses a malformed one, so a key read from such a body never bills or routes anything.
bool ScanTopLevelKeys(std::string_view json, std::initializer_list<std::string_view> keys,
                      std::vector<ScannedKey>& out);

// The common scalars a provider sends (null, true, false, a small non-negative integer, a string of
// printable ASCII without escapes) built directly, exactly as J::parse builds them (an integer as
// number_unsigned), without setting up a lexer. False for anything else: J::parse decides.
template <typename J>
bool BuildPlainScalar(std::string_view raw, J& out) {
  if (raw == "null") {
    out = nullptr;
    return true;
  }
  if (raw == "true" || raw == "false") {
    out = raw == "true";
    return true;
  }
  if (raw.size() >= 2 && raw.front() == '"') {
    for (size_t i = 1; i + 1 < raw.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(raw[i]);
      if (c == '\\' || c < 0x20 || c >= 0x7F) return false;
    }
    out = typename J::string_t(raw.substr(1, raw.size() - 2));
    return true;
  }
  if (raw.empty() || raw.size() > 18 || (raw.size() > 1 && raw[0] == '0')) return false;
  uint64_t v = 0;
  for (char c : raw) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  out = typename J::number_unsigned_t(v);
  return true;
}

// Parses `text` keeping only the top-level keys in `keys` (and their whole values): an object of
// those present, each value parsed strictly with J::parse (or BuildPlainScalar). A discarded value
// when `text` is not a JSON object (see ScanTopLevelKeys) or a wanted value is invalid. J is
// nlohmann::json or ordered_json; a template so that this header needs no JSON library.
template <typename J>
J ParseTopLevelKeys(std::string_view text, std::initializer_list<std::string_view> keys) {
  std::vector<ScannedKey> found;
  found.reserve(keys.size());
  if (!ScanTopLevelKeys(text, keys, found)) return J(J::value_t::discarded);
  J result = J::object();
  for (const ScannedKey& k : found) {
    J value;
    if (!BuildPlainScalar(k.value, value)) {
      value = J::parse(k.value.begin(), k.value.end(), nullptr, /*allow_exceptions=*/false);
    }
    if (value.is_discarded()) return value;
    result[typename J::object_t::key_type(k.key)] = std::move(value);
  }
  return result;
}

}  // namespace llmgw::gateway

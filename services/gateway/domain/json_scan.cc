// Positions are indexes into the text and every read is checked against its size: the input is
// whatever a client or provider sent, truncated or not.
#include "services/gateway/domain/json_scan.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <string>

#include "libs/common/hex.h"

namespace llmgw::gateway {
namespace {

constexpr size_t kFail = std::string_view::npos;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

size_t SkipSpace(std::string_view s, size_t i) {
  while (i < s.size() && IsSpace(s[i])) ++i;
  return i;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The index just past the closing quote of the string opened at `open`, or kFail. A quote closes
// the string when an even number of backslashes precedes it; each backslash run is counted once
// (it ends at the quote after it), so this stays linear on any input.
size_t SkipString(std::string_view s, size_t open) {
  const char* base = s.data();
  size_t from = open + 1;
  while (from < s.size()) {
    const void* hit = std::memchr(base + from, '"', s.size() - from);
    if (hit == nullptr) return kFail;
    const size_t quote = static_cast<const char*>(hit) - base;
    size_t run = 0;
    while (quote - run > open + 1 && base[quote - run - 1] == '\\') ++run;
    if (run % 2 == 0) return quote + 1;
    from = quote + 1;
  }
  return kFail;
}

// The index just past the bracket closing the object or array opened at `open`, or kFail.
// Strings are skipped whole so that brackets inside them do not count.
size_t SkipContainer(std::string_view s, size_t open) {
  // Bytes that change the state; everything else (numbers, literals, commas, colons, spaces)
  // is passed over in a tight loop.
  static constexpr auto kStructural = [] {
    std::array<bool, 256> t{};
    for (unsigned char c : {'"', '{', '}', '[', ']'}) t[c] = true;
    return t;
  }();
  std::string closers;  // expected closing brackets, innermost last (inline up to SSO depth)
  closers.push_back(s[open] == '{' ? '}' : ']');
  for (size_t i = open + 1; i < s.size(); ++i) {
    while (!kStructural[static_cast<unsigned char>(s[i])]) {
      if (++i == s.size()) return kFail;
    }
    const char c = s[i];
    if (c == '"') {
      i = SkipString(s, i);
      if (i == kFail) return kFail;
      --i;  // the loop steps past the closing quote
    } else if (c == '{') {
      closers.push_back('}');
    } else if (c == '[') {
      closers.push_back(']');
    } else {
      if (closers.back() != c) return kFail;
      closers.pop_back();
      if (closers.empty()) return i + 1;
    }
  }
  return kFail;
}

// JSON's number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
bool IsNumber(std::string_view t) {
  size_t i = 0;
  const auto digits = [&] {
    const size_t start = i;
    while (i < t.size() && IsDigit(t[i])) ++i;
    return i > start;
  };
  if (i < t.size() && t[i] == '-') ++i;
  if (i < t.size() && t[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < t.size() && t[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == t.size();
}

// The index just past the value starting at `i`, or kFail.
size_t SkipValue(std::string_view s, size_t i) {
  if (i >= s.size()) return kFail;
  const char c = s[i];
  if (c == '"') return SkipString(s, i);
  if (c == '{' || c == '[') return SkipContainer(s, i);
  // A scalar runs to the next delimiter; it is checked here because it is short, and so that a
  // typo at the top level fails the scan as it fails nlohmann.
  size_t end = i;
  while (end < s.size() && !IsSpace(s[end]) && s[end] != ',' && s[end] != '}' && s[end] != ']' &&
         s[end] != '{' && s[end] != '[' && s[end] != '"' && s[end] != ':') {
    ++end;
  }
  const std::string_view token = s.substr(i, end - i);
  if (token == "true" || token == "false" || token == "null" || IsNumber(token)) return end;
  return kFail;
}

// Four hex digits at s[i..i+4) as a code unit, or -1.
int32_t Hex4(std::string_view s, size_t i) {
  if (s.size() < i + 4) return -1;
  int32_t v = 0;
  for (size_t k = i; k < i + 4; ++k) {
    const int h = hex::DigitValue(s[k]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// The contents of a string (between its quotes) with escapes resolved, as nlohmann resolves them
// (surrogate pairs joined, a lone surrogate refused). False on an invalid escape.
bool Unescape(std::string_view raw, std::string& out) {
  out.clear();
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '\\') {
      out += raw[i];
      continue;
    }
    if (++i >= raw.size()) return false;
    switch (raw[i]) {
      case '"':
      case '\\':
      case '/':
        out += raw[i];
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        int32_t unit = Hex4(raw, i + 1);
        if (unit < 0 || (unit >= 0xDC00 && unit <= 0xDFFF)) return false;
        i += 4;
        uint32_t cp = static_cast<uint32_t>(unit);
        if (unit >= 0xD800 && unit <= 0xDBFF) {
          if (i + 2 >= raw.size() || raw[i + 1] != '\\' || raw[i + 2] != 'u') return false;
          const int32_t low = Hex4(raw, i + 3);
          if (low < 0xDC00 || low > 0xDFFF) return false;
          i += 6;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (static_cast<uint32_t>(low) - 0xDC00);
        }
        AppendUtf8(cp, out);
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

// The element of `keys` equal to the key whose contents (between the quotes) are `raw`, or null.
const std::string_view* FindKey(std::string_view raw, std::initializer_list<std::string_view> keys,
                                std::string& scratch, bool* ok) {
  std::string_view name = raw;
  // Rare: escapes in a key. Correctness first: compare the key's value, not its spelling.
  if (raw.find('\\') != std::string_view::npos) {
    if (!Unescape(raw, scratch)) {
      *ok = false;
      return nullptr;
    }
    name = scratch;
  }
  for (const std::string_view& k : keys) {
    if (k == name) return &k;
  }
  return nullptr;
}

bool Scan(std::string_view json, std::initializer_list<std::string_view> keys,
          std::vector<ScannedKey>& out) {
  size_t i = 0;
  // nlohmann skips a UTF-8 byte order mark at the very start; so do we.
  if (json.starts_with("\xEF\xBB\xBF")) i = 3;
  i = SkipSpace(json, i);
  if (i >= json.size() || json[i] != '{') return false;
  i = SkipSpace(json, i + 1);
  if (i >= json.size()) return false;
  std::string scratch;
  if (json[i] != '}') {
    while (true) {
      if (i >= json.size() || json[i] != '"') return false;
      const size_t key_end = SkipString(json, i);
      if (key_end == kFail) return false;
      bool ok = true;
      const std::string_view* wanted =
          FindKey(json.substr(i + 1, key_end - i - 2), keys, scratch, &ok);
      if (!ok) return false;
      i = SkipSpace(json, key_end);
      if (i >= json.size() || json[i] != ':') return false;
      i = SkipSpace(json, i + 1);
      const size_t value_end = SkipValue(json, i);
      if (value_end == kFail) return false;
      if (wanted != nullptr) {
        const std::string_view value = json.substr(i, value_end - i);
        bool seen = false;
        for (ScannedKey& k : out) {
          if (k.key == *wanted) {
            k.value = value;  // a repeated key: the last value wins
            seen = true;
            break;
          }
        }
        if (!seen) out.push_back({*wanted, value});
      }
      i = SkipSpace(json, value_end);
      if (i >= json.size()) return false;
      if (json[i] == '}') break;
      if (json[i] != ',') return false;
      i = SkipSpace(json, i + 1);
    }
  }
  i = SkipSpace(json, i + 1);
  // nlohmann takes a NUL byte between tokens for the end of the input and ignores what follows.
  return i == json.size() || json[i] == '\0';
}

}  // namespace

bool ScanTopLevelKeys(std::string_view json, std::initializer_list<std::string_view> keys,
                      std::vector<ScannedKey>& out) {
  out.clear();
  if (Scan(json, keys, out)) return true;
  out.clear();  // no half results from a text that is not an object
  return false;
}

}  // namespace llmgw::gateway

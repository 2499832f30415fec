#include "services/metering/domain/provider_csv.h"

#include <map>
#include <optional>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/metering/domain/usage.h"

namespace llmgw::metering {
namespace {

constexpr int kColumns = 7;
constexpr const char* kNames[kColumns] = {
    "date",          "provider", "model", "input_tokens", "cached_input_tokens",
    "output_tokens", "cost_usd"};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits one line into fields; nullopt (with `why`) on a quote error.
std::optional<std::vector<std::string>> SplitFields(std::string_view line, std::string* why) {
  std::vector<std::string> fields;
  size_t i = 0;
  while (true) {
    std::string field;
    // Blanks before an opening quote are allowed.
    size_t j = i;
    while (j < line.size() && (line[j] == ' ' || line[j] == '\t')) ++j;
    if (j < line.size() && line[j] == '"') {
      i = j + 1;
      bool closed = false;
      while (i < line.size()) {
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          closed = true;
          ++i;
          break;
        }
        field += line[i++];
      }
      if (!closed) {
        *why = "a quoted field is not closed on its line";
        return std::nullopt;
      }
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      if (i < line.size() && line[i] != ',') {
        *why = "unexpected text after a quoted field";
        return std::nullopt;
      }
    } else {
      size_t comma = line.find(',', i);
      size_t end = comma == std::string_view::npos ? line.size() : comma;
      std::string_view raw = line.substr(i, end - i);
      if (raw.find('"') != std::string_view::npos) {
        *why = "a quote inside an unquoted field";
        return std::nullopt;
      }
      field = std::string(Trim(raw));
      i = end;
    }
    fields.push_back(std::move(field));
    if (i >= line.size()) break;
    ++i;  // the comma
  }
  return fields;
}

bool ValidModel(std::string_view s) {
  if (s.empty() || s.size() > kMaxStringBytes) return false;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F) return false;
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xE  ? 3
                 : (c >> 3) == 0x1E ? 4
                                    : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

std::optional<int64_t> TokenCount(std::string_view s) {
  if (s.empty() || s.size() > 16) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v > kMaxCount) return std::nullopt;
  return v;
}

std::string Shown(std::string_view s) { return "\"" + std::string(s.substr(0, 40)) + "\""; }

// The message quotes the file: keep it valid UTF-8 (a byte that is not becomes '?'), as JSON and
// protobuf strings must be.
std::string ValidUtf8(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xE  ? 3
                 : (c >> 3) == 0x1E ? 4
                                    : 0;
    bool ok = len > 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) {
      ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    }
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += '?';
      ++i;
    }
  }
  return out;
}

}  // namespace

CsvParseResult ParseProviderUsageCsv(std::string_view text) {
  CsvParseResult result;
  auto fail = [&](int line, std::string message) {
    result.rows.clear();
    result.error_line = line;
    result.error = ValidUtf8(absl::StrCat("line ", line, ": ", message));
    return result;
  };
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // a spreadsheet's BOM
  std::map<std::tuple<int64_t, std::string, std::string>, int> seen;
  int line_no = 0;
  bool header_seen = false;
  size_t pos = 0;
  while (pos < text.size() || (!header_seen && pos == 0)) {
    size_t nl = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!header_seen) {
      std::string header = absl::AsciiStrToLower(std::string(line));
      std::string compact;
      for (char c : header) {
        if (c != ' ' && c != '\t') compact += c;
      }
      if (compact != kProviderCsvHeader) {
        return fail(line_no, absl::StrCat("the header must be ", kProviderCsvHeader));
      }
      header_seen = true;
      continue;
    }
    if (Trim(line).empty()) continue;
    if (static_cast<int>(result.rows.size()) >= kMaxCsvRows) {
      return fail(line_no, absl::StrCat("a file holds at most ", kMaxCsvRows, " rows"));
    }
    std::string why;
    auto fields = SplitFields(line, &why);
    if (!fields) return fail(line_no, why);
    if (fields->size() != kColumns) {
      return fail(line_no, absl::StrCat("expected ", kColumns, " columns, got ", fields->size()));
    }
    const std::vector<std::string>& f = *fields;
    CsvUsageRow row;
    row.line = line_no;
    absl::StatusOr<int64_t> day = ParseDate(f[0], "date");
    if (!day.ok()) return fail(line_no, std::string(day.status().message()));
    row.day_unix_ms = *day;
    row.provider = absl::AsciiStrToLower(f[1]);
    if (!IsKnownProvider(row.provider)) {
      return fail(line_no, absl::StrCat("provider must be openai, anthropic, google or xai, got ",
                                        Shown(f[1])));
    }
    if (!ValidModel(f[2])) {
      return fail(line_no, absl::StrCat("model must be 1 to ", kMaxStringBytes,
                                        " bytes of UTF-8 text without control characters"));
    }
    row.model = f[2];
    int64_t* counts[3] = {&row.tokens.input, &row.tokens.cached_input, &row.tokens.output};
    for (int k = 0; k < 3; ++k) {
      std::optional<int64_t> v = TokenCount(f[3 + k]);
      if (!v) {
        return fail(line_no, absl::StrCat(kNames[3 + k], " must be a whole number from 0 to ",
                                          kMaxCount, ", got ", Shown(f[3 + k])));
      }
      *counts[k] = *v;
    }
    if (row.tokens.cached_input > row.tokens.input) {
      return fail(line_no,
                  "cached_input_tokens is part of input_tokens and cannot be larger than it");
    }
    absl::StatusOr<money::Nano> cost = money::ParseUsd(f[6]);
    if (!cost.ok()) {
      return fail(line_no, absl::StrCat("cost_usd must be a non-negative USD amount with at most "
                                        "9 decimals, got ",
                                        Shown(f[6])));
    }
    row.cost_nano = *cost;
    auto [it, inserted] = seen.try_emplace({row.day_unix_ms, row.provider, row.model}, line_no);
    if (!inserted) {
      return fail(line_no, absl::StrCat("a second row for ", f[0], " ", row.provider, " ",
                                        row.model, " (first on line ", it->second, ")"));
    }
    result.rows.push_back(std::move(row));
  }
  if (!header_seen) return fail(1, absl::StrCat("the header must be ", kProviderCsvHeader));
  return result;
}

}  // namespace llmgw::metering

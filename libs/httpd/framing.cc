// Names are compared ASCII-case-insensitively without allocating.
#include "libs/httpd/framing.h"

namespace llmgw::httpd {
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

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

namespace {

// Counts the codings of one Transfer-Encoding value into `chunked` / `other` (list elements
// separated by commas; an empty element is tolerated as RFC 9110 §5.6.1 asks).
void CountTransferCodings(std::string_view value, int& chunked, int& other) {
  while (true) {
    size_t comma = value.find(',');
    std::string_view coding = TrimOws(value.substr(0, comma));
    if (EqualsLower(coding, "chunked")) {
      ++chunked;
    } else if (!coding.empty()) {
      ++other;
    }
    if (comma == std::string_view::npos) return;
    value.remove_prefix(comma + 1);
  }
}

}  // namespace

bool HasObsFold(std::string_view header_section) {
  for (size_t at = header_section.find("\r\n"); at != std::string_view::npos;
       at = header_section.find("\r\n", at + 2)) {
    if (at + 2 < header_section.size() &&
        (header_section[at + 2] == ' ' || header_section[at + 2] == '\t')) {
      return true;
    }
  }
  return false;
}

absl::Status CheckRequestFraming(const HeaderList& in) {
  int content_lengths = 0;
  bool transfer_encoding = false;
  int chunked = 0;
  int other_codings = 0;
  for (const auto& [name, value] : in) {
    if (EqualsLower(name, "transfer-encoding")) {
      transfer_encoding = true;
      CountTransferCodings(value, chunked, other_codings);
    } else if (EqualsLower(name, "content-length")) {
      ++content_lengths;
      std::string_view v = TrimOws(value);
      // At most 18 digits: every such value fits in int64 (no overflow games).
      bool ok = !v.empty() && v.size() <= 18;
      for (char c : v) ok = ok && c >= '0' && c <= '9';
      if (!ok) return absl::InvalidArgumentError("Content-Length is not a decimal number");
    }
  }
  if (content_lengths > 1) {
    return absl::InvalidArgumentError("more than one Content-Length header");
  }
  if (transfer_encoding && content_lengths > 0) {
    return absl::InvalidArgumentError("both Transfer-Encoding and Content-Length are present");
  }
  if (transfer_encoding && (chunked != 1 || other_codings != 0)) {
    return absl::InvalidArgumentError("Transfer-Encoding must be exactly \"chunked\"");
  }
  return absl::OkStatus();
}

}  // namespace llmgw::httpd

// One pass over the bytes: when nothing is pending the input is parsed in place and only the
// unterminated tail is copied into buf_; otherwise new bytes are appended and scanning resumes
// where it stopped. buf_ is compacted once per Feed, never per event.
#include "services/gateway/domain/sse.h"

#include <algorithm>
#include <cstring>

namespace llmgw::gateway {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

// Index of the first '\r' or '\n' in s at or after `from`, or s.size(). memchr scans 16-32
// bytes at a time where a loop over every byte would not: lines end in '\n' in practice, and a
// '\r' is only looked for before it. `next_nl` (s.size() + 1 when unknown) keeps the '\n' found
// ahead, so a stream of bare-'\r' lines is not rescanned for '\n' line after line.
size_t FindLineEnd(std::string_view s, size_t from, size_t& next_nl) {
  if (next_nl > s.size() || next_nl < from) {
    const void* nl = std::memchr(s.data() + from, '\n', s.size() - from);
    next_nl =
        nl != nullptr ? static_cast<size_t>(static_cast<const char*>(nl) - s.data()) : s.size();
  }
  const void* cr = std::memchr(s.data() + from, '\r', next_nl - from);
  return cr != nullptr ? static_cast<size_t>(static_cast<const char*>(cr) - s.data()) : next_nl;
}

}  // namespace

size_t EndOfFirstEvent(std::string_view bytes) {
  size_t end = bytes.size();
  for (std::string_view blank : {std::string_view("\n\n"), std::string_view("\r\n\r\n")}) {
    const void* at = memmem(bytes.data(), bytes.size(), blank.data(), blank.size());
    if (at != nullptr) {
      end = std::min(
          end, static_cast<size_t>(static_cast<const char*>(at) - bytes.data()) + blank.size());
    }
  }
  return end;
}

void SseParser::OnLine(std::string_view line) {
  if (line[0] == ':') {
    has_comment_ = true;
    return;
  }
  has_field_ = true;
  size_t colon = line.find(':');
  std::string_view name = line.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
  }
  if (name == "data") {
    if (has_data_) data_.push_back('\n');
    data_.append(value);
    has_data_ = true;
  } else if (name == "event") {
    event_.assign(value);
  }
  // id, retry and unknown fields: relayed in `raw`, nothing to extract.
}

void SseParser::Dispatch(std::string_view src, size_t start, size_t end,
                         const std::function<void(SseEvent&&)>& on_event) {
  SseEvent ev;
  ev.raw.assign(src.data() + start, end - start);
  ev.event = std::move(event_);
  ev.data = std::move(data_);
  ev.comment_only = has_comment_ && !has_field_;
  event_.clear();
  data_.clear();
  has_data_ = has_comment_ = has_field_ = false;
  on_event(std::move(ev));
}

void SseParser::Feed(std::string_view bytes, const std::function<void(SseEvent&&)>& on_event) {
  if (bytes.empty()) return;
  // Parse `bytes` in place when no event is pending; else continue in buf_.
  const bool in_place = buf_.empty();
  size_t i = 0;
  if (!in_place) {
    i = buf_.size();
    buf_.append(bytes.data(), bytes.size());
  }
  std::string_view src = in_place ? bytes : std::string_view(buf_);
  const size_t n = src.size();
  size_t event_start = 0;
  size_t line_start = in_place ? 0 : line_start_;
  size_t next_nl = n + 1;  // not looked for yet

  while (i < n) {
    if (after_cr_) {
      after_cr_ = false;
      if (src[i] == '\n') line_start = ++i;  // the '\n' of a "\r\n" split or not
      if (cr_blank_) {
        cr_blank_ = false;
        Dispatch(src, event_start, i, on_event);
        event_start = i;
      }
      continue;
    }
    size_t j = FindLineEnd(src, i, next_nl);
    if (j == n) {
      i = n;
      break;
    }
    std::string_view line = src.substr(line_start, j - line_start);
    if (first_line_) {
      first_line_ = false;
      if (line.substr(0, kBom.size()) == kBom) line.remove_prefix(kBom.size());
    }
    const bool blank = line.empty();
    if (!blank) OnLine(line);
    i = j + 1;
    line_start = i;
    if (src[j] == '\r') {
      after_cr_ = true;
      cr_blank_ = blank;
    } else if (blank) {
      Dispatch(src, event_start, i, on_event);
      event_start = i;
    }
  }

  if (in_place) {
    buf_.assign(src.data() + event_start, n - event_start);
  } else {
    buf_.erase(0, event_start);
  }
  line_start_ = line_start - event_start;
}

void SseParser::Finish(const std::function<void(SseEvent&&)>& on_event) {
  if (after_cr_ && cr_blank_) {
    after_cr_ = cr_blank_ = false;
    std::string raw = std::move(buf_);
    buf_.clear();
    line_start_ = 0;
    Dispatch(raw, 0, raw.size(), on_event);
  }
}

}  // namespace llmgw::gateway

#pragma once
// An incremental Server-Sent Events parser. The result never depends on how the bytes are split.

#include <functional>
#include <string>
#include <string_view>

namespace llmgw::gateway {

// The offset just past the first blank line in `bytes` ("\n\n" or "\r\n\r\n"): where the first
// complete event ends. bytes.size() when there is none. A split point for relaying the first
// event at once; SseParser gives the same events however the bytes are split.
size_t EndOfFirstEvent(std::string_view bytes);

struct SseEvent {
  std::string raw;    // the exact bytes of the event, blank-line terminator included, to relay
  std::string event;  // the `event:` field; empty when absent
  std::string data;   // `data:` lines joined with '\n' (one leading space after ':' removed)
  bool comment_only = false;  // only ':' comment lines (keep-alives)
};

class SseParser {
 public:
  // Calls on_event for each complete event (terminated by a blank line: \n\n, \r\n\r\n or \r\r).
  // Lines end in \n, \r\n or \r; a leading UTF-8 BOM is ignored (but kept in `raw`). An event
  // whose blank line ends in a bare '\r' at the very end of `bytes` is delivered by the next Feed
  // (or Finish), once it is known whether a '\n' follows. O(bytes): nothing is rescanned.
  // on_event must not call back into this parser.
  void Feed(std::string_view bytes, const std::function<void(SseEvent&&)>& on_event);
  // At the end of the stream: delivers an event held back only for that '\r' look-ahead.
  void Finish(const std::function<void(SseEvent&&)>& on_event);
  // The bytes of an unterminated trailing event, if any (a stream cut short).
  const std::string& pending() const { return buf_; }

 private:
  // Handles one complete line (terminator excluded) of the current event.
  void OnLine(std::string_view line);
  // Emits src[start, end) as the current event and resets the per-event fields.
  void Dispatch(std::string_view src, size_t start, size_t end,
                const std::function<void(SseEvent&&)>& on_event);

  std::string buf_;         // the current event's bytes so far (starts at an event boundary)
  size_t line_start_ = 0;   // offset in buf_ of the line not yet terminated
  bool after_cr_ = false;   // the last byte seen was a '\r' line end (a '\n' may follow)
  bool cr_blank_ = false;   // ... and it ended a blank line: the event is held back
  bool first_line_ = true;  // the next line is the stream's first (BOM check)
  std::string event_;
  std::string data_;
  bool has_data_ = false;
  bool has_comment_ = false;
  bool has_field_ = false;
};

}  // namespace llmgw::gateway

#pragma once
// An incremental Server-Sent Events parser. The result never depends on how the bytes are split.

#include <functional>
#include <string>
#include <string_view>

namespace llmgw::gateway {

struct SseEvent {
  std::string raw;    // the exact bytes of the event, blank-line terminator included, to relay
  std::string event;  // the `event:` field; empty when absent
  std::string data;   // `data:` lines joined with '\n' (one leading space after ':' removed)
  bool comment_only = false;  // only ':' comment lines (keep-alives)
};

class SseParser {
 public:
  // Calls on_event for each complete event (terminated by a blank line: \n\n, \r\n\r\n or \r\r).
  void Feed(std::string_view bytes, const std::function<void(SseEvent&&)>& on_event);
  // The bytes of an unterminated trailing event, if any (a stream cut short).
  const std::string& pending() const { return buf_; }

 private:
  std::string buf_;
};

}  // namespace llmgw::gateway

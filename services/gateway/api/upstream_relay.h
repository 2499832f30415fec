#pragma once
// The one relay of the request path: reads an upstream response (a whole JSON body, or an event
// stream relayed to the client event by event as it arrives) for every surface and both modes.
// What differs per surface (which events the client sees and in which shape, where the usage is)
// is a StreamReader; what is the same (reading, first-byte timing, flushing, cut streams) is here.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "services/gateway/api/http_server.h"
#include "services/gateway/clients/upstream_client.h"
#include "services/gateway/domain/sse.h"

namespace llmgw::gateway {

// A surface's view of an upstream event stream.
class StreamReader {
 public:
  virtual ~StreamReader() = default;
  // One complete upstream event: appends what the client gets for it to `out` (the event as it
  // came, a translation, or nothing).
  virtual void OnEvent(SseEvent&& e, std::string& out) = 0;
  // The upstream body ended: `complete` when it arrived whole, `pending` the bytes of a trailing
  // event that never got its terminator. Appends the stream's last bytes to `out`.
  virtual void OnEnd(bool complete, std::string_view pending, std::string& out) = 0;
};

struct StreamRelay {
  bool upstream_complete = false;  // the provider's body arrived whole
  absl::Status upstream_error;     // why it did not (kDeadlineExceeded: timed out)
  bool client_ok = true;           // every byte reached the client
  int64_t ttft_ms = 0;             // first relayed bytes, from `start`; 0 when none were
};

// Relays an event stream to the client: `head` (status and headers) and then, as each upstream
// read completes, what `reader` makes of its events, chunked. The events that arrived with the
// upstream header leave with the client's header; nothing waits for a fixed-size buffer. When the
// client goes away, the upstream body is still read for the usage, as far as it already arrived.
// `on_first_byte` runs once, when the first relayed bytes are written. Closes `exchange`.
boost::asio::awaitable<StreamRelay> RelayEventStream(
    std::unique_ptr<UpstreamExchange>& exchange, ResponseWriter& writer, HttpStreamHeader& head,
    StreamReader& reader, std::chrono::steady_clock::time_point start,
    const std::function<void(double seconds)>& on_first_byte);

// Reads the rest of the body into `body`, keeping at most `limit` bytes; memory follows the bytes
// that really arrive, not a Content-Length's claim. Closes `exchange` (back to the pool when the
// body was read whole) before returning.
boost::asio::awaitable<absl::Status> ReadWholeBody(std::unique_ptr<UpstreamExchange>& exchange,
                                                   std::string* body, size_t limit = SIZE_MAX);

// Whether a Content-Type is an event stream.
bool IsEventStream(std::string_view content_type);

}  // namespace llmgw::gateway

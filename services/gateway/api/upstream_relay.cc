#include "services/gateway/api/upstream_relay.h"

#include <algorithm>
#include <boost/beast/core/string.hpp>

namespace llmgw::gateway {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr size_t kReadChunk = 4096;  // per stream: 8,000 streams must fit in little memory

}  // namespace

bool IsEventStream(std::string_view content_type) {
  constexpr std::string_view kSse = "text/event-stream";
  return content_type.size() >= kSse.size() &&
         boost::beast::iequals(content_type.substr(0, kSse.size()), kSse);
}

asio::awaitable<absl::Status> ReadWholeBody(std::unique_ptr<UpstreamExchange>& exchange,
                                            std::string* body, size_t limit) {
  const auto length = exchange->response().payload_size();
  // A Content-Length is the upstream's claim: memory follows the bytes that really arrive.
  constexpr uint64_t kMaxRoom = 1 << 20;
  if (length) body->reserve(std::min<uint64_t>({*length, kMaxRoom, limit}));
  absl::Status status;
  std::string spill;  // bytes read past `limit` land here and are dropped
  while (!exchange->done()) {
    const size_t old = body->size();
    // Room for the rest of a Content-Length body at once, else 16 KiB at a time.
    size_t room = length && *length > old ? std::min<uint64_t>(*length - old, kMaxRoom) : 16384;
    char* into = nullptr;
    if (old < limit) {
      room = std::min(room, limit - old);
      body->resize(old + room);
      into = body->data() + old;
    } else {
      spill.resize(16384);
      room = spill.size();
      into = spill.data();
    }
    auto n = co_await exchange->ReadSome(into, room);
    if (!n.ok()) {
      if (old < limit) body->resize(old);
      status = n.status();
      break;
    }
    if (old < limit) body->resize(old + *n);
  }
  exchange.reset();  // back to the pool (when read whole) before the caller writes to the client
  co_return status;
}

asio::awaitable<StreamRelay> RelayEventStream(
    std::unique_ptr<UpstreamExchange>& exchange, ResponseWriter& writer, HttpStreamHeader& head,
    StreamReader& reader, SteadyClock::time_point start,
    const std::function<void(double seconds)>& on_first_byte) {
  StreamRelay r;
  SseParser parser;
  std::string out;
  std::string buf(kReadChunk, '\0');
  bool upstream_ok = true;
  auto relay = [&](std::string_view bytes) {
    parser.Feed(bytes, [&](SseEvent&& e) { reader.OnEvent(std::move(e), out); });
  };
  // The upstream body is complete: an event whose terminator was a final bare \r is only
  // complete now, and the end of the client's body leaves with the last events.
  auto finish = [&] {
    parser.Finish([&](SseEvent&& e) { reader.OnEvent(std::move(e), out); });
    reader.OnEnd(/*complete=*/true, parser.pending(), out);
  };
  auto first_relayed = [&] {
    const double seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
    r.ttft_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start).count();
    if (on_first_byte) on_first_byte(seconds);
  };
  // Events that came with the header (read without waiting): the first leaves in the header's
  // write at once; what came with it follows in one more write once parsed.
  std::string_view rest;  // read, not yet relayed (a view into buf)
  if (exchange->HasBufferedBody()) {
    auto n = co_await exchange->ReadSome(buf.data(), buf.size());
    if (n.ok()) {
      const std::string_view got(buf.data(), *n);
      const size_t cut = EndOfFirstEvent(got);
      relay(got.substr(0, cut));
      rest = got.substr(cut);
    } else {
      upstream_ok = false;
      r.upstream_error = n.status();
    }
  }
  bool upstream_done = upstream_ok && exchange->done();
  if (upstream_done && rest.empty()) finish();
  r.client_ok = co_await writer.StartChunked(head, out, /*last=*/upstream_done && rest.empty());
  bool first = true;
  if (!out.empty()) {
    first = false;
    first_relayed();
    out.clear();
  }
  while (r.client_ok && upstream_ok && !(upstream_done && rest.empty())) {
    if (rest.empty()) {
      auto n = co_await exchange->ReadSome(buf.data(), buf.size());
      if (!n.ok()) {
        upstream_ok = false;
        r.upstream_error = n.status();
        break;
      }
      rest = std::string_view(buf.data(), *n);
    }
    relay(rest);
    rest = {};
    upstream_done = exchange->done();
    if (upstream_done) finish();
    if (!out.empty() || upstream_done) {
      r.client_ok = co_await writer.WriteChunk(out, /*last=*/upstream_done);
      if (first && !out.empty()) {
        first = false;
        first_relayed();
      }
      out.clear();
    }
  }
  if (!rest.empty()) {  // the client left before it: still read for the usage
    relay(rest);
    if (upstream_done) finish();
    out.clear();
  }
  exchange.reset();  // closed unless the body was read completely: the provider stops generating
  if (!upstream_done) {
    reader.OnEnd(/*complete=*/false, parser.pending(), out);
    if (r.client_ok && !out.empty()) r.client_ok = co_await writer.WriteChunk(out);
    if (r.client_ok) r.client_ok = co_await writer.EndChunked();
  }
  r.upstream_complete = upstream_done;
  co_return r;
}

}  // namespace llmgw::gateway

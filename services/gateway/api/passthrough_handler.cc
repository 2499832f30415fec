#include "services/gateway/api/passthrough_handler.h"

#include <algorithm>
#include <boost/beast/http/field.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "libs/common/crypto.h"
#include "libs/common/log.h"
#include "services/gateway/domain/headers.h"
#include "services/gateway/domain/sse.h"
#include "services/gateway/domain/usage.h"

namespace llmgw::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr size_t kReadChunk = 4096;  // per stream: 8,000 streams must fit in little memory

bool IsEventStream(std::string_view content_type) {
  constexpr std::string_view kSse = "text/event-stream";
  return content_type.size() >= kSse.size() &&
         beast::iequals(content_type.substr(0, kSse.size()), kSse);
}

int64_t MsSince(SteadyClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - t).count();
}

double SecondsSince(SteadyClock::time_point t) {
  return std::chrono::duration<double>(SteadyClock::now() - t).count();
}

}  // namespace

asio::awaitable<void> PassthroughHandler::Handle(const Route& route, HttpRequest& req,
                                                 ResponseWriter& writer) {
  const auto start = SteadyClock::now();
  const int64_t requested_at = d_.clock.NowUnixMs();
  const Provider provider = route.provider;
  const std::string_view provider_name = ProviderName(provider);
  const Surface surface = SurfaceOf(provider);
  const char* id_header = RequestIdHeader(surface);
  std::string request_id = crypto::RandomUuid();

  auto reply_error = [&](const ErrorSpec& spec, bool retry_after) -> asio::awaitable<void> {
    HttpResponse res = ErrorResponse(surface, spec, request_id);
    if (retry_after) res.set(http::field::retry_after, "1");
    if (d_.metrics != nullptr)
      d_.metrics->CountRequest(provider_name, Mode::kPassthrough, spec.http_status);
    co_await writer.Write(res);
  };

  // 1. The monitor token.
  auto token_it = req.find("x-monitor-token");
  if (token_it == req.end() || token_it->value().empty()) {
    co_await reply_error(MissingMonitorToken(), false);
    co_return;
  }
  AuthResult auth = co_await d_.auth.AuthenticateMonitorToken(token_it->value());
  if (auth.outcome == AuthResult::Outcome::kInvalid) {
    co_await reply_error(InvalidMonitorToken(), false);
    co_return;
  }
  if (auth.outcome == AuthResult::Outcome::kUnavailable) {
    co_await reply_error(DependencyUnavailable("accounts"), true);
    co_return;
  }

  // 2. The upstream request: same method, path and query under the configured base URL.
  RequestInspection inspection = InspectRequest(provider, route.endpoint, std::move(req.body()));
  const UpstreamEndpoint& endpoint = d_.endpoints[static_cast<size_t>(provider)];
  HeaderList incoming;
  incoming.reserve(16);
  for (const auto& f : req) incoming.emplace_back(f.name_string(), f.value());
  HttpRequest up(req.method(), endpoint.base_path + route.upstream_path, 11);
  if (req.method() == http::verb::unknown) up.method_string(req.method_string());
  for (auto& [name, value] : FilterRequestHeaders(incoming)) up.insert(name, value);
  up.set(http::field::host, endpoint.host_header);
  // Usage must be readable: no compressed bodies from upstream.
  up.set(http::field::accept_encoding, "identity");
  up.keep_alive(true);
  up.body() = std::move(inspection.body);
  up.prepare_payload();

  // What the usage event needs is gathered on the way; the event is built after the client has
  // its response, so none of that work delays it.
  Usage usage;
  bool streaming = inspection.stream;
  int status_code = 0;
  bool incomplete = false;
  int64_t ttft_ms = 0;

  auto started = co_await d_.upstream.Start(endpoint, up);
  if (!started.ok()) {
    const bool timeout = started.status().code() == absl::StatusCode::kDeadlineExceeded;
    if (d_.metrics != nullptr) d_.metrics->CountUpstreamError(provider);
    ErrorSpec spec = timeout ? UpstreamTimeout(provider_name) : UpstreamUnavailable(provider_name);
    // What went wrong (refused, TLS verification, timeout): the client only sees 502/504.
    log::Warn("upstream request failed", {{"provider", provider_name},
                                          {"error", std::string(started.status().message())},
                                          {"request_id", request_id}});
    status_code = spec.http_status;
    co_await reply_error(spec, false);
  } else {
    std::unique_ptr<UpstreamExchange> exchange = *std::move(started);
    const auto& head = exchange->response();
    status_code = static_cast<int>(head.result_int());
    const bool sse = IsEventStream(head[http::field::content_type]);
    HeaderList upstream_headers;
    upstream_headers.reserve(16);
    for (const auto& f : head) upstream_headers.emplace_back(f.name_string(), f.value());
    HeaderList out_headers = FilterResponseHeaders(upstream_headers);
    if (auto it = head.find(id_header); it != head.end() && !it->value().empty()) {
      request_id = SanitizeLabel(it->value());
    }

    if (!sse) {
      // Read whole, parse the usage, send with a Content-Length. The headers are copied first:
      // out_headers points into the upstream response, which goes back to the pool below.
      HttpResponse res(static_cast<http::status>(status_code), 11);
      for (auto& [name, value] : out_headers) res.insert(name, value);
      if (res.find(id_header) == res.end()) res.set(id_header, request_id);
      std::string body;
      const auto length = exchange->response().payload_size();
      // A Content-Length is the upstream's claim: memory follows the bytes that really arrive.
      constexpr uint64_t kMaxRoom = 1 << 20;
      if (length) body.reserve(std::min(*length, kMaxRoom));
      absl::Status read_status;
      while (!exchange->done()) {
        const size_t old = body.size();
        // Room for the rest of a Content-Length body at once, else 16 KiB at a time.
        const size_t room = length && *length > old ? std::min(*length - old, kMaxRoom) : 16384;
        body.resize(old + room);
        auto n = co_await exchange->ReadSome(body.data() + old, room);
        if (!n.ok()) {
          body.resize(old);
          read_status = n.status();
          break;
        }
        body.resize(old + *n);
      }
      exchange.reset();  // back to the pool before writing to the client
      if (!read_status.ok()) {
        if (d_.metrics != nullptr) d_.metrics->CountUpstreamError(provider);
        incomplete = true;
        ErrorSpec spec = read_status.code() == absl::StatusCode::kDeadlineExceeded
                             ? UpstreamTimeout(provider_name)
                             : UpstreamUnavailable(provider_name);
        status_code = spec.http_status;
        co_await reply_error(spec, false);
      } else {
        res.body() = std::move(body);
        if (d_.metrics != nullptr)
          d_.metrics->CountRequest(provider_name, Mode::kPassthrough, status_code);
        if (!co_await writer.Write(res)) incomplete = true;
        usage = ParseJsonUsage(provider, res.body());  // the client is not waiting for this
      }
    } else {
      // Relay event by event as each arrives; the usage is read on the way.
      streaming = true;
      if (d_.metrics != nullptr) d_.metrics->active_streams().Increment();
      HttpStreamHeader res(static_cast<http::status>(status_code), 11);
      for (auto& [name, value] : out_headers) res.insert(name, value);
      if (res.find(id_header) == res.end()) res.set(id_header, request_id);
      SseParser parser;
      StreamUsageTracker tracker(provider, inspection.injected_include_usage);
      std::string out;
      std::string buf(kReadChunk, '\0');
      bool upstream_ok = true;
      auto relay = [&](std::string_view bytes) {
        parser.Feed(bytes, [&](SseEvent&& e) {
          if (tracker.OnEvent(e)) out += e.raw;
        });
      };
      auto first_relayed = [&] {
        ttft_ms = MsSince(start);
        if (d_.metrics != nullptr)
          d_.metrics->ObserveTimeToFirstToken(provider, SecondsSince(start));
      };
      // Events that came with the header (read without waiting): the first leaves in the
      // header's write at once; what came with it follows in one more write once parsed.
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
        }
      }
      // The upstream body is complete: an event whose terminator was a final bare \r is only
      // complete now, and the end of the client's body leaves with the last events.
      auto finish = [&] {
        parser.Finish([&](SseEvent&& e) {
          if (tracker.OnEvent(e)) out += e.raw;
        });
        out += parser.pending();
      };
      bool upstream_done = upstream_ok && exchange->done();
      if (upstream_done && rest.empty()) finish();
      bool client_ok =
          co_await writer.StartChunked(res, out, /*last=*/upstream_done && rest.empty());
      bool first = true;
      if (!out.empty()) {
        first = false;
        first_relayed();
        out.clear();
      }
      while (client_ok && upstream_ok && !(upstream_done && rest.empty())) {
        if (rest.empty()) {
          auto n = co_await exchange->ReadSome(buf.data(), buf.size());
          if (!n.ok()) {
            upstream_ok = false;
            break;
          }
          rest = std::string_view(buf.data(), *n);
        }
        relay(rest);
        rest = {};
        upstream_done = exchange->done();
        if (upstream_done) finish();
        if (!out.empty() || upstream_done) {
          client_ok = co_await writer.WriteChunk(out, /*last=*/upstream_done);
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
      exchange.reset();  // closed unless the body was read completely
      if (!upstream_done) {
        out += parser.pending();  // a cut-short last event is relayed as it came
        if (client_ok && !out.empty()) client_ok = co_await writer.WriteChunk(out);
        if (client_ok) client_ok = co_await writer.EndChunked();
      }
      if (!upstream_ok && d_.metrics != nullptr) d_.metrics->CountUpstreamError(provider);
      incomplete = !client_ok || !upstream_done;
      usage = tracker.usage();
      if (d_.metrics != nullptr) {
        d_.metrics->active_streams().Decrement();
        d_.metrics->CountRequest(provider_name, Mode::kPassthrough, status_code);
      }
    }
  }

  // 3. The usage event: every request that went upstream, errors included.
  // Priced by the model as sent; recorded cut and cleaned.
  metering::v1::UsageEvent event;
  event.set_event_id(crypto::TimeOrderedUuid(requested_at));  // metering's index grows in order
  event.set_organization_id(auth.principal.organization_id);
  event.set_credential_id(auth.principal.credential_id);
  event.set_mode(metering::v1::MODE_PASSTHROUGH);
  event.set_provider(std::string(provider_name));
  // Every string of the event that a client or provider controls goes through SanitizeLabel:
  // one bad label would make metering refuse the whole batch (other organizations' included).
  event.set_endpoint(SanitizeLabel(route.endpoint));
  event.set_requested_at_unix_ms(requested_at);
  event.set_is_streaming(streaming);
  const std::string& model = !usage.model.empty() ? usage.model : inspection.model;
  event.set_model(SanitizeLabel(model));
  event.set_input_tokens(usage.tokens.input);
  event.set_cached_input_tokens(usage.tokens.cached_input);
  event.set_cache_write_tokens(usage.tokens.cache_write);
  event.set_output_tokens(usage.tokens.output);
  event.set_reasoning_tokens(usage.tokens.reasoning);
  event.set_cache_write_1h_tokens(usage.tokens.cache_write_1h);
  std::shared_ptr<const PriceTable> table = d_.prices.Current();
  const PricedModel* price = table ? table->Find(provider_name, model, requested_at) : nullptr;
  if (price != nullptr) {
    const money::Nano cost = PriceOf(usage.tokens, *price);
    event.set_cost_nano(cost);
    event.set_provider_cost_nano(cost);
    event.set_price_id(price->price_id);
  } else {
    event.set_unpriced(true);
    if (d_.metrics != nullptr) d_.metrics->CountUnpriced(provider);
  }
  event.set_status_code(status_code);
  event.set_latency_ms(MsSince(start));
  event.set_ttft_ms(ttft_ms);
  event.set_incomplete(incomplete);
  event.set_request_id(request_id);
  if (d_.metrics != nullptr) {
    d_.metrics->ObserveDuration(provider, Mode::kPassthrough, SecondsSince(start));
    d_.metrics->CountTokens(provider, usage.tokens);
  }
  if (d_.debug_log) {
    log::Debug("request", {{"provider", provider_name},
                           {"endpoint", route.endpoint},
                           {"status", status_code},
                           {"streaming", event.is_streaming()},
                           {"latency_ms", event.latency_ms()},
                           {"request_id", request_id}});
  }
  d_.usage.Emit(std::move(event));
}

}  // namespace llmgw::gateway

#include "services/gateway/api/passthrough_handler.h"

#include <boost/beast/http/field.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "libs/common/crypto.h"
#include "libs/common/log.h"
#include "services/gateway/api/upstream_relay.h"
#include "nlohmann/json.hpp"
#include "services/gateway/domain/headers.h"
#include "services/gateway/domain/reseller.h"
#include "services/gateway/domain/usage.h"

namespace llmgw::gateway {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using SteadyClock = std::chrono::steady_clock;

namespace {

// Relays the provider's events as they came, reading the usage on the way (the usage chunk the
// gateway asked for on the client's behalf is dropped).
class PassthroughStreamReader final : public StreamReader {
 public:
  PassthroughStreamReader(Provider p, bool drop_injected_usage_chunk)
      : tracker_(p, drop_injected_usage_chunk) {}
  void OnEvent(SseEvent&& e, std::string& out) override {
    if (tracker_.OnEvent(e)) out += e.raw;
  }
  // A cut-short last event is relayed as it came.
  void OnEnd(bool complete, std::string_view pending, std::string& out) override { out += pending; }
  const Usage& usage() const { return tracker_.usage(); }

 private:
  StreamUsageTracker tracker_;
};

// Gemini's native stream, relayed as it came; usageMetadata read on the way.
class GeminiNativeStreamReader final : public StreamReader {
 public:
  void OnEvent(SseEvent&& e, std::string& out) override {
    usage_.OnEvent(e);
    out += e.raw;
  }
  void OnEnd(bool complete, std::string_view pending, std::string& out) override { out += pending; }
  const Usage& usage() const { return usage_.usage(); }

 private:
  GeminiStreamUsage usage_;
};

// What a pass-through request may cost at most, for its rate and budget reservations: the
// reseller's bound (BoundChatCost) at the model's price; unpriced, its body's bytes as input
// tokens (a token is at least a byte) and no cost.
CostBound PassthroughBound(Provider provider, const std::string& body, const std::string& model,
                           int64_t at_unix_ms, const PriceTable* table) {
  const PricedModel* price =
      table != nullptr ? table->Find(ProviderName(provider), model, at_unix_ms) : nullptr;
  nlohmann::json request = nlohmann::json::parse(body, nullptr, false);
  if (price == nullptr || !request.is_object()) {
    return CostBound{.input_tokens = static_cast<int64_t>(body.size())};
  }
  return BoundChatCost(request, body.size(), *price);
}

double SecondsSince(SteadyClock::time_point t) {
  return std::chrono::duration<double>(SteadyClock::now() - t).count();
}

// The provider's own response headers (hop-by-hop ones stripped) and its request id, or ours.
template <typename Response>
void CopyResponseHeaders(const UpstreamExchange& exchange, const char* id_header,
                         std::string& request_id, Response& res) {
  const auto& head = exchange.response();
  HeaderList upstream_headers;
  upstream_headers.reserve(16);
  for (const auto& f : head) upstream_headers.emplace_back(f.name_string(), f.value());
  if (auto it = head.find(id_header); it != head.end() && !it->value().empty()) {
    request_id = SanitizeLabel(it->value());
  }
  for (auto& [name, value] : FilterResponseHeaders(upstream_headers)) res.insert(name, value);
  if (res.find(id_header) == res.end()) res.set(id_header, request_id);
}

}  // namespace

// One pass-through request, from the monitor token to the usage record.
struct PassthroughHandler::Call {
  const Route& route;
  ResponseWriter& writer;
  SteadyClock::time_point start = SteadyClock::now();
  Surface surface;
  UsageRecord record;
  bool injected_usage = false;
  Admission admission;         // the controls, when the credential or its org has limits
  HeaderValues quota_headers;  // x-llmgw-ratelimit-remaining-* of a rate-limited credential
};

asio::awaitable<void> PassthroughHandler::ReplyError(Call& c, const ErrorSpec& spec,
                                                     bool retry_after, bool count) {
  HttpResponse res = ErrorResponse(c.surface, spec, c.record.request_id);
  if (retry_after) res.set(http::field::retry_after, "1");
  if (count && d_.metrics != nullptr) {
    d_.metrics->CountRequest(ProviderName(c.record.provider), Mode::kPassthrough, spec.http_status);
  }
  co_await c.writer.Write(res);
}

asio::awaitable<bool> PassthroughHandler::Admit(Call& c, const Principal& principal,
                                                const Route& route, const std::string& body) {
  std::shared_ptr<const PriceTable> table = d_.prices.Current();
  const CostBound bound = PassthroughBound(route.provider, body, c.record.model,
                                           c.record.requested_at_unix_ms, table.get());
  c.admission = co_await d_.controls->Admit(principal, c.record.request_id, bound,
                                            /*reseller=*/false, c.surface);
  if (!c.admission.refusal) {
    c.quota_headers = d_.controls->SuccessHeaders(c.admission, c.surface, /*native=*/false);
    co_return true;
  }
  const Refusal& r = *c.admission.refusal;
  HttpResponse res = ErrorResponse(c.surface, r.spec, c.record.request_id);
  if (r.retry_after_seconds > 0) {
    res.set(http::field::retry_after, std::to_string(r.retry_after_seconds));
  }
  if (!r.should_retry) res.set("x-should-retry", "false");
  for (const auto& [name, value] : r.headers) res.set(name, value);
  if (d_.metrics != nullptr) {
    d_.metrics->CountRequest(ProviderName(c.record.provider), Mode::kPassthrough,
                             r.spec.http_status);
  }
  co_await c.writer.Write(res);
  co_return false;
}

asio::awaitable<void> PassthroughHandler::Handle(const Route& route, HttpRequest& req,
                                                 ResponseWriter& writer) {
  Call c{route, writer, SteadyClock::now(), SurfaceOf(route.provider), {}};
  UsageRecord& rec = c.record;
  rec.mode = Mode::kPassthrough;
  rec.requested_at_unix_ms = d_.clock.NowUnixMs();
  rec.request_id = crypto::RandomUuid();
  rec.provider = route.provider;
  rec.endpoint = route.endpoint;

  // 1. Authenticate the monitor token.
  auto token_it = req.find("x-monitor-token");
  if (token_it == req.end() || token_it->value().empty()) {
    const ErrorSpec spec = MissingMonitorToken();
    co_await ReplyError(c, spec, false, true);
    co_return;
  }
  AuthResult auth = co_await d_.auth.AuthenticateMonitorToken(token_it->value());
  if (auth.outcome != AuthResult::Outcome::kValid) {
    const bool invalid = auth.outcome == AuthResult::Outcome::kInvalid;
    // Named, not a temporary inside the co_await: GCC 12 destroys such temporaries twice.
    const ErrorSpec spec = invalid ? InvalidMonitorToken() : DependencyUnavailable("accounts");
    co_await ReplyError(c, spec, !invalid, true);
    co_return;
  }
  rec.organization_id = auth.principal.organization_id;
  rec.credential_id = auth.principal.credential_id;

  // 2. Forward: same method, path and query under the provider's base URL; the client's own key.
  RequestInspection inspection =
      InspectRequest(route.provider, route.endpoint, std::move(req.body()));
  rec.model = inspection.model;
  rec.streaming = inspection.stream;
  c.injected_usage = inspection.injected_include_usage;
  // The controls, only for a credential (or organization) that has limits: others pay nothing.
  const Principal& principal = auth.principal;
  if (d_.controls != nullptr && (principal.limits.Any() || principal.organization_limits.Any())) {
    const bool admitted = co_await Admit(c, principal, route, inspection.body);
    if (!admitted) co_return;
  }
  const UpstreamEndpoint& endpoint =
      d_.endpoints[route.google_native ? kGoogleNativeEndpoint
                                       : static_cast<size_t>(route.provider)];
  HttpRequest up = UpstreamRequest(route, req, endpoint, std::move(inspection.body));
  auto started = co_await d_.upstream.Start(endpoint, up);

  // 3. Relay the response; read the usage on the way.
  Usage usage;
  if (!started.ok()) {
    co_await ReplyUpstreamFailure(c, started.status(), /*incomplete=*/false);
  } else if (!IsEventStream((*started)->response()[http::field::content_type])) {
    usage = co_await RelayJson(c, *started);
  } else {
    usage = co_await RelayStream(c, *started);
  }

  // 4. Price and record: every request that went upstream, errors included; priced by the model
  // the provider names, else as sent, at the price row in effect when it was made.
  if (!usage.model.empty()) rec.model = usage.model;
  rec.tokens = usage.tokens;
  std::shared_ptr<const PriceTable> table = d_.prices.Current();
  const PricedModel* price =
      table ? table->Find(ProviderName(route.provider), rec.model, rec.requested_at_unix_ms)
            : nullptr;
  if (price != nullptr) {
    rec.cost = rec.provider_cost = PriceOf(usage.tokens, *price);
    rec.price_id = price->price_id;
  } else {
    rec.unpriced = true;
  }
  if (d_.controls != nullptr) {
    // The budget counts the estimated cost; without a price or a usage, nothing (a void).
    std::optional<money::Nano> spent;
    if (price != nullptr && usage.found) spent = rec.provider_cost;
    d_.controls->Finish(c.admission, rec.request_id, usage.tokens.input + usage.tokens.output,
                        spent, rec.model);
  }
  rec.latency_seconds = SecondsSince(c.start);
  if (d_.metrics != nullptr) d_.metrics->Record(rec);
  if (d_.debug_log) {
    log::Debug("request", {{"provider", ProviderName(rec.provider)},
                           {"endpoint", rec.endpoint},
                           {"status", rec.status_code},
                           {"streaming", rec.streaming},
                           {"latency_ms", static_cast<int64_t>(rec.latency_seconds * 1000)},
                           {"request_id", rec.request_id}});
  }
  d_.usage.Record(rec);
}

HttpRequest PassthroughHandler::UpstreamRequest(const Route& route, const HttpRequest& req,
                                                const UpstreamEndpoint& endpoint,
                                                std::string body) {
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
  up.body() = std::move(body);
  up.prepare_payload();
  return up;
}

asio::awaitable<void> PassthroughHandler::ReplyUpstreamFailure(Call& c, const absl::Status& why,
                                                               bool incomplete) {
  const std::string_view provider = ProviderName(c.record.provider);
  if (d_.metrics != nullptr) d_.metrics->CountUpstreamError(c.record.provider);
  ErrorSpec spec = why.code() == absl::StatusCode::kDeadlineExceeded
                       ? UpstreamTimeout(provider)
                       : UpstreamUnavailable(provider);
  // What went wrong (refused, TLS verification, timeout): the client only sees 502/504.
  log::Warn("upstream request failed", {{"provider", provider},
                                        {"error", std::string(why.message())},
                                        {"request_id", c.record.request_id}});
  c.record.status_code = spec.http_status;
  c.record.incomplete = incomplete;
  co_await ReplyError(c, spec, false, /*count=*/false);  // counted with the record
}

asio::awaitable<Usage> PassthroughHandler::RelayJson(Call& c,
                                                     std::unique_ptr<UpstreamExchange>& exchange) {
  // Read whole, parse the usage, send with a Content-Length. The headers are copied first: they
  // point into the upstream response, which goes back to the pool once read.
  c.record.status_code = static_cast<int>(exchange->response().result_int());
  HttpResponse res(static_cast<http::status>(c.record.status_code), 11);
  CopyResponseHeaders(*exchange, RequestIdHeader(c.surface), c.record.request_id, res);
  for (const auto& [name, value] : c.quota_headers) res.set(name, value);
  std::string body;
  absl::Status read = co_await ReadWholeBody(exchange, &body);
  if (!read.ok()) {
    co_await ReplyUpstreamFailure(c, read, /*incomplete=*/true);
    co_return Usage{};
  }
  res.body() = std::move(body);
  if (!co_await c.writer.Write(res)) c.record.incomplete = true;
  // The client is not waiting for this.
  co_return c.route.google_native ? ParseGeminiUsage(res.body())
                                  : ParseJsonUsage(c.record.provider, res.body());
}

asio::awaitable<Usage> PassthroughHandler::RelayStream(
    Call& c, std::unique_ptr<UpstreamExchange>& exchange) {
  c.record.streaming = true;
  c.record.status_code = static_cast<int>(exchange->response().result_int());
  if (d_.metrics != nullptr) d_.metrics->active_streams().Increment();
  HttpStreamHeader head(static_cast<http::status>(c.record.status_code), 11);
  CopyResponseHeaders(*exchange, RequestIdHeader(c.surface), c.record.request_id, head);
  for (const auto& [name, value] : c.quota_headers) head.set(name, value);
  const Provider provider = c.record.provider;
  PassthroughStreamReader openai_style(provider, c.injected_usage);
  GeminiNativeStreamReader gemini;
  StreamReader& reader = c.route.google_native ? static_cast<StreamReader&>(gemini) : openai_style;
  // Named, not a temporary inside the co_await: GCC 12 destroys such temporaries twice.
  const std::function<void(double)> on_first_byte = [&](double seconds) {
    if (d_.metrics != nullptr) d_.metrics->ObserveTimeToFirstToken(provider, seconds);
  };
  StreamRelay relay =
      co_await RelayEventStream(exchange, c.writer, head, reader, c.start, on_first_byte);
  if (!relay.upstream_complete && !relay.upstream_error.ok() && d_.metrics != nullptr) {
    d_.metrics->CountUpstreamError(provider);
  }
  if (d_.metrics != nullptr) d_.metrics->active_streams().Decrement();
  c.record.ttft_ms = relay.ttft_ms;
  c.record.incomplete = !relay.client_ok || !relay.upstream_complete;
  co_return c.route.google_native ? gemini.usage() : openai_style.usage();
}

}  // namespace llmgw::gateway

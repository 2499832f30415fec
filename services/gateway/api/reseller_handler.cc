#include "services/gateway/api/reseller_handler.h"

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "libs/common/crypto.h"
#include "libs/common/log.h"
#include "nlohmann/json.hpp"
#include "services/gateway/api/settlement.h"
#include "services/gateway/api/upstream_relay.h"
#include "services/gateway/domain/json_fields.h"
#include "services/gateway/domain/reseller.h"
#include "services/gateway/domain/usage.h"

namespace llmgw::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr size_t kMaxErrorBody = 1 << 20;  // an upstream error body is read at most this far
constexpr std::string_view kApiKeyPrefix = "llm_sk_";
constexpr char kAnthropicVersion[] = "2023-06-01";

double SecondsSince(SteadyClock::time_point t) {
  return std::chrono::duration<double>(SteadyClock::now() - t).count();
}

// The credential of "Authorization: Bearer <key>"; empty when absent or another scheme.
std::string_view BearerToken(std::string_view header) {
  constexpr std::string_view kBearer = "bearer ";
  if (header.size() <= kBearer.size() ||
      !beast::iequals(header.substr(0, kBearer.size()), kBearer)) {
    return {};
  }
  std::string_view token = header.substr(kBearer.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return token;
}

HttpResponse JsonResponse(int status, std::string body, const char* id_header,
                          const std::string& request_id) {
  HttpResponse res(static_cast<http::status>(status), 11);
  res.set(http::field::content_type, "application/json");
  res.set(id_header, request_id);
  res.body() = std::move(body);
  return res;
}

HttpResponse JsonResponse(int status, std::string body, const std::string& request_id) {
  return JsonResponse(status, std::move(body), "x-request-id", request_id);
}

}  // namespace

// ---- options

std::set<Provider> ResellerOptions::Offered() const {
  std::set<Provider> out;
  for (Provider p : {Provider::kOpenAI, Provider::kAnthropic, Provider::kGoogle, Provider::kXai}) {
    if (!operator_keys[static_cast<size_t>(p)].empty()) out.insert(p);
  }
  return out;
}

// ---- the handler

// One reseller request, from authentication to the usage record.
struct ResellerHandler::Exchange {
  const ResellerSurface* surface = nullptr;
  ResponseWriter* writer = nullptr;
  SteadyClock::time_point start = SteadyClock::now();
  UsageRecord record;  // request id, organization, credential from the start; the rest as known

  Principal principal;

  // Set once routed to a provider.
  std::optional<ResellerTarget> target;
  CostBound bound;
  Admission admission;  // the rate limits and the hold (margin_percent: billing's, on the hold)
  HeaderValues quota_headers;  // the remaining-quota headers of the response
  bool went_upstream = false;
  std::string anthropic_beta;  // the client's anthropic-beta, for Claude

  // The outcome.
  bool upstream_succeeded = false;  // a 2xx response from the provider
  Usage usage;
  int64_t delivered_units = 0;  // see BilledTokens
  bool complete = false;        // the response reached its end, client included
};

ResellerHandler::ResellerHandler(Deps deps) : d_(std::move(deps)), offered_(d_.options.Offered()) {}

const ResellerSurface* ResellerHandler::SurfaceFor(RouteKind kind) const {
  switch (kind) {
    case RouteKind::kResellerChat:
      return &chat_;
    case RouteKind::kResellerResponses:
      return &responses_;
    case RouteKind::kResellerEmbeddings:
      return &embeddings_;
    case RouteKind::kResellerMessages:
    case RouteKind::kResellerCountTokens:
      return &messages_;
    default:
      return nullptr;  // GET /models
  }
}

asio::awaitable<void> ResellerHandler::Reply(Exchange& x, const ErrorSpec& spec, bool retry_after,
                                             bool should_retry) {
  const Surface surface = x.surface != nullptr ? x.surface->error_surface() : Surface::kOpenAI;
  HttpResponse res = ErrorResponse(surface, spec, x.record.request_id);
  if (retry_after) res.set(http::field::retry_after, "1");
  if (!should_retry) res.set("x-should-retry", "false");
  x.record.status_code = spec.http_status;
  // A request that went upstream is counted with its usage record.
  if (!x.went_upstream && d_.metrics != nullptr) {
    d_.metrics->CountRequest(x.target ? ProviderName(x.target->provider) : "", Mode::kReseller,
                             spec.http_status);
  }
  co_await x.writer->Write(res);
}

asio::awaitable<void> ResellerHandler::Refuse(Exchange& x, const Refusal& refusal) {
  const Surface surface = x.surface != nullptr ? x.surface->error_surface() : Surface::kOpenAI;
  HttpResponse res = ErrorResponse(surface, refusal.spec, x.record.request_id);
  if (refusal.retry_after_seconds > 0) {
    res.set(http::field::retry_after, std::to_string(refusal.retry_after_seconds));
  }
  if (!refusal.should_retry) res.set("x-should-retry", "false");
  for (const auto& [name, value] : refusal.headers) res.set(name, value);
  x.record.status_code = refusal.spec.http_status;
  if (d_.metrics != nullptr) {
    d_.metrics->CountRequest(x.target ? ProviderName(x.target->provider) : "", Mode::kReseller,
                             refusal.spec.http_status);
  }
  co_await x.writer->Write(res);
}

asio::awaitable<void> ResellerHandler::Handle(const Route& route, HttpRequest& req,
                                              ResponseWriter& writer) {
  Exchange x;
  x.writer = &writer;
  x.record.mode = Mode::kReseller;
  x.record.requested_at_unix_ms = d_.clock.NowUnixMs();
  x.record.request_id = crypto::RandomUuid();
  x.surface = SurfaceFor(route.kind);

  // The customer's llm_sk_ key (Authorization: Bearer, or x-api-key as the Anthropic SDK sends
  // it); nothing else is a reseller credential.
  std::string_view key = BearerToken(req[http::field::authorization]);
  if (key.empty()) key = req["x-api-key"];
  if (key.substr(0, kApiKeyPrefix.size()) != kApiKeyPrefix) {
    const ErrorSpec spec = InvalidApiKey();
    co_await Reply(x, spec, false, true);
    co_return;
  }
  AuthResult auth = co_await d_.auth.AuthenticateApiKey(key);
  if (auth.outcome != AuthResult::Outcome::kValid) {
    const bool invalid = auth.outcome == AuthResult::Outcome::kInvalid;
    // Named, not temporaries inside a co_await: GCC 12 destroys such temporaries twice.
    const ErrorSpec spec = invalid ? InvalidApiKey() : DependencyUnavailable("accounts");
    co_await Reply(x, spec, !invalid, true);
    co_return;
  }
  x.record.organization_id = auth.principal.organization_id;
  x.record.credential_id = auth.principal.credential_id;
  x.principal = std::move(auth.principal);

  if (x.surface == nullptr) {
    co_await Models(writer, x);
  } else if (route.kind == RouteKind::kResellerCountTokens) {
    co_await CountTokens(req, x);
  } else {
    co_await Serve(req, x);
  }
}

asio::awaitable<void> ResellerHandler::Models(ResponseWriter& writer, Exchange& x) {
  std::shared_ptr<const PriceTable> table = d_.prices.Current();
  if (table == nullptr) {
    HttpResponse res =
        ErrorResponse(Surface::kOpenAI, DependencyUnavailable("price book"), x.record.request_id);
    res.set(http::field::retry_after, "1");
    if (d_.metrics != nullptr) d_.metrics->CountRequest("", Mode::kReseller, 503);
    co_await writer.Write(res);
    co_return;
  }
  const int64_t now = d_.clock.NowUnixMs();
  const int margin = d_.prices.margin_percent();
  ordered_json data = ordered_json::array();
  std::set<std::string> seen;
  // Listed when a chat call would accept the id, with the prices it would be billed at.
  auto add = [&](const std::string& id) {
    if (seen.count(id)) return;
    auto target = ResolveResellerModel(id, *table, offered_, now);
    if (!target.ok() || target->price.deprecated) return;
    seen.insert(id);
    ordered_json m = ordered_json::object();
    m["id"] = id;
    m["object"] = "model";
    m["created"] = 0;
    m["owned_by"] = target->price.provider;
    m["pricing"] = ModelPricing(target->price, margin);
    data.push_back(std::move(m));
  };
  for (const PricedModel* m : table->Models(now)) {
    if (m->kind != "chat" || m->deprecated) continue;
    add(m->model);
    if (m->matcher != nullptr) {
      for (const std::string& alias : m->matcher->Aliases()) add(alias);
    }
  }
  for (const auto& [alias, upstream] : ResellerAliases()) add(alias);
  ordered_json body = ordered_json::object();
  body["object"] = "list";
  body["data"] = std::move(data);
  HttpResponse res = JsonResponse(200, Dump(body), x.record.request_id);
  if (d_.metrics != nullptr) d_.metrics->CountRequest("", Mode::kReseller, 200);
  co_await writer.Write(res);
}

asio::awaitable<void> ResellerHandler::Serve(HttpRequest& req, Exchange& x) {
  const ResellerSurface& surface = *x.surface;
  // 1. The request, as the surface's API defines it.
  const size_t body_bytes = req.body().size();
  json body = json::parse(req.body(), nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    const ErrorSpec spec = BadRequest("The request body must be a JSON object.");
    co_await Reply(x, spec, false, true);
    co_return;
  }
  absl::StatusOr<ClientRequest> client = surface.Parse(body);
  if (!client.ok()) {
    const ErrorSpec spec = BadRequest(std::string(client.status().message()));
    co_await Reply(x, spec, false, true);
    co_return;
  }
  x.record.streaming = client->stream;

  // 2. Routing by model over the price book.
  std::shared_ptr<const PriceTable> table = d_.prices.Current();
  if (table == nullptr) {
    const ErrorSpec spec = DependencyUnavailable("price book");
    co_await Reply(x, spec, true, true);
    co_return;
  }
  auto resolved = ResolveResellerModel(client->model, *table, offered_,
                                       x.record.requested_at_unix_ms, surface.model_kind());
  if (!resolved.ok()) {
    const ErrorSpec spec = ModelNotFound(client->model);
    co_await Reply(x, spec, false, true);
    co_return;
  }
  x.target = *std::move(resolved);
  x.record.provider = x.target->provider;
  x.record.model = x.target->upstream_model;  // the by-model view then matches the price book
  x.record.endpoint = std::string(surface.endpoint());

  // 3. The provider's request (before the hold: a request that cannot be translated costs
  // nothing).
  absl::StatusOr<UpstreamCall> call = surface.Upstream(body, *x.target);
  if (!call.ok()) {
    const ErrorSpec spec = BadRequest(std::string(call.status().message()));
    co_await Reply(x, spec, false, true);
    co_return;
  }

  // 4. The controls: the rate limits, then the hold (balance and budgets): no hold, no call.
  x.bound = surface.Bound(body, body_bytes, x.target->price);
  x.admission = co_await d_.controls.Admit(x.principal, x.record.request_id, x.bound,
                                           /*reseller=*/true, surface.error_surface());
  if (x.admission.refusal) {
    co_await Refuse(x, *x.admission.refusal);
    co_return;
  }
  x.quota_headers =
      d_.controls.SuccessHeaders(x.admission, surface.error_surface(), /*native=*/true);
  if (auto beta = req.find("anthropic-beta"); beta != req.end()) {
    x.anthropic_beta = std::string(beta->value());
  }

  // 5. The provider's answer, relayed in the surface's shape.
  co_await CallProvider(body, client->model, *call, x);
  co_await Finish(x);
}

asio::awaitable<void> ResellerHandler::CountTokens(HttpRequest& req, Exchange& x) {
  // Claude counts its own tokens for free: no hold, no charge, no usage record.
  json body = json::parse(req.body(), nullptr, false);
  const std::string model = body.is_object() && body.contains("model") && body["model"].is_string()
                                ? body["model"].get<std::string>()
                                : "";
  std::shared_ptr<const PriceTable> table = d_.prices.Current();
  auto target = table ? ResolveResellerModel(model, *table, offered_, x.record.requested_at_unix_ms)
                      : absl::UnavailableError("price book");
  if (!target.ok() || target->provider != Provider::kAnthropic) {
    const ErrorSpec spec = model.empty()           ? BadRequest("model: Field required")
                           : !target.ok() && table ? ModelNotFound(model)
                           : !target.ok()
                               ? DependencyUnavailable("price book")
                               : BadRequest("count_tokens is available for Claude models only.");
    co_await Reply(x, spec, table == nullptr, true);
    co_return;
  }
  body["model"] = target->upstream_model;
  const UpstreamEndpoint& endpoint = d_.endpoints[static_cast<size_t>(Provider::kAnthropic)];
  HttpRequest up(http::verb::post, endpoint.base_path + "/v1/messages/count_tokens", 11);
  up.set(http::field::host, endpoint.host_header);
  up.set(http::field::content_type, "application/json");
  up.set(http::field::accept_encoding, "identity");
  up.set("x-api-key", d_.options.operator_keys[static_cast<size_t>(Provider::kAnthropic)]);
  up.set("anthropic-version", kAnthropicVersion);
  up.keep_alive(true);
  up.body() = Dump(body);
  up.prepare_payload();
  auto started = co_await d_.upstream.Start(endpoint, up);
  int status = 0;
  std::string raw;
  absl::Status read = started.status();
  if (started.ok()) {
    status = static_cast<int>((*started)->response().result_int());
    read = co_await ReadWholeBody(*started, &raw, kMaxErrorBody);
  }
  if (!read.ok()) {
    const ErrorSpec spec = UpstreamUnavailable("anthropic");
    co_await Reply(x, spec, false, true);
    co_return;
  }
  if (status < 200 || status >= 300) {
    const ErrorSpec spec = AnthropicErrorFromAnthropic(status, raw);
    co_await Reply(x, spec, false, true);
    co_return;
  }
  HttpResponse res = JsonResponse(status, std::move(raw), "request-id", x.record.request_id);
  if (d_.metrics != nullptr) d_.metrics->CountRequest("anthropic", Mode::kReseller, status);
  co_await x.writer->Write(res);
}

asio::awaitable<void> ResellerHandler::CallProvider(const json& body,
                                                    const std::string& client_model,
                                                    UpstreamCall& call, Exchange& x) {
  const Provider provider = x.target->provider;
  const std::string_view label = ProviderName(provider);
  // The operator's key; nothing of the customer's request headers.
  const UpstreamEndpoint& endpoint = d_.endpoints[static_cast<size_t>(provider)];
  const std::string& operator_key = d_.options.operator_keys[static_cast<size_t>(provider)];
  HttpRequest up(http::verb::post, endpoint.base_path + call.path, 11);
  up.set(http::field::host, endpoint.host_header);
  up.set(http::field::content_type, "application/json");
  up.set(http::field::accept_encoding, "identity");
  if (provider == Provider::kAnthropic) {
    up.set("x-api-key", operator_key);
    up.set("anthropic-version", kAnthropicVersion);
    if (!x.anthropic_beta.empty()) up.set("anthropic-beta", x.anthropic_beta);
  } else {
    up.set(http::field::authorization, "Bearer " + operator_key);
  }
  up.keep_alive(true);
  up.body() = call.body;
  up.prepare_payload();

  x.went_upstream = true;
  auto started = co_await d_.upstream.Start(endpoint, up);
  if (!started.ok()) {
    if (d_.metrics != nullptr) d_.metrics->CountUpstreamError(provider);
    log::Warn("upstream request failed", {{"provider", label},
                                          {"error", std::string(started.status().message())},
                                          {"request_id", x.record.request_id}});
    const ErrorSpec spec = started.status().code() == absl::StatusCode::kDeadlineExceeded
                               ? UpstreamTimeout(label)
                               : UpstreamUnavailable(label);
    co_await Reply(x, spec, false, true);
    co_return;
  }
  std::unique_ptr<UpstreamExchange>& exchange = *started;
  const int status = static_cast<int>(exchange->response().result_int());
  const int64_t created = d_.clock.NowUnixMs() / 1000;
  if (status < 200 || status >= 300) {
    // Failed before any output: the hold is voided, the error reshaped for the client's SDK.
    const std::string retry_after(exchange->response()[http::field::retry_after]);
    std::string error_body;
    absl::Status read = co_await ReadWholeBody(exchange, &error_body, kMaxErrorBody);
    ErrorSpec spec = x.surface->UpstreamError(provider, status, error_body);
    if (!read.ok()) spec.message = "upstream error";
    HttpResponse res = ErrorResponse(x.surface->error_surface(), spec, x.record.request_id);
    if (spec.http_status == 429 && !retry_after.empty()) {
      res.set(http::field::retry_after, retry_after);
    }
    x.record.status_code = spec.http_status;
    co_await x.writer->Write(res);
    co_return;
  }
  x.record.status_code = status;
  if (!IsEventStream(exchange->response()[http::field::content_type])) {
    co_await RespondJson(exchange, client_model, created, x);
  } else {
    co_await RespondStream(exchange, body, call, client_model, created, x);
  }
}

asio::awaitable<void> ResellerHandler::RespondJson(std::unique_ptr<UpstreamExchange>& exchange,
                                                   const std::string& client_model, int64_t created,
                                                   Exchange& x) {
  const Provider provider = x.target->provider;
  std::string raw;
  absl::Status read = co_await ReadWholeBody(exchange, &raw);
  if (!read.ok() || !json::parse(raw, nullptr, false).is_object()) {
    if (d_.metrics != nullptr) d_.metrics->CountUpstreamError(provider);
    const std::string_view label = ProviderName(provider);
    const ErrorSpec spec = read.code() == absl::StatusCode::kDeadlineExceeded
                               ? UpstreamTimeout(label)
                               : UpstreamUnavailable(label);
    co_await Reply(x, spec, false, true);
    co_return;
  }
  x.upstream_succeeded = true;
  x.usage = ParseJsonUsage(provider, raw);
  std::string out =
      x.surface->Respond(std::move(raw), *x.target, client_model, created, &x.delivered_units);
  HttpResponse res = JsonResponse(x.record.status_code, std::move(out),
                                  RequestIdHeader(x.surface->error_surface()), x.record.request_id);
  for (const auto& [name, value] : x.quota_headers) res.set(name, value);
  x.complete = co_await x.writer->Write(res);
}

asio::awaitable<void> ResellerHandler::RespondStream(std::unique_ptr<UpstreamExchange>& exchange,
                                                     const json& body, const UpstreamCall& call,
                                                     const std::string& client_model,
                                                     int64_t created, Exchange& x) {
  const Provider provider = x.target->provider;
  x.upstream_succeeded = true;
  x.record.streaming = true;
  if (d_.metrics != nullptr) d_.metrics->active_streams().Increment();
  HttpStreamHeader head(static_cast<http::status>(x.record.status_code), 11);
  head.set(http::field::content_type, "text/event-stream");
  head.set(http::field::cache_control, "no-cache");
  head.set(RequestIdHeader(x.surface->error_surface()), x.record.request_id);
  for (const auto& [name, value] : x.quota_headers) head.set(name, value);
  std::unique_ptr<ResellerStreamReader> reader =
      x.surface->Stream(body, *x.target, call, client_model, created);
  // Named, not a temporary inside the co_await: GCC 12 destroys such temporaries twice.
  const std::function<void(double)> on_first_byte = [&](double seconds) {
    if (d_.metrics != nullptr) d_.metrics->ObserveTimeToFirstToken(provider, seconds);
  };
  StreamRelay relay =
      co_await RelayEventStream(exchange, *x.writer, head, *reader, x.start, on_first_byte);
  if (!relay.upstream_complete && !relay.upstream_error.ok()) {
    if (d_.metrics != nullptr) d_.metrics->CountUpstreamError(provider);
    log::Warn("reseller upstream stream broke",
              {{"provider", ProviderName(provider)},
               {"code", static_cast<int>(relay.upstream_error.code())},
               {"request_id", x.record.request_id}});
  }
  if (d_.metrics != nullptr) d_.metrics->active_streams().Decrement();
  x.record.ttft_ms = relay.ttft_ms;
  x.complete = relay.client_ok && relay.upstream_complete && reader->complete();
  x.usage = reader->usage();
  x.delivered_units = reader->delivered_units();
}

asio::awaitable<void> ResellerHandler::Finish(Exchange& x) {
  UsageRecord& rec = x.record;
  const ResellerTarget& target = *x.target;
  rec.tokens = x.usage.tokens;
  const bool charge = x.upstream_succeeded && (x.usage.found || x.delivered_units > 0);
  std::optional<money::Nano> settle_cost;  // nullopt: the hold is voided
  if (charge) {
    rec.tokens = BilledTokens(x.usage, x.complete, x.delivered_units, x.bound);
    rec.provider_cost = PriceOf(rec.tokens, target.price);
    // Billing adds the same margin (the hold's percent, money::MarginOf) when the settle lands;
    // the request does not wait for it (clients/settle_queue).
    rec.margin = money::MarginOf(rec.provider_cost, x.admission.margin_percent);
    rec.cost = rec.provider_cost + rec.margin;
    settle_cost = rec.provider_cost;
  }
  d_.controls.Finish(x.admission, rec.request_id,
                     rec.tokens.input + rec.tokens.output, settle_cost, target.upstream_model);
  if (!x.went_upstream) co_return;
  rec.price_id = target.price.price_id;
  rec.incomplete = x.upstream_succeeded && !x.complete;
  rec.latency_seconds = SecondsSince(x.start);
  if (d_.metrics != nullptr) d_.metrics->Record(rec);
  d_.usage.Record(rec);
}

}  // namespace llmgw::gateway

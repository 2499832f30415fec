#include "services/gateway/api/reseller_handler.h"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
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
#include "services/gateway/domain/reseller.h"
#include "services/gateway/domain/sse.h"
#include "services/gateway/domain/translate.h"
#include "services/gateway/domain/usage.h"

namespace llmgw::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr size_t kReadChunk = 4096;
constexpr size_t kMaxErrorBody = 1 << 20;  // an upstream error body is read at most this far
constexpr std::string_view kApiKeyPrefix = "llm_sk_";
constexpr char kAnthropicVersion[] = "2023-06-01";
constexpr char kStreamBrokenChunk[] =
    "data: {\"error\":{\"message\":\"The upstream stream ended before completion.\","
    "\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n";

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

template <typename J>
std::string Dump(const J& j) {
  return j.dump(-1, ' ', false, J::error_handler_t::replace);
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

// Runs `start(done)` (an asynchronous call whose `done(T)` may run on any thread) and resumes
// the calling coroutine on its own executor with the result.
template <typename T, typename Start>
asio::awaitable<T> OnThisExecutor(Start start) {
  return asio::async_initiate<decltype(asio::use_awaitable), void(T)>(
      [start = std::move(start)](auto handler) mutable {
        auto ex = asio::get_associated_executor(handler);
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        start([h, ex](T result) {
          asio::post(ex, [h, r = std::move(result)]() mutable { (*h)(std::move(r)); });
        });
      },
      asio::use_awaitable);
}

asio::awaitable<void> Sleep(std::chrono::milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

// Reads the rest of the body into `body` (at most `limit` bytes are kept).
asio::awaitable<absl::Status> ReadAll(UpstreamExchange& exchange, std::string* body, size_t limit) {
  if (auto cl = exchange.response().payload_size(); cl && *cl <= limit) body->reserve(*cl);
  std::string buf(16384, '\0');
  while (!exchange.done()) {
    auto n = co_await exchange.ReadSome(buf.data(), buf.size());
    if (!n.ok()) co_return n.status();
    if (body->size() < limit) body->append(buf.data(), std::min(*n, limit - body->size()));
  }
  co_return absl::OkStatus();
}

// An OpenAI-compatible provider's error (OpenAI, Gemini's OpenAI endpoint, xAI) as the customer
// sees it. Failures of the operator's key or account are the gateway's problem, not the
// customer's: 502.
ErrorSpec OpenAIErrorFromOpenAIStyle(int status, const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_array() && !j.empty()) j = j[0];  // Gemini sometimes wraps the error in a list
  std::string message = "upstream error", type, code;
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    const json& e = j["error"];
    if (e.contains("message") && e["message"].is_string()) message = e["message"];
    if (e.contains("type") && e["type"].is_string()) type = e["type"];
    if (e.contains("code") && e["code"].is_string()) code = e["code"];
  }
  if (status == 401 || status == 403 || code == "insufficient_quota") {
    return {502, "api_error", "upstream_auth_failed",
            "The gateway could not use its account with the provider.", ""};
  }
  if (status >= 500) return {502, "server_error", code, message, ""};
  if (status == 429) {
    return {429, type.empty() ? "rate_limit_error" : type,
            code.empty() ? "rate_limit_exceeded" : code, message, ""};
  }
  return {status >= 400 ? status : 502, type.empty() ? "invalid_request_error" : type, code,
          message, ""};
}

// Bytes of the generated text and tool-call arguments of an OpenAI chat.completion.
template <typename J>
int64_t CompletionBytes(const J& completion) {
  int64_t n = 0;
  if (!completion.is_object() || !completion.contains("choices") ||
      !completion["choices"].is_array()) {
    return 0;
  }
  for (const auto& c : completion["choices"]) {
    if (!c.is_object() || !c.contains("message") || !c["message"].is_object()) continue;
    const auto& m = c["message"];
    if (m.contains("content") && m["content"].is_string()) {
      n += static_cast<int64_t>(m["content"].template get_ref<const std::string&>().size());
    }
    if (m.contains("tool_calls") && m["tool_calls"].is_array()) {
      for (const auto& call : m["tool_calls"]) {
        if (call.is_object() && call.contains("function") && call["function"].is_object() &&
            call["function"].contains("arguments") && call["function"]["arguments"].is_string()) {
          n += static_cast<int64_t>(
              call["function"]["arguments"].template get_ref<const std::string&>().size());
        }
      }
    }
  }
  return n;
}

// Whether an OpenAI chunk carries generated content (text, refusal or tool-call arguments).
template <typename J>
bool ChunkHasOutput(const J& chunk) {
  if (!chunk.contains("choices") || !chunk["choices"].is_array()) return false;
  for (const auto& c : chunk["choices"]) {
    if (!c.is_object() || !c.contains("delta") || !c["delta"].is_object()) continue;
    const auto& d = c["delta"];
    for (const char* k : {"content", "refusal"}) {
      if (d.contains(k) && d[k].is_string() &&
          !d[k].template get_ref<const std::string&>().empty()) {
        return true;
      }
    }
    if (d.contains("tool_calls") && d["tool_calls"].is_array() && !d["tool_calls"].empty()) {
      return true;
    }
  }
  return false;
}

// The tokens a reseller request is billed for.
//  - A complete response: exactly the usage the provider reported.
//  - Otherwise (an interrupted stream, or a provider that reported no usage), the documented
//    fallback, so that delivered output is never free:
//      input  = the reported input, or, when the provider reported none, the hold's input bound
//               (request bytes + per-message framing + per-image bound: BoundChatCost);
//      output = at least `delivered_units`: the number of content / tool-argument deltas relayed
//               to the client (streams: every delta carries at least one token), or the bytes
//               of generated text and arguments (a non-streaming body: a token covers at least
//               one byte).
//  - No usage reported and nothing delivered: nothing is charged (the caller voids the hold).
money::TokenCounts BilledTokens(const Usage& usage, bool complete, int64_t delivered_units,
                                const CostBound& bound) {
  if (usage.found && complete) return usage.tokens;
  money::TokenCounts t = usage.found ? usage.tokens : money::TokenCounts{};
  if (!usage.found) t.input = bound.input_tokens;
  t.output = std::max(t.output, delivered_units);
  return t;
}

bool Retryable(absl::StatusCode code) {
  return code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kDeadlineExceeded;
}

}  // namespace

// ---- options and metrics

std::set<Provider> ResellerOptions::Offered() const {
  std::set<Provider> out;
  for (Provider p : {Provider::kOpenAI, Provider::kAnthropic, Provider::kGoogle, Provider::kXai}) {
    if (!operator_keys[static_cast<size_t>(p)].empty()) out.insert(p);
  }
  return out;
}

std::chrono::milliseconds SettleRetryDelay(const ResellerOptions& options, int attempt) {
  std::chrono::milliseconds delay = options.settle_backoff;
  for (int i = 1; i < attempt && delay < options.settle_backoff_max; ++i) delay *= 2;
  return std::min(delay, options.settle_backoff_max);
}

ResellerMetrics::ResellerMetrics(prometheus::Registry& registry)
    : holds_refused_(prometheus::BuildCounter()
                         .Name("llmgw_gateway_holds_refused_total")
                         .Help("Reseller requests refused because the balance could not cover "
                               "the hold (429 insufficient_quota)")
                         .Register(registry)
                         .Add({})),
      settle_failures_(prometheus::BuildCounter()
                           .Name("llmgw_gateway_settle_failures_total")
                           .Help("Reseller settles that failed after retries (the hold is left "
                                 "to billing's sweeper)")
                           .Register(registry)
                           .Add({})) {}

// ---- the handler

// One reseller request, from authentication to the usage event.
struct ResellerHandler::Exchange {
  SteadyClock::time_point start = SteadyClock::now();
  int64_t requested_at = 0;
  std::string request_id;
  Principal principal;

  // Set once routed to a provider.
  std::optional<ResellerTarget> target;
  bool stream = false;
  CostBound bound;
  bool held = false;
  bool went_upstream = false;

  // The outcome.
  int status_code = 0;
  bool upstream_succeeded = false;  // a 2xx response from the provider
  Usage usage;
  int64_t delivered_units = 0;  // see BilledTokens
  bool complete = false;        // the response reached its end, client included
  int64_t ttft_ms = 0;
};

ResellerHandler::ResellerHandler(Deps deps) : d_(std::move(deps)), offered_(d_.options.Offered()) {}

namespace {

HttpResponse JsonResponse(int status, std::string body, const std::string& request_id) {
  HttpResponse res(static_cast<http::status>(status), 11);
  res.set(http::field::content_type, "application/json");
  res.set("x-request-id", request_id);
  res.body() = std::move(body);
  return res;
}

}  // namespace

asio::awaitable<void> ResellerHandler::Handle(const Route& route, HttpRequest& req,
                                              ResponseWriter& writer) {
  Exchange x;
  x.requested_at = d_.clock.NowUnixMs();
  x.request_id = crypto::RandomUuid();

  auto reply = [&](const ErrorSpec& spec, bool retry_after) -> asio::awaitable<void> {
    HttpResponse res = ErrorResponse(Surface::kOpenAI, spec, x.request_id);
    if (retry_after) res.set(http::field::retry_after, "1");
    if (d_.metrics != nullptr) d_.metrics->CountRequest("", Mode::kReseller, spec.http_status);
    co_await writer.Write(res);
  };

  // The customer's llm_sk_ key; nothing else is a reseller credential.
  std::string_view key = BearerToken(req[http::field::authorization]);
  if (key.substr(0, kApiKeyPrefix.size()) != kApiKeyPrefix) {
    co_await reply(InvalidApiKey(), false);
    co_return;
  }
  AuthResult auth = co_await d_.auth.AuthenticateApiKey(key);
  if (auth.outcome == AuthResult::Outcome::kInvalid) {
    co_await reply(InvalidApiKey(), false);
    co_return;
  }
  if (auth.outcome == AuthResult::Outcome::kUnavailable) {
    co_await reply(DependencyUnavailable("accounts"), true);
    co_return;
  }
  x.principal = auth.principal;

  if (route.kind == RouteKind::kResellerModels) {
    co_await Models(writer, x);
  } else {
    co_await Chat(req, writer, x);
  }
}

asio::awaitable<void> ResellerHandler::Models(ResponseWriter& writer, Exchange& x) {
  std::shared_ptr<const PriceTable> table = d_.prices.Current();
  if (table == nullptr) {
    HttpResponse res =
        ErrorResponse(Surface::kOpenAI, DependencyUnavailable("price book"), x.request_id);
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
  HttpResponse res = JsonResponse(200, Dump(body), x.request_id);
  if (d_.metrics != nullptr) d_.metrics->CountRequest("", Mode::kReseller, 200);
  co_await writer.Write(res);
}

asio::awaitable<void> ResellerHandler::Chat(HttpRequest& req, ResponseWriter& writer, Exchange& x) {
  std::string provider_label;  // "" until routed
  auto reply = [&](const ErrorSpec& spec, bool retry_after) -> asio::awaitable<void> {
    HttpResponse res = ErrorResponse(Surface::kOpenAI, spec, x.request_id);
    if (retry_after) res.set(http::field::retry_after, "1");
    if (d_.metrics != nullptr) {
      d_.metrics->CountRequest(provider_label, Mode::kReseller, spec.http_status);
    }
    co_await writer.Write(res);
  };

  // 1. The body: a JSON object with a model and messages.
  const size_t body_bytes = req.body().size();
  json body = json::parse(req.body(), nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    co_await reply(BadRequest("The request body must be a JSON object."), false);
    co_return;
  }
  if (!body.contains("model") || !body["model"].is_string() ||
      body["model"].get_ref<const std::string&>().empty()) {
    co_await reply(BadRequest("You must provide a model parameter."), false);
    co_return;
  }
  if (!body.contains("messages") || !body["messages"].is_array()) {
    co_await reply(BadRequest("'messages' is a required property and must be an array."), false);
    co_return;
  }
  // "n" multiplies the output: refused out of range before anything is held or sent.
  if (absl::StatusOr<int64_t> choices = ChoiceCount(body); !choices.ok()) {
    co_await reply(BadRequest(std::string(choices.status().message())), false);
    co_return;
  }
  const std::string client_model = body["model"].get<std::string>();

  // 2. Routing by model over the price book.
  std::shared_ptr<const PriceTable> table = d_.prices.Current();
  if (table == nullptr) {
    co_await reply(DependencyUnavailable("price book"), true);
    co_return;
  }
  auto resolved = ResolveResellerModel(client_model, *table, offered_, x.requested_at);
  if (!resolved.ok()) {
    co_await reply(ModelNotFound(client_model), false);
    co_return;
  }
  x.target = *std::move(resolved);
  const ResellerTarget& target = *x.target;
  const Provider provider = target.provider;
  const bool anthropic = provider == Provider::kAnthropic;
  provider_label = std::string(ProviderName(provider));

  auto stream_it = body.find("stream");
  x.stream = stream_it != body.end() && stream_it->is_boolean() && stream_it->get<bool>();
  bool client_wants_usage = false;
  if (auto so = body.find("stream_options"); so != body.end() && so->is_object()) {
    auto iu = so->find("include_usage");
    client_wants_usage = iu != so->end() && iu->is_boolean() && iu->get<bool>();
  }

  // 3. The upstream body (before the hold: a request that cannot be translated costs nothing).
  std::string upstream_body;
  std::string upstream_path;
  bool injected_usage = false;
  if (anthropic) {
    const int64_t default_max =
        target.price.max_output_tokens > 0 ? target.price.max_output_tokens : 4096;
    auto translated = OpenAIToAnthropicRequest(body, target.upstream_model, default_max);
    if (!translated.ok()) {
      co_await reply(BadRequest(std::string(translated.status().message())), false);
      co_return;
    }
    upstream_body = Dump(*translated);
    upstream_path = "/v1/messages";
  } else {
    json out = body;
    out["model"] = target.upstream_model;
    if (x.stream && !client_wants_usage) {
      // The usage arrives only when asked for; the extra chunk is dropped from the relay.
      if (!out.contains("stream_options") || !out["stream_options"].is_object()) {
        out["stream_options"] = json::object();
      }
      out["stream_options"]["include_usage"] = true;
      injected_usage = true;
    }
    upstream_body = Dump(out);
    upstream_path = "/chat/completions";
  }

  // 4. The hold: no hold, no upstream call.
  x.bound = BoundChatCost(body, body_bytes, target.price);
  const money::Nano bound_cost = std::max<money::Nano>(1, x.bound.provider_cost);
  // Named, not temporaries inside the co_await: GCC 12 destroys such temporaries twice.
  auto hold_call = [this, org = x.principal.organization_id, id = x.request_id,
                    bound_cost](BillingHolds::Done<absl::StatusOr<HoldReceipt>> done) {
    d_.billing.Hold(org, id, bound_cost, std::move(done));
  };
  auto hold_op = OnThisExecutor<absl::StatusOr<HoldReceipt>>(std::move(hold_call));
  absl::StatusOr<HoldReceipt> hold = co_await std::move(hold_op);
  if (!hold.ok()) {
    if (hold.status().code() == absl::StatusCode::kResourceExhausted) {
      if (d_.reseller_metrics != nullptr) d_.reseller_metrics->CountHoldRefused();
      HttpResponse res = ErrorResponse(Surface::kOpenAI, InsufficientQuota(), x.request_id);
      res.set("x-should-retry", "false");
      if (d_.metrics != nullptr) d_.metrics->CountRequest(provider_label, Mode::kReseller, 429);
      co_await writer.Write(res);
      co_return;
    }
    log::Warn("billing hold failed; refusing the request",
              {{"code", static_cast<int>(hold.status().code())},
               {"error", std::string(hold.status().message())},
               {"request_id", x.request_id}});
    // A Hold that timed out or was cut off may still have committed in billing: release it now
    // rather than when it expires. Fire and forget (Void is idempotent; a failure leaves the hold
    // to billing's sweeper, as before).
    d_.billing.Void(x.request_id, [](absl::Status) {});
    co_await reply(DependencyUnavailable("billing"), true);
    co_return;
  }
  x.held = true;

  // 5. The upstream call with the operator's key; nothing of the customer's request headers.
  const UpstreamEndpoint& endpoint = d_.endpoints[static_cast<size_t>(provider)];
  const std::string& operator_key = d_.options.operator_keys[static_cast<size_t>(provider)];
  HttpRequest up(http::verb::post, endpoint.base_path + upstream_path, 11);
  up.set(http::field::host, endpoint.host_header);
  up.set(http::field::content_type, "application/json");
  up.set(http::field::accept_encoding, "identity");
  if (anthropic) {
    up.set("x-api-key", operator_key);
    up.set("anthropic-version", kAnthropicVersion);
  } else {
    up.set(http::field::authorization, "Bearer " + operator_key);
  }
  up.keep_alive(true);
  up.body() = std::move(upstream_body);
  up.prepare_payload();

  x.went_upstream = true;
  auto started = co_await d_.upstream.Start(endpoint, up);
  if (!started.ok()) {
    if (d_.metrics != nullptr) d_.metrics->CountUpstreamError(provider);
    ErrorSpec spec = started.status().code() == absl::StatusCode::kDeadlineExceeded
                         ? UpstreamTimeout(provider_label)
                         : UpstreamUnavailable(provider_label);
    log::Warn("upstream request failed", {{"provider", provider_label},
                                          {"error", std::string(started.status().message())},
                                          {"request_id", x.request_id}});
    x.status_code = spec.http_status;
    co_await reply(spec, false);
    co_await Finish(x);
    co_return;
  }
  std::unique_ptr<UpstreamExchange> exchange = *std::move(started);
  const int upstream_status = static_cast<int>(exchange->response().result_int());
  const bool sse = IsEventStream(exchange->response()[http::field::content_type]);
  const int64_t created = d_.clock.NowUnixMs() / 1000;

  if (upstream_status < 200 || upstream_status >= 300) {
    // Failed before any output: the hold is voided, the error reshaped for an OpenAI SDK.
    std::string error_body;
    absl::Status read = co_await ReadAll(*exchange, &error_body, kMaxErrorBody);
    const std::string retry_after(exchange->response()[http::field::retry_after]);
    exchange.reset();
    ErrorSpec spec = anthropic ? OpenAIErrorFromAnthropic(upstream_status, error_body)
                               : OpenAIErrorFromOpenAIStyle(upstream_status, error_body);
    if (!read.ok()) spec.message = "upstream error";
    x.status_code = spec.http_status;
    HttpResponse res = ErrorResponse(Surface::kOpenAI, spec, x.request_id);
    if (spec.http_status == 429 && !retry_after.empty())
      res.set(http::field::retry_after, retry_after);
    if (d_.metrics != nullptr)
      d_.metrics->CountRequest(provider_label, Mode::kReseller, x.status_code);
    co_await writer.Write(res);
    co_await Finish(x);
    co_return;
  }

  if (!sse) {
    // 6a. A whole JSON response.
    std::string raw;
    absl::Status read = co_await ReadAll(*exchange, &raw, SIZE_MAX);
    exchange.reset();  // back to the pool before writing to the client
    json parsed = read.ok() ? json::parse(raw, nullptr, false) : json();
    if (!read.ok() || !parsed.is_object()) {
      if (d_.metrics != nullptr) d_.metrics->CountUpstreamError(provider);
      ErrorSpec spec = read.code() == absl::StatusCode::kDeadlineExceeded
                           ? UpstreamTimeout(provider_label)
                           : UpstreamUnavailable(provider_label);
      x.status_code = spec.http_status;
      co_await reply(spec, false);
      co_await Finish(x);
      co_return;
    }
    x.upstream_succeeded = true;
    x.usage = ParseJsonUsage(provider, raw);
    std::string out;
    if (anthropic) {
      json completion = AnthropicToOpenAIResponse(parsed, client_model, created);
      x.delivered_units = CompletionBytes(completion);
      out = Dump(completion);
    } else {
      ordered_json completion = ordered_json::parse(raw, nullptr, false);
      x.delivered_units = CompletionBytes(completion);
      if (completion.is_object()) {
        completion["model"] = client_model;
        out = Dump(completion);
      } else {
        out = std::move(raw);
      }
    }
    x.status_code = upstream_status;
    HttpResponse res = JsonResponse(upstream_status, std::move(out), x.request_id);
    if (d_.metrics != nullptr)
      d_.metrics->CountRequest(provider_label, Mode::kReseller, x.status_code);
    x.complete = co_await writer.Write(res);
    co_await Finish(x);
    co_return;
  }

  // 6b. A stream, relayed event by event in OpenAI's chunk format.
  x.upstream_succeeded = true;
  x.status_code = upstream_status;
  if (d_.metrics != nullptr) d_.metrics->active_streams().Increment();
  HttpStreamHeader head(static_cast<http::status>(upstream_status), 11);
  head.set(http::field::content_type, "text/event-stream");
  head.set(http::field::cache_control, "no-cache");
  head.set("x-request-id", x.request_id);
  bool client_ok = co_await writer.StartChunked(head);

  SseParser parser;
  StreamUsageTracker tracker(provider, injected_usage);
  std::optional<AnthropicToOpenAIStream> translator;
  if (anthropic) translator.emplace(client_model, created, client_wants_usage);
  std::string out;
  auto on_event = [&](SseEvent&& e) {
    if (anthropic) {
      tracker.OnEvent(e);
      std::vector<std::string> frames = translator->OnEvent(e);
      if (e.event == "content_block_delta" && !frames.empty()) ++x.delivered_units;
      for (auto& f : frames) out += f;
      return;
    }
    if (!tracker.OnEvent(e)) return;  // the injected usage chunk
    if (e.data.empty() || e.data == "[DONE]") {
      out += e.raw;
      return;
    }
    ordered_json chunk = ordered_json::parse(e.data, nullptr, false);
    if (!chunk.is_object()) {
      out += e.raw;
      return;
    }
    if (ChunkHasOutput(chunk)) ++x.delivered_units;
    if (chunk.contains("model")) chunk["model"] = client_model;
    out += "data: ";
    out += Dump(chunk);
    out += "\n\n";
  };

  std::string buf(kReadChunk, '\0');
  bool upstream_ok = true;
  bool first = true;
  absl::StatusCode upstream_error = absl::StatusCode::kOk;
  while (client_ok && !exchange->done()) {
    auto n = co_await exchange->ReadSome(buf.data(), buf.size());
    if (!n.ok()) {
      upstream_ok = false;
      upstream_error = n.status().code();
      break;
    }
    parser.Feed(std::string_view(buf.data(), *n), on_event);
    if (!out.empty()) {
      client_ok = co_await writer.WriteChunk(out);
      out.clear();
      if (first) {
        first = false;
        x.ttft_ms = MsSince(x.start);
        if (d_.metrics != nullptr) {
          d_.metrics->ObserveTimeToFirstToken(provider, SecondsSince(x.start));
        }
      }
    }
  }
  const bool upstream_done = upstream_ok && exchange->done();
  if (upstream_done) parser.Finish(on_event);
  exchange.reset();  // closed unless the body was read completely: the provider stops generating
  const bool terminal = anthropic ? translator->done() : tracker.saw_terminal();
  if (client_ok && !terminal) out += kStreamBrokenChunk;  // errors after the 200 go in-band
  if (client_ok && !out.empty()) client_ok = co_await writer.WriteChunk(out);
  if (client_ok) client_ok = co_await writer.EndChunked();
  if (!upstream_ok && d_.metrics != nullptr) d_.metrics->CountUpstreamError(provider);
  if (!upstream_ok) {
    log::Warn("reseller upstream stream broke", {{"provider", provider_label},
                                                 {"code", static_cast<int>(upstream_error)},
                                                 {"request_id", x.request_id}});
  }
  x.complete = client_ok && upstream_done && terminal && !tracker.saw_error();
  x.usage = tracker.usage();
  if (d_.metrics != nullptr) {
    d_.metrics->active_streams().Decrement();
    d_.metrics->CountRequest(provider_label, Mode::kReseller, x.status_code);
  }
  co_await Finish(x);
}

asio::awaitable<void> ResellerHandler::Finish(Exchange& x) {
  const ResellerTarget& target = *x.target;
  const std::string provider_label(ProviderName(target.provider));
  money::TokenCounts tokens = x.usage.tokens;
  money::Nano provider_cost = 0;
  std::optional<SettleReceipt> receipt;

  const bool charge = x.upstream_succeeded && (x.usage.found || x.delivered_units > 0);
  if (x.held && charge) {
    tokens = BilledTokens(x.usage, x.complete, x.delivered_units, x.bound);
    provider_cost = PriceOf(tokens, target.price);
    absl::StatusOr<SettleReceipt> settled = absl::UnknownError("not attempted");
    for (int attempt = 0; attempt < std::max(1, d_.options.settle_attempts); ++attempt) {
      if (attempt > 0) co_await Sleep(SettleRetryDelay(d_.options, attempt));
      auto settle_call = [this, id = x.request_id, provider_cost, model = target.upstream_model](
                             BillingHolds::Done<absl::StatusOr<SettleReceipt>> done) {
        d_.billing.Settle(id, provider_cost, model, std::move(done));
      };
      auto settle_op = OnThisExecutor<absl::StatusOr<SettleReceipt>>(std::move(settle_call));
      settled = co_await std::move(settle_op);
      if (settled.ok() || !Retryable(settled.status().code())) break;
    }
    if (settled.ok()) {
      receipt = *settled;
    } else {
      // The hold stays; billing's sweeper voids it when it expires (the customer is not charged).
      log::Error("billing settle failed", {{"code", static_cast<int>(settled.status().code())},
                                           {"error", std::string(settled.status().message())},
                                           {"provider", provider_label},
                                           {"provider_cost_nano", provider_cost},
                                           {"request_id", x.request_id}});
      if (d_.reseller_metrics != nullptr) d_.reseller_metrics->CountSettleFailure();
    }
  } else if (x.held) {
    auto void_call = [this, id = x.request_id](BillingHolds::Done<absl::Status> done) {
      d_.billing.Void(id, std::move(done));
    };
    auto void_op = OnThisExecutor<absl::Status>(std::move(void_call));
    absl::Status voided = co_await std::move(void_op);
    if (!voided.ok()) {
      log::Warn("billing void failed; the sweeper will release the hold",
                {{"code", static_cast<int>(voided.code())}, {"request_id", x.request_id}});
    }
  }
  if (!x.went_upstream) co_return;

  metering::v1::UsageEvent event;
  event.set_event_id(crypto::TimeOrderedUuid(x.requested_at));  // metering's index grows in order
  event.set_organization_id(x.principal.organization_id);
  event.set_credential_id(x.principal.credential_id);
  event.set_mode(metering::v1::MODE_RESELLER);
  event.set_provider(provider_label);
  // The upstream model: the dashboard's by-model view then matches the price book.
  event.set_model(SanitizeLabel(target.upstream_model));
  event.set_endpoint("/chat/completions");
  event.set_input_tokens(tokens.input);
  event.set_cached_input_tokens(tokens.cached_input);
  event.set_cache_write_tokens(tokens.cache_write);
  event.set_output_tokens(tokens.output);
  event.set_reasoning_tokens(tokens.reasoning);
  event.set_cache_write_1h_tokens(tokens.cache_write_1h);
  event.set_provider_cost_nano(provider_cost);
  event.set_price_id(target.price.price_id);
  if (receipt) {
    event.set_margin_nano(receipt->margin);
    event.set_cost_nano(receipt->total);
  }
  event.set_is_streaming(x.stream);
  event.set_status_code(x.status_code);
  event.set_latency_ms(MsSince(x.start));
  event.set_ttft_ms(x.ttft_ms);
  event.set_incomplete(x.upstream_succeeded && !x.complete);
  event.set_requested_at_unix_ms(x.requested_at);
  event.set_request_id(x.request_id);
  if (d_.metrics != nullptr) {
    d_.metrics->ObserveDuration(target.provider, Mode::kReseller, SecondsSince(x.start));
    d_.metrics->CountTokens(target.provider, tokens);
  }
  d_.usage.Emit(std::move(event));
}

}  // namespace llmgw::gateway

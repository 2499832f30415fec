// Bodies are parsed keeping only the few top-level keys needed: a scanner finds their values
// and skips the rest (e.g. 100s of KB of messages) without tokenizing it; only the wanted values
// are parsed. Nothing here throws on provider input.
#include "services/gateway/domain/usage.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>

#include "services/gateway/domain/json_scan.h"

namespace llmgw::gateway {
namespace {

using Json = nlohmann::json;

// Parses `text` keeping only the top-level keys in `keys` (and their whole values). A
// discarded value when `text` is not a JSON object or a wanted value is invalid JSON.
template <typename J>
J ParseKeys(std::string_view text, std::initializer_list<std::string_view> keys) {
  return ParseTopLevelKeys<J>(text, keys);
}

// A non-negative token count, 0 when absent or not a usable number.
int64_t Count(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) return 0;
  if (it->is_number_unsigned()) {
    uint64_t v = it->get<uint64_t>();
    return v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ? 0
                                                                          : static_cast<int64_t>(v);
  }
  if (it->is_number_integer()) return std::max<int64_t>(0, it->get<int64_t>());
  if (it->is_number_float()) {
    double d = it->get<double>();
    return d >= 0 && d < 9e18 ? static_cast<int64_t>(d) : 0;
  }
  return 0;
}

int64_t NestedCount(const Json& obj, const char* outer, const char* key) {
  auto it = obj.find(outer);
  return it != obj.end() && it->is_object() ? Count(*it, key) : 0;
}

// Present and a number ("null" counts as absent, so it never overwrites a known value).
bool Has(const Json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_number();
}

std::string StringField(const Json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// OpenAI-shaped usage: chat completions / embeddings (prompt_tokens, completion_tokens) or the
// responses API (input_tokens, output_tokens). False when the object has neither shape.
bool FillOpenAIUsage(Provider p, const Json& u, money::TokenCounts& t) {
  if (Has(u, "prompt_tokens") || Has(u, "completion_tokens")) {
    t = money::TokenCounts{};
    t.input = Count(u, "prompt_tokens");
    t.cached_input = NestedCount(u, "prompt_tokens_details", "cached_tokens");
    t.output = Count(u, "completion_tokens");
    t.reasoning = NestedCount(u, "completion_tokens_details", "reasoning_tokens");
    // xAI reports reasoning apart from completion_tokens (WIRE.md); OpenAI includes it.
    if (p == Provider::kXai) t.output += t.reasoning;
    return true;
  }
  if (Has(u, "input_tokens") || Has(u, "output_tokens")) {
    t = money::TokenCounts{};
    t.input = Count(u, "input_tokens");
    t.cached_input = NestedCount(u, "input_tokens_details", "cached_tokens");
    t.output = Count(u, "output_tokens");
    t.reasoning = NestedCount(u, "output_tokens_details", "reasoning_tokens");
    return true;
  }
  return false;
}

// Anthropic's input_tokens excludes cache reads and writes; ours includes them. cache_write_1h:
// the part of the cache writes at the one-hour TTL
// (usage.cache_creation.ephemeral_1h_input_tokens).
money::TokenCounts AnthropicCounts(int64_t input, int64_t cache_creation, int64_t cache_read,
                                   int64_t output, int64_t cache_write_1h) {
  money::TokenCounts t;
  t.input = input + cache_creation + cache_read;
  t.cached_input = cache_read;
  t.cache_write = cache_creation;
  t.cache_write_1h = std::min(cache_write_1h, cache_creation);
  t.output = output;
  return t;
}

// Whether `json` may have "<key>": {...} somewhere: a cheap test run before parsing a chunk.
// Never a false negative for a top-level key spelled plainly; a false positive only costs a parse.
// memmem: string_view::find looks for the first byte, a '"', which JSON has every few bytes.
size_t FindText(std::string_view s, std::string_view needle, size_t from) {
  if (from > s.size()) return std::string_view::npos;
  const void* at = memmem(s.data() + from, s.size() - from, needle.data(), needle.size());
  return at != nullptr ? static_cast<size_t>(static_cast<const char*>(at) - s.data())
                       : std::string_view::npos;
}

bool MayHaveObjectKey(std::string_view json, std::string_view quoted_key) {
  for (size_t at = FindText(json, quoted_key, 0); at != std::string_view::npos;
       at = FindText(json, quoted_key, at + 1)) {
    size_t i = at + quoted_key.size();
    while (i < json.size() &&
           (json[i] == ' ' || json[i] == '\t' || json[i] == '\n' || json[i] == '\r')) {
      ++i;
    }
    if (i >= json.size() || json[i] != ':') continue;
    ++i;
    while (i < json.size() &&
           (json[i] == ' ' || json[i] == '\t' || json[i] == '\n' || json[i] == '\r')) {
      ++i;
    }
    if (i < json.size() && json[i] == '{') return true;
  }
  return false;
}

// The length of the valid UTF-8 sequence at the start of `s` and its code point; 0 when the
// bytes there are not valid UTF-8 (overlong forms, surrogates and values above U+10FFFF included).
size_t DecodeUtf8(std::string_view s, uint32_t* cp) {
  const auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = b(0);
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  size_t n = 0;
  uint32_t min = 0;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    min = 0x80;
    *cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    min = 0x800;
    *cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    min = 0x10000;
    *cp = c & 0x07;
  } else {
    return 0;
  }
  if (s.size() < n) return 0;
  for (size_t i = 1; i < n; ++i) {
    if ((b(i) & 0xC0) != 0x80) return 0;
    *cp = (*cp << 6) | (b(i) & 0x3F);
  }
  if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF)) return 0;
  return n;
}

}  // namespace

std::string SanitizeLabel(std::string_view s) {
  std::string out;
  out.reserve(std::min(s.size(), kMaxLabelBytes));
  size_t i = 0;
  while (i < s.size()) {
    uint32_t cp = 0;
    const size_t n = DecodeUtf8(s.substr(i), &cp);
    if (n == 0) {  // not UTF-8: the byte is dropped
      ++i;
      continue;
    }
    const bool control = cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
    if (!control) {
      if (out.size() + n > kMaxLabelBytes) break;
      out.append(s.data() + i, n);
    }
    i += n;
  }
  return out;
}

RequestInspection InspectRequest(Provider p, std::string_view endpoint, std::string body) {
  RequestInspection r;
  r.body = std::move(body);
  Json j = ParseKeys<Json>(r.body, {"model", "stream", "stream_options"});
  if (j.is_discarded() || !j.is_object()) return r;
  r.model = StringField(j, "model");
  auto stream = j.find("stream");
  r.stream = stream != j.end() && stream->is_boolean() && stream->get<bool>();
  if (!r.stream || p == Provider::kAnthropic || endpoint != "/chat/completions") return r;

  auto options = j.find("stream_options");
  if (options == j.end()) {
    // The common case: splice the option in after the opening brace; the client's bytes (key
    // order, number spelling) stay as they were. The object is not empty: it has "stream".
    size_t brace = r.body.find('{');
    if (brace == std::string::npos) return r;
    r.body.insert(brace + 1, R"("stream_options":{"include_usage":true},)");
    r.injected_include_usage = true;
    return r;
  }
  if (options->is_object()) {
    auto include = options->find("include_usage");
    if (include != options->end() && include->is_boolean() && include->get<bool>()) return r;
  }
  // stream_options present without include_usage:true: rewrite it, keeping its other keys.
  nlohmann::ordered_json full = nlohmann::ordered_json::parse(r.body, nullptr, false);
  if (full.is_discarded() || !full.is_object()) return r;
  nlohmann::ordered_json& opts = full["stream_options"];
  if (!opts.is_object()) opts = nlohmann::ordered_json::object();
  opts["include_usage"] = true;
  r.body = full.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  r.injected_include_usage = true;
  return r;
}

Usage ParseJsonUsage(Provider p, std::string_view body) {
  Usage usage;
  Json j = ParseKeys<Json>(body, {"usage", "model"});
  if (j.is_discarded() || !j.is_object()) return usage;
  usage.model = StringField(j, "model");
  auto u = j.find("usage");
  if (u == j.end() || !u->is_object()) return usage;
  if (p == Provider::kAnthropic && !Has(*u, "prompt_tokens")) {
    if (!Has(*u, "input_tokens") && !Has(*u, "output_tokens")) return usage;
    usage.tokens =
        AnthropicCounts(Count(*u, "input_tokens"), Count(*u, "cache_creation_input_tokens"),
                        Count(*u, "cache_read_input_tokens"), Count(*u, "output_tokens"),
                        NestedCount(*u, "cache_creation", "ephemeral_1h_input_tokens"));
    usage.found = true;
    return usage;
  }
  usage.found = FillOpenAIUsage(p, *u, usage.tokens);
  return usage;
}

namespace {

// Fills `usage` from a GenerateContentResponse's usageMetadata; false when it has none.
bool FillGeminiUsage(const Json& response, Usage& usage) {
  if (!response.is_object()) return false;
  std::string model = StringField(response, "modelVersion");
  if (!model.empty()) usage.model = std::move(model);
  auto m = response.find("usageMetadata");
  if (m == response.end() || !m->is_object()) return false;
  money::TokenCounts t;
  t.input = Count(*m, "promptTokenCount") + Count(*m, "toolUsePromptTokenCount");
  t.cached_input = std::min(Count(*m, "cachedContentTokenCount"), t.input);
  t.reasoning = Count(*m, "thoughtsTokenCount");
  t.output = Count(*m, "candidatesTokenCount") + t.reasoning;
  usage.tokens = t;
  usage.found = true;
  return true;
}

bool HasFinishReason(const Json& response) {
  auto c = response.find("candidates");
  if (c == response.end() || !c->is_array()) return false;
  for (const auto& candidate : *c) {
    if (candidate.is_object() && !StringField(candidate, "finishReason").empty()) return true;
  }
  return false;
}

}  // namespace

Usage ParseGeminiUsage(std::string_view body) {
  Usage usage;
  Json j = Json::parse(body, nullptr, false);
  if (j.is_object()) {
    FillGeminiUsage(j, usage);
  } else if (j.is_array()) {
    for (const auto& chunk : j) FillGeminiUsage(chunk, usage);  // cumulative: the last wins
  }
  return usage;
}

void GeminiStreamUsage::OnEvent(const SseEvent& e) {
  if (e.data.empty()) return;
  Json j = Json::parse(e.data, nullptr, false);
  if (!j.is_object()) return;
  if (j.contains("error")) {
    saw_error_ = true;
    return;
  }
  FillGeminiUsage(j, usage_);
  if (HasFinishReason(j)) saw_terminal_ = true;
}

StreamUsageTracker::StreamUsageTracker(Provider p, bool drop_injected_usage_chunk)
    : provider_(p), drop_injected_(drop_injected_usage_chunk) {}

bool StreamUsageTracker::OnEvent(const SseEvent& e) {
  if (provider_ == Provider::kAnthropic) {
    OnAnthropicEvent(e);
    return true;
  }
  return OnOpenAIStyleEvent(e);
}

bool StreamUsageTracker::OnOpenAIStyleEvent(const SseEvent& e) {
  if (e.event == "error") saw_error_ = true;
  if (e.data.empty()) return true;
  if (e.data == "[DONE]") {
    saw_terminal_ = true;
    return true;
  }
  // Most chunks only carry content: parse just those that can matter (the first, for the model;
  // any with a usage or error object; typed events of the responses API).
  if (!usage_.model.empty() && e.event.empty() && !MayHaveObjectKey(e.data, "\"usage\"") &&
      !MayHaveObjectKey(e.data, "\"error\"")) {
    return true;
  }
  // "choices" (the content) is kept only where it decides whether this is the injected
  // usage-only chunk; the first chunk is parsed before it is relayed, so its content is skipped.
  const bool need_choices = drop_injected_ && MayHaveObjectKey(e.data, "\"usage\"");
  Json j = need_choices
               ? ParseKeys<Json>(e.data, {"usage", "model", "choices", "error", "type", "response"})
               : ParseKeys<Json>(e.data, {"usage", "model", "error", "type", "response"});
  if (j.is_discarded() || !j.is_object()) return true;

  auto error = j.find("error");
  if (error != j.end() && error->is_object()) saw_error_ = true;
  std::string model = StringField(j, "model");
  if (!model.empty()) usage_.model = std::move(model);

  // The responses API streams typed events; usage comes with the final response object.
  std::string type = StringField(j, "type");
  if (!type.empty()) {
    if (type == "error" || type == "response.failed") saw_error_ = true;
    if (type == "response.completed" || type == "response.incomplete" ||
        type == "response.failed") {
      saw_terminal_ = true;
    }
    auto response = j.find("response");
    if (response != j.end() && response->is_object()) {
      std::string response_model = StringField(*response, "model");
      if (!response_model.empty()) usage_.model = std::move(response_model);
      auto ru = response->find("usage");
      if (ru != response->end() && ru->is_object() &&
          FillOpenAIUsage(provider_, *ru, usage_.tokens)) {
        usage_.found = true;
      }
    }
  }

  auto u = j.find("usage");
  if (u == j.end() || !u->is_object()) return true;
  // Last usage wins: providers that repeat usage on several chunks report running totals.
  if (FillOpenAIUsage(provider_, *u, usage_.tokens)) usage_.found = true;
  if (!drop_injected_) return true;
  // The cheap test missed a "usage" key spelled with escapes: read the content after all.
  if (!need_choices) {
    Json c = ParseKeys<Json>(e.data, {"choices"});
    if (c.is_object() && c.contains("choices")) j["choices"] = std::move(c["choices"]);
  }
  auto choices = j.find("choices");
  return !(choices != j.end() && choices->is_array() && choices->empty());
}

void StreamUsageTracker::OnAnthropicEvent(const SseEvent& e) {
  if (e.event == "error") {
    saw_error_ = true;
    return;
  }
  if (e.event == "message_stop") {
    saw_terminal_ = true;
    return;
  }
  // Only message_start and message_delta carry usage: content deltas are not parsed.
  if (!e.event.empty() && e.event != "message_start" && e.event != "message_delta") return;
  if (e.data.empty()) return;
  Json j = ParseKeys<Json>(e.data, {"type", "message", "usage"});
  if (j.is_discarded() || !j.is_object()) return;
  std::string type = e.event.empty() ? StringField(j, "type") : e.event;

  const Json* usage = nullptr;
  if (type == "message_start") {
    auto message = j.find("message");
    if (message == j.end() || !message->is_object()) return;
    std::string model = StringField(*message, "model");
    if (!model.empty()) usage_.model = std::move(model);
    auto u = message->find("usage");
    if (u != message->end() && u->is_object()) usage = &*u;
  } else if (type == "message_delta") {
    auto u = j.find("usage");
    if (u != j.end() && u->is_object()) usage = &*u;
  } else if (type == "message_stop") {
    saw_terminal_ = true;
    return;
  } else if (type == "error") {
    saw_error_ = true;
    return;
  } else {
    return;  // ping, content blocks
  }
  if (usage == nullptr) return;
  // Values are cumulative: every field present overwrites, none is added.
  if (Has(*usage, "input_tokens")) anthropic_input_ = Count(*usage, "input_tokens");
  if (Has(*usage, "cache_creation_input_tokens")) {
    anthropic_cache_creation_ = Count(*usage, "cache_creation_input_tokens");
  }
  if (Has(*usage, "cache_read_input_tokens")) {
    anthropic_cache_read_ = Count(*usage, "cache_read_input_tokens");
  }
  if (auto c = usage->find("cache_creation"); c != usage->end() && c->is_object()) {
    anthropic_cache_write_1h_ = NestedCount(*usage, "cache_creation", "ephemeral_1h_input_tokens");
  }
  int64_t output = usage_.tokens.output;
  if (Has(*usage, "output_tokens")) output = Count(*usage, "output_tokens");
  usage_.tokens = AnthropicCounts(anthropic_input_, anthropic_cache_creation_,
                                  anthropic_cache_read_, output, anthropic_cache_write_1h_);
  usage_.found = true;
}

}  // namespace llmgw::gateway

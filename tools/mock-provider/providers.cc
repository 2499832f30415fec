#include "tools/mock-provider/providers.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <optional>

#include "nlohmann/json.hpp"
#include "tools/mock-provider/gemini_native.h"
#include "tools/mock-provider/token_count.h"

namespace llmgw::mock {
namespace {

using json = nlohmann::json;

constexpr int64_t kDefaultOutputTokens = 12;
constexpr int64_t kXaiReasoningTokens = 10;
constexpr int kDefaultEmbeddingDimension = 8;

enum class Provider { kOpenAi, kAnthropic, kGoogle, kXai };
enum class Endpoint {
  kChat,
  kEmbeddings,
  kModels,
  kModel,
  kResponses,
  kMessages,
  kCountTokens,
  kAnthropicModels,
};

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

int64_t HeaderInt(const MockRequest& r, std::string_view name, int64_t fallback) {
  std::string_view v = r.Header(name);
  if (v.empty()) return fallback;
  return ParseInt(v).value_or(fallback);
}

// Everything a handler needs about one call.
struct Call {
  const MockRequest& request;
  Provider provider;
  Options options;  // after header overrides
  const Context& context;
  json body;
  std::string model;
};

std::string RequestId(const Context& c) { return "req_mock_" + std::to_string(c.request_number); }

MockResponse Base(Provider provider, const Context& context, int status) {
  MockResponse r;
  r.status = status;
  r.headers.emplace_back(provider == Provider::kAnthropic ? "request-id" : "x-request-id",
                         RequestId(context));
  return r;
}

MockResponse JsonResponse(Provider provider, const Context& context, int status, const json& body) {
  MockResponse r = Base(provider, context, status);
  r.body = Dump(body);
  return r;
}

MockResponse OpenAiError(Provider provider, const Context& context, int status, std::string message,
                         std::string type, json code, json param = nullptr) {
  return JsonResponse(provider, context, status,
                      {{"error",
                        {{"message", std::move(message)},
                         {"type", std::move(type)},
                         {"param", std::move(param)},
                         {"code", std::move(code)}}}});
}

MockResponse AnthropicError(const Context& context, int status, std::string type,
                            std::string message) {
  return JsonResponse(
      Provider::kAnthropic, context, status,
      {{"type", "error"}, {"error", {{"type", std::move(type)}, {"message", std::move(message)}}}});
}

std::string AnthropicErrorType(int status) {
  switch (status) {
    case 400:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 529:
      return "overloaded_error";
    default:
      return status >= 500 ? "api_error" : "invalid_request_error";
  }
}

// An error of the given status in the provider's shape (used by x-mock-status).
MockResponse InjectedError(const MockRequest& request, Provider provider, const Context& context,
                           int status) {
  if (provider == Provider::kAnthropic) {
    std::string type = AnthropicErrorType(status);
    std::string message = status == 529   ? "Overloaded"
                          : status == 429 ? "Number of request tokens has exceeded your rate limit"
                                          : "mock injected error " + std::to_string(status);
    return AnthropicError(context, status, type, message);
  }
  std::string type = "invalid_request_error";
  json code = nullptr;
  std::string message = "mock injected error " + std::to_string(status);
  if (status == 401) {
    code = "invalid_api_key";
    message = "Incorrect API key provided.";
  } else if (status == 403) {
    type = "permission_error";
  } else if (status == 404) {
    code = "model_not_found";
    message = "The model does not exist or you do not have access to it.";
  } else if (status == 429) {
    type = "requests";
    code = "rate_limit_exceeded";
    message = "Rate limit reached for requests (mock).";
  } else if (status >= 500) {
    type = "server_error";
    message = "The server had an error while processing your request (mock).";
  }
  std::string_view override_code = request.Header("x-mock-error-code");
  if (!override_code.empty()) {
    type = std::string(override_code);
    code = std::string(override_code);
  }
  return OpenAiError(provider, context, status, message, type, code);
}

MockResponse BadRequest(const Call& call, const std::string& message, json param = nullptr) {
  if (call.provider == Provider::kAnthropic) {
    return AnthropicError(call.context, 400, "invalid_request_error", message);
  }
  return OpenAiError(call.provider, call.context, 400, message, "invalid_request_error", nullptr,
                     std::move(param));
}

MockResponse NotFound(const MockRequest& request, Provider provider, const Context& context,
                      std::string_view path) {
  if (provider == Provider::kAnthropic) {
    return AnthropicError(context, 404, "not_found_error",
                          "Not found: " + request.method + " " + std::string(path));
  }
  return OpenAiError(provider, context, 404,
                     "Invalid URL (" + request.method + " " + std::string(path) + ")",
                     "invalid_request_error", nullptr);
}

std::string_view BearerToken(const MockRequest& request) {
  std::string_view auth = request.Header("authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (auth.size() <= kBearer.size()) return {};
  if (auth.substr(0, kBearer.size()) != kBearer && auth.substr(0, kBearer.size()) != "bearer ") {
    return {};
  }
  auth.remove_prefix(kBearer.size());
  while (!auth.empty() && auth.front() == ' ') auth.remove_prefix(1);
  return auth;
}

// ---- the generated answer ----

struct Output {
  bool tool_call = false;
  std::string tool_name;
  json tool_input = json::object();
  std::string arguments;            // tool_input as a JSON string
  std::vector<std::string> pieces;  // text, one piece per output token; concatenation = text
  int64_t output_tokens = 0;
  bool capped = false;

  std::string Text() const {
    std::string text;
    for (const auto& p : pieces) text += p;
    return text;
  }
};

// Pieces of whitespace-led words: "a  b" → {"a", "  b"}.
std::vector<std::string> SplitPieces(std::string_view text) {
  std::vector<std::string> pieces;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i == text.size()) {
      if (!pieces.empty()) pieces.back() += text.substr(start);
      break;
    }
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    pieces.emplace_back(text.substr(start, i - start));
  }
  return pieces;
}

// Plain text of a content value (string, or the text of its parts/blocks, joined by a space).
std::string ContentText(const json& content) {
  if (content.is_string()) return content.get<std::string>();
  std::string text;
  if (!content.is_array()) return text;
  for (const auto& part : content) {
    if (!part.is_object()) continue;
    auto t = part.find("text");
    if (t != part.end() && t->is_string()) {
      if (!text.empty()) text += " ";
      text += t->get<std::string>();
    }
  }
  return text;
}

// The tool results of the last message, joined; nullopt when the last message is not one.
std::optional<std::string> LastToolResult(const json& body, Provider provider) {
  // The Responses API: the last input item is a function_call_output.
  if (auto input = body.find("input");
      input != body.end() && input->is_array() && !input->empty()) {
    const json& last = input->back();
    if (!last.is_object() || last.value("type", "") != "function_call_output") return std::nullopt;
    auto output = last.find("output");
    return output != last.end() && output->is_string() ? output->get<std::string>() : std::string();
  }
  auto messages = body.find("messages");
  if (messages == body.end() || !messages->is_array() || messages->empty()) return std::nullopt;
  const json& last = messages->back();
  if (!last.is_object()) return std::nullopt;
  if (provider != Provider::kAnthropic) {
    if (last.value("role", "") != "tool") return std::nullopt;
    auto content = last.find("content");
    return content == last.end() ? std::string() : ContentText(*content);
  }
  auto content = last.find("content");
  if (last.value("role", "") != "user" || content == last.end() || !content->is_array()) {
    return std::nullopt;
  }
  std::optional<std::string> result;
  for (const auto& block : *content) {
    if (!block.is_object() || block.value("type", "") != "tool_result") continue;
    std::string text;
    auto inner = block.find("content");
    if (inner != block.end()) text = ContentText(*inner);
    result = result ? *result + " " + text : text;
  }
  return result;
}

json ArgumentFor(const json& schema) {
  if (!schema.is_object()) return nullptr;
  auto e = schema.find("enum");
  if (e != schema.end() && e->is_array() && !e->empty()) return e->front();
  auto t = schema.find("type");
  std::string type;
  if (t != schema.end() && t->is_string()) type = t->get<std::string>();
  if (t != schema.end() && t->is_array() && !t->empty() && t->front().is_string()) {
    type = t->front().get<std::string>();
  }
  if (type == "string") return "mock";
  if (type == "number" || type == "integer") return 1;
  if (type == "boolean") return true;
  if (type == "array") return json::array();
  if (type == "object") return json::object();
  return nullptr;
}

json ArgumentsFromSchema(const json& schema) {
  json args = json::object();
  if (!schema.is_object()) return args;
  auto props = schema.find("properties");
  if (props == schema.end() || !props->is_object()) return args;
  for (const auto& [name, prop] : props->items()) args[name] = ArgumentFor(prop);
  return args;
}

// The tool to call (name, schema), or nullopt when the answer is text.
std::optional<std::pair<std::string, json>> ToolToCall(const json& body, Provider provider) {
  auto tools = body.find("tools");
  if (tools == body.end() || !tools->is_array() || tools->empty()) return std::nullopt;
  std::string wanted;
  auto choice = body.find("tool_choice");
  if (choice != body.end()) {
    if (*choice == "none") return std::nullopt;
    if (choice->is_object()) {
      std::string type = choice->value("type", "");
      if (type == "none") return std::nullopt;
      if (type == "tool") wanted = choice->value("name", "");
      auto fn = choice->find("function");
      if (type == "function" && fn != choice->end() && fn->is_object()) {
        wanted = fn->value("name", "");
      } else if (type == "function") {
        wanted = choice->value("name", "");  // the Responses API's flat form
      }
    }
  }
  for (const auto& tool : *tools) {
    if (!tool.is_object()) continue;
    std::string name;
    json schema;
    if (provider == Provider::kAnthropic) {
      name = tool.value("name", "");
      schema = tool.value("input_schema", json::object());
    } else if (auto fn = tool.find("function"); fn != tool.end() && fn->is_object()) {
      name = fn->value("name", "");
      schema = fn->value("parameters", json::object());
    } else if (tool.value("type", "") == "function") {  // the Responses API's flat form
      name = tool.value("name", "");
      schema = tool.value("parameters", json::object());
    } else {
      continue;
    }
    if (name.empty() || (!wanted.empty() && name != wanted)) continue;
    return std::make_pair(name, schema);
  }
  return std::nullopt;
}

std::optional<int64_t> IntField(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

std::optional<int64_t> OutputCap(const json& body, Provider provider) {
  if (provider == Provider::kAnthropic) return IntField(body, "max_tokens");
  if (auto cap = IntField(body, "max_completion_tokens")) return cap;
  if (auto cap = IntField(body, "max_tokens")) return cap;
  return IntField(body, "max_output_tokens");
}

Output MakeOutput(const Call& call, bool allow_tools) {
  Output out;
  std::optional<int64_t> cap = OutputCap(call.body, call.provider);
  if (cap && *cap < 0) cap = 0;
  std::optional<std::string> tool_result = LastToolResult(call.body, call.provider);
  if (tool_result) {
    out.pieces = SplitPieces("Tool said: " + *tool_result);
    if (cap && static_cast<int64_t>(out.pieces.size()) > *cap) {
      out.pieces.resize(*cap);
      out.capped = true;
    }
    out.output_tokens = static_cast<int64_t>(out.pieces.size());
    return out;
  }
  int64_t wanted = HeaderInt(call.request, "x-mock-output-tokens", kDefaultOutputTokens);
  if (wanted < 0) wanted = 0;
  int64_t k = wanted;
  if (cap && *cap < wanted) {
    k = *cap;
    out.capped = true;
  }
  out.output_tokens = k;
  if (allow_tools) {
    if (auto tool = ToolToCall(call.body, call.provider)) {
      out.tool_call = true;
      out.capped = false;
      out.tool_name = tool->first;
      out.tool_input = ArgumentsFromSchema(tool->second);
      out.arguments = Dump(out.tool_input);
      return out;
    }
  }
  out.pieces.reserve(k);
  for (int64_t i = 0; i < k; ++i) {
    out.pieces.push_back((i == 0 ? "mock" : " mock") + std::to_string(i));
  }
  return out;
}

// Chunk i of n gets pieces [i*k/n, (i+1)*k/n).
std::vector<std::string> ChunkTexts(const std::vector<std::string>& pieces, int n) {
  std::vector<std::string> chunks(n);
  size_t k = pieces.size();
  for (int i = 0; i < n; ++i) {
    for (size_t j = i * k / n; j < (i + 1) * k / n; ++j) chunks[i] += pieces[j];
  }
  return chunks;
}

// Tokens output by the end of each chunk (for Google's cumulative usage).
std::vector<int64_t> ChunkTokenCounts(size_t k, int n) {
  std::vector<int64_t> counts(n);
  for (int i = 0; i < n; ++i) counts[i] = static_cast<int64_t>((i + 1) * k / n);
  return counts;
}

// Arguments split into max(2, min(n, len)) fragments on UTF-8 boundaries.
std::vector<std::string> Fragments(const std::string& s, int n) {
  size_t count = std::max<size_t>(2, std::min<size_t>(n, s.size()));
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 1; i <= count; ++i) {
    size_t end = i == count ? s.size() : i * s.size() / count;
    while (end < s.size() && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) ++end;
    if (end < start) end = start;
    out.push_back(s.substr(start, end - start));
    start = end;
  }
  return out;
}

int64_t ReasoningTokens(const Call& call) {
  if (call.provider != Provider::kXai) return 0;
  bool reasoning = call.model.find("mini") != std::string::npos ||
                   call.model.find("reasoning") != std::string::npos;
  return reasoning ? kXaiReasoningTokens : 0;
}

json OpenAiUsage(const Call& call, int64_t prompt, int64_t completion) {
  int64_t cached =
      std::clamp<int64_t>(HeaderInt(call.request, "x-mock-cached-tokens", 0), 0, prompt);
  int64_t reasoning = ReasoningTokens(call);
  return {{"prompt_tokens", prompt},
          {"completion_tokens", completion},
          {"total_tokens", prompt + completion + reasoning},
          {"prompt_tokens_details", {{"cached_tokens", cached}}},
          {"completion_tokens_details", {{"reasoning_tokens", reasoning}}}};
}

// What a successful call used, for the admin usage reports (admin_reports.h).
MockResponse Serving(MockResponse r, ServedUsage served) {
  r.served = std::move(served);
  return r;
}

const char* ProviderName(Provider p) {
  switch (p) {
    case Provider::kOpenAi:
      return "openai";
    case Provider::kAnthropic:
      return "anthropic";
    case Provider::kGoogle:
      return "google";
    case Provider::kXai:
      return "xai";
  }
  return "";
}

// OpenAI-style usage: prompt tokens include the cached ones; reasoning is output.
ServedUsage ChatServed(const Call& call, int64_t prompt, int64_t completion) {
  ServedUsage s;
  s.provider = ProviderName(call.provider);
  s.model = call.model;
  s.input_tokens = prompt;
  s.cached_input_tokens =
      std::clamp<int64_t>(HeaderInt(call.request, "x-mock-cached-tokens", 0), 0, prompt);
  s.output_tokens = completion + ReasoningTokens(call);
  return s;
}

std::string FinishReason(const Output& out) {
  if (out.tool_call) return "tool_calls";
  return out.capped ? "length" : "stop";
}

std::string StopReason(const Output& out) {
  if (out.tool_call) return "tool_use";
  return out.capped ? "max_tokens" : "end_turn";
}

std::string DataFrame(const json& j) { return "data: " + Dump(j) + "\n\n"; }

std::string EventFrame(const json& j) {
  return "event: " + j.at("type").get<std::string>() + "\ndata: " + Dump(j) + "\n\n";
}

MockResponse StreamResponse(const Call& call) {
  MockResponse r = Base(call.provider, call.context, 200);
  r.streaming = true;
  r.content_type = "text/event-stream";
  r.headers.emplace_back("cache-control", "no-cache");
  r.latency_ms = call.options.latency_ms;
  return r;
}

bool FailMidStream(const Call& call) {
  return call.request.Header("x-mock-fail-mid-stream") == "1";
}

// ---- OpenAI-style chat completions (OpenAI, Google, xAI) ----

MockResponse OpenAiChat(const Call& call) {
  const json& body = call.body;
  auto messages = body.find("messages");
  if (messages == body.end() || !messages->is_array()) {
    return BadRequest(call, "Missing required parameter: 'messages'.", "messages");
  }
  int64_t prompt = CountChatInputTokens(body);
  Output out = MakeOutput(call, true);
  std::string id = "chatcmpl-mock-" + std::to_string(call.context.request_number);
  json usage = OpenAiUsage(call, prompt, out.output_tokens);
  ServedUsage served = ChatServed(call, prompt, out.output_tokens);

  if (!body.value("stream", false)) {
    json message = {{"role", "assistant"}, {"refusal", nullptr}};
    if (out.tool_call) {
      message["content"] = nullptr;
      message["tool_calls"] =
          json::array({{{"id", "call_mock_1"},
                        {"type", "function"},
                        {"function", {{"name", out.tool_name}, {"arguments", out.arguments}}}}});
    } else {
      message["content"] = out.Text();
    }
    return Serving(JsonResponse(call.provider, call.context, 200,
                                {{"id", id},
                                 {"object", "chat.completion"},
                                 {"created", call.context.created},
                                 {"model", call.model},
                                 {"system_fingerprint", "fp_mock"},
                                 {"choices", json::array({{{"index", 0},
                                                           {"message", std::move(message)},
                                                           {"logprobs", nullptr},
                                                           {"finish_reason", FinishReason(out)}}})},
                                 {"usage", usage}}),
                   std::move(served));
  }

  bool google = call.provider == Provider::kGoogle;
  bool include_usage = false;
  auto so = body.find("stream_options");
  if (so != body.end() && so->is_object()) include_usage = so->value("include_usage", false);

  MockResponse r = StreamResponse(call);
  // Chunks are assembled as text around a serialized prefix: streams are the hot path.
  const std::string prefix =
      "data: {\"id\":\"" + id + "\",\"object\":\"chat.completion.chunk\",\"created\":" +
      std::to_string(call.context.created) + ",\"model\":" + Dump(call.model) +
      ",\"system_fingerprint\":\"fp_mock\",\"choices\":";
  // One chunk; `delta` is serialized JSON, `finish` a finish reason or "" for null.
  auto chunk = [&](std::string_view delta, std::string_view finish, int64_t completion_so_far) {
    std::string c = prefix;
    c += "[{\"index\":0,\"delta\":";
    c += delta;
    c += ",\"logprobs\":null,\"finish_reason\":";
    if (finish.empty()) {
      c += "null";
    } else {
      c += '"';
      c += finish;
      c += '"';
    }
    c += "}]";
    if (google) {
      c += ",\"usage\":" + Dump(OpenAiUsage(call, prompt, completion_so_far));
    } else if (include_usage) {
      c += ",\"usage\":null";
    }
    c += "}\n\n";
    return c;
  };
  auto error_frame = [&] {
    return DataFrame({{"error",
                       {{"message",
                         "The server had an error while processing your request (mock "
                         "mid-stream failure)."},
                        {"type", "server_error"},
                        {"param", nullptr},
                        {"code", nullptr}}}});
  };
  int n = call.options.chunks;
  bool fail = FailMidStream(call);

  if (out.tool_call) {
    r.frames.push_back(
        {0,
         chunk(
             Dump({{"role", "assistant"},
                   {"content", nullptr},
                   {"tool_calls",
                    json::array({{{"index", 0},
                                  {"id", "call_mock_1"},
                                  {"type", "function"},
                                  {"function", {{"name", out.tool_name}, {"arguments", ""}}}}})}}),
             "", 0)});
    std::vector<std::string> frags = Fragments(out.arguments, n);
    for (size_t i = 0; i < frags.size(); ++i) {
      if (fail && i == frags.size() / 2) {
        r.frames.push_back({0, error_frame()});
        return r;
      }
      int64_t so_far = static_cast<int64_t>((i + 1) * out.output_tokens / frags.size());
      r.frames.push_back(
          {i == 0 ? 0 : call.options.chunk_delay_ms,
           chunk(Dump({{"tool_calls",
                        json::array({{{"index", 0}, {"function", {{"arguments", frags[i]}}}}})}}),
                 "", so_far)});
    }
  } else {
    r.frames.push_back({0, chunk(R"({"role":"assistant","content":""})", "", 0)});
    std::vector<std::string> texts = ChunkTexts(out.pieces, n);
    std::vector<int64_t> counts = ChunkTokenCounts(out.pieces.size(), n);
    for (int i = 0; i < n; ++i) {
      if (fail && i == n / 2) {
        r.frames.push_back({0, error_frame()});
        return r;
      }
      r.frames.push_back({i == 0 ? 0 : call.options.chunk_delay_ms,
                          chunk("{\"content\":" + Dump(texts[i]) + "}", "", counts[i])});
    }
  }
  r.frames.push_back({0, chunk("{}", FinishReason(out), out.output_tokens)});
  if (include_usage && !google) {
    r.frames.push_back({0, prefix + "[],\"usage\":" + Dump(usage) + "}\n\n"});
  }
  r.frames.push_back({0, "data: [DONE]\n\n"});
  r.served = std::move(served);
  return r;
}

// ---- Anthropic messages ----

// As the Messages API reports it: cache_creation_input_tokens is every cache write, and
// cache_creation splits it by TTL (x-mock-cache-write-1h-tokens of them at one hour).
json AnthropicUsage(const Call& call, int64_t input, int64_t output) {
  const int64_t writes =
      std::max<int64_t>(0, HeaderInt(call.request, "x-mock-cache-write-tokens", 0));
  const int64_t writes_1h =
      std::clamp<int64_t>(HeaderInt(call.request, "x-mock-cache-write-1h-tokens", 0), 0, writes);
  return {{"input_tokens", input},
          {"cache_creation_input_tokens", writes},
          {"cache_read_input_tokens",
           std::max<int64_t>(0, HeaderInt(call.request, "x-mock-cached-tokens", 0))},
          {"cache_creation",
           {{"ephemeral_5m_input_tokens", writes - writes_1h},
            {"ephemeral_1h_input_tokens", writes_1h}}},
          {"output_tokens", output}};
}

// Anthropic's input_tokens exclude cache reads and writes; the report's input counts them all.
ServedUsage AnthropicServed(const Call& call, int64_t input, int64_t output) {
  const json usage = AnthropicUsage(call, input, output);
  ServedUsage s;
  s.provider = "anthropic";
  s.model = call.model;
  s.cached_input_tokens = usage["cache_read_input_tokens"].get<int64_t>();
  s.cache_write_1h_tokens = usage["cache_creation"]["ephemeral_1h_input_tokens"].get<int64_t>();
  s.cache_write_5m_tokens = usage["cache_creation"]["ephemeral_5m_input_tokens"].get<int64_t>();
  s.input_tokens =
      input + s.cached_input_tokens + s.cache_write_5m_tokens + s.cache_write_1h_tokens;
  s.output_tokens = output;
  return s;
}

MockResponse AnthropicMessages(const Call& call) {
  const json& body = call.body;
  auto messages = body.find("messages");
  if (messages == body.end() || !messages->is_array()) {
    return BadRequest(call, "messages: Field required");
  }
  if (!IntField(body, "max_tokens")) return BadRequest(call, "max_tokens: Field required");
  int64_t input = CountChatInputTokens(body);
  Output out = MakeOutput(call, true);
  std::string id = "msg_mock_" + std::to_string(call.context.request_number);

  if (!body.value("stream", false)) {
    json block;
    if (out.tool_call) {
      block = {{"type", "tool_use"},
               {"id", "toolu_mock_1"},
               {"name", out.tool_name},
               {"input", out.tool_input}};
    } else {
      block = {{"type", "text"}, {"text", out.Text()}};
    }
    return Serving(JsonResponse(Provider::kAnthropic, call.context, 200,
                                {{"id", id},
                                 {"type", "message"},
                                 {"role", "assistant"},
                                 {"model", call.model},
                                 {"content", json::array({std::move(block)})},
                                 {"stop_reason", StopReason(out)},
                                 {"stop_sequence", nullptr},
                                 {"usage", AnthropicUsage(call, input, out.output_tokens)}}),
                   AnthropicServed(call, input, out.output_tokens));
  }

  MockResponse r = StreamResponse(call);
  bool fail = FailMidStream(call);
  auto error_frame = [] {
    return EventFrame(
        {{"type", "error"}, {"error", {{"type", "overloaded_error"}, {"message", "Overloaded"}}}});
  };
  r.frames.push_back({0, EventFrame({{"type", "message_start"},
                                     {"message",
                                      {{"id", id},
                                       {"type", "message"},
                                       {"role", "assistant"},
                                       {"model", call.model},
                                       {"content", json::array()},
                                       {"stop_reason", nullptr},
                                       {"stop_sequence", nullptr},
                                       {"usage", AnthropicUsage(call, input, 1)}}}})});
  json start_block = out.tool_call ? json{{"type", "tool_use"},
                                          {"id", "toolu_mock_1"},
                                          {"name", out.tool_name},
                                          {"input", json::object()}}
                                   : json{{"type", "text"}, {"text", ""}};
  r.frames.push_back({0, EventFrame({{"type", "content_block_start"},
                                     {"index", 0},
                                     {"content_block", std::move(start_block)}})});
  r.frames.push_back({0, EventFrame({{"type", "ping"}})});
  // Deltas are assembled as text: streams are the hot path.
  std::vector<std::string> deltas;
  if (out.tool_call) {
    for (const auto& f : Fragments(out.arguments, call.options.chunks)) {
      deltas.push_back(R"({"type":"input_json_delta","partial_json":)" + Dump(f) + "}");
    }
  } else {
    for (const auto& t : ChunkTexts(out.pieces, call.options.chunks)) {
      deltas.push_back(R"({"type":"text_delta","text":)" + Dump(t) + "}");
    }
  }
  for (size_t i = 0; i < deltas.size(); ++i) {
    if (fail && i == deltas.size() / 2) {
      r.frames.push_back({0, error_frame()});
      return r;
    }
    r.frames.push_back({i == 0 ? 0 : call.options.chunk_delay_ms,
                        "event: content_block_delta\ndata: "
                        R"({"type":"content_block_delta","index":0,"delta":)" +
                            deltas[i] + "}\n\n"});
  }
  r.frames.push_back({0, EventFrame({{"type", "content_block_stop"}, {"index", 0}})});
  r.frames.push_back(
      {0, EventFrame({{"type", "message_delta"},
                      {"delta", {{"stop_reason", StopReason(out)}, {"stop_sequence", nullptr}}},
                      {"usage", {{"output_tokens", out.output_tokens}}}})});
  r.frames.push_back({0, EventFrame({{"type", "message_stop"}})});
  r.served = AnthropicServed(call, input, out.output_tokens);
  return r;
}

MockResponse AnthropicCountTokens(const Call& call) {
  auto messages = call.body.find("messages");
  if (messages == call.body.end() || !messages->is_array()) {
    return BadRequest(call, "messages: Field required");
  }
  return JsonResponse(Provider::kAnthropic, call.context, 200,
                      {{"input_tokens", CountChatInputTokens(call.body)}});
}

// ---- embeddings, responses, models ----

MockResponse Embeddings(const Call& call) {
  auto input = call.body.find("input");
  if (input == call.body.end() || input->is_null()) {
    return BadRequest(call, "Missing required parameter: 'input'.", "input");
  }
  size_t count = 1;
  if (input->is_array() && !input->empty() && !input->front().is_number()) count = input->size();
  int dim = kDefaultEmbeddingDimension;
  if (auto d = IntField(call.body, "dimensions"); d && *d > 0 && *d <= 4096) dim = *d;
  bool base64 = call.body.value("encoding_format", "float") == "base64";
  json data = json::array();
  for (size_t i = 0; i < count; ++i) {
    std::vector<float> values(dim);
    for (int j = 0; j < dim; ++j) values[j] = static_cast<float>(i * dim + j + 1) / 1024.0f;
    json embedding;
    if (base64) {
      std::string bytes(values.size() * 4, '\0');
      for (size_t j = 0; j < values.size(); ++j) {
        uint32_t bits;
        std::memcpy(&bits, &values[j], 4);
        for (int b = 0; b < 4; ++b) bytes[j * 4 + b] = static_cast<char>((bits >> (8 * b)) & 0xFF);
      }
      embedding = Base64Encode(bytes);
    } else {
      embedding = json::array();
      for (float v : values) embedding.push_back(static_cast<double>(v));
    }
    data.push_back({{"object", "embedding"}, {"index", i}, {"embedding", std::move(embedding)}});
  }
  int64_t tokens = CountEmbeddingInputTokens(*input);
  return JsonResponse(call.provider, call.context, 200,
                      {{"object", "list"},
                       {"data", std::move(data)},
                       {"model", call.model},
                       {"usage", {{"prompt_tokens", tokens}, {"total_tokens", tokens}}}});
}

// The response object's output items: a function call, or one message with the text.
json ResponsesOutput(const Output& out, const std::string& n, const char* status) {
  if (out.tool_call) {
    return json::array({{{"type", "function_call"},
                         {"id", "fc_mock_1"},
                         {"call_id", "call_mock_1"},
                         {"name", out.tool_name},
                         {"arguments", out.arguments},
                         {"status", "completed"}}});
  }
  return json::array({{{"type", "message"},
                       {"id", "msg_mock_" + n},
                       {"status", status},
                       {"role", "assistant"},
                       {"content", json::array({{{"type", "output_text"},
                                                 {"text", out.Text()},
                                                 {"annotations", json::array()}}})}}});
}

// The Responses stream (WIRE.md): typed events, each with a rising sequence_number, usage only in
// the final response.completed / response.incomplete.
MockResponse ResponsesStream(const Call& call, const Output& out, const json& done_response) {
  MockResponse r = StreamResponse(call);
  int64_t seq = 0;
  auto frame = [&](int delay, json data) {
    data["sequence_number"] = seq++;
    r.frames.push_back({delay, EventFrame(data)});
  };
  json started = done_response;
  started["status"] = "in_progress";
  started["output"] = json::array();
  started["usage"] = nullptr;
  started["incomplete_details"] = nullptr;
  frame(0, {{"type", "response.created"}, {"response", started}});
  frame(0, {{"type", "response.in_progress"}, {"response", started}});
  json item = done_response["output"][0];
  const std::string item_id = item["id"];
  json added = item;
  added["status"] = "in_progress";
  if (out.tool_call) {
    added["arguments"] = "";
    frame(0, {{"type", "response.output_item.added"}, {"output_index", 0}, {"item", added}});
    frame(call.options.chunk_delay_ms, {{"type", "response.function_call_arguments.delta"},
                                        {"item_id", item_id},
                                        {"output_index", 0},
                                        {"delta", out.arguments}});
    frame(0, {{"type", "response.function_call_arguments.done"},
              {"item_id", item_id},
              {"output_index", 0},
              {"arguments", out.arguments}});
  } else {
    added["content"] = json::array();
    frame(0, {{"type", "response.output_item.added"}, {"output_index", 0}, {"item", added}});
    json empty_part = {{"type", "output_text"}, {"text", ""}, {"annotations", json::array()}};
    frame(0, {{"type", "response.content_part.added"},
              {"item_id", item_id},
              {"output_index", 0},
              {"content_index", 0},
              {"part", empty_part}});
    for (const std::string& text : ChunkTexts(out.pieces, call.options.chunks)) {
      if (text.empty()) continue;
      frame(call.options.chunk_delay_ms, {{"type", "response.output_text.delta"},
                                          {"item_id", item_id},
                                          {"output_index", 0},
                                          {"content_index", 0},
                                          {"delta", text}});
    }
    frame(0, {{"type", "response.output_text.done"},
              {"item_id", item_id},
              {"output_index", 0},
              {"content_index", 0},
              {"text", out.Text()}});
    frame(0, {{"type", "response.content_part.done"},
              {"item_id", item_id},
              {"output_index", 0},
              {"content_index", 0},
              {"part", item["content"][0]}});
  }
  frame(0, {{"type", "response.output_item.done"}, {"output_index", 0}, {"item", item}});
  const std::string status = done_response["status"];
  if (FailMidStream(call)) {
    r.frames.resize(r.frames.size() / 2);  // cut: no final event
    return r;
  }
  frame(0, {{"type", status == "incomplete" ? "response.incomplete" : "response.completed"},
            {"response", done_response}});
  return r;
}

MockResponse Responses(const Call& call) {
  if (call.body.find("input") == call.body.end()) {
    return BadRequest(call, "Missing required parameter: 'input'.", "input");
  }
  int64_t input = CountResponsesInputTokens(call.body);
  Output out = MakeOutput(call, true);
  int64_t cached =
      std::clamp<int64_t>(HeaderInt(call.request, "x-mock-cached-tokens", 0), 0, input);
  std::string n = std::to_string(call.context.request_number);
  const bool capped = out.capped && !out.tool_call;
  json incomplete = nullptr;
  if (capped) incomplete = {{"reason", "max_output_tokens"}};
  const int64_t output_tokens = out.tool_call ? out.output_tokens : out.output_tokens;
  json response = {{"id", "resp_mock_" + n},
                   {"object", "response"},
                   {"created_at", call.context.created},
                   {"status", capped ? "incomplete" : "completed"},
                   {"error", nullptr},
                   {"incomplete_details", incomplete},
                   {"model", call.model},
                   {"output", ResponsesOutput(out, n, capped ? "incomplete" : "completed")},
                   {"usage",
                    {{"input_tokens", input},
                     {"input_tokens_details", {{"cached_tokens", cached}}},
                     {"output_tokens", output_tokens},
                     {"output_tokens_details", {{"reasoning_tokens", 0}}},
                     {"total_tokens", input + output_tokens}}}};
  // What the admin usage reports tell (a stream cut midway is not reported).
  ServedUsage served = ChatServed(call, input, output_tokens);
  if (call.body.value("stream", false)) {
    MockResponse r = ResponsesStream(call, out, response);
    if (!FailMidStream(call)) r.served = std::move(served);
    return r;
  }
  return Serving(JsonResponse(call.provider, call.context, 200, response), std::move(served));
}

struct ModelInfo {
  const char* id;
  int64_t created;
};

std::vector<ModelInfo> ModelsOf(Provider provider) {
  switch (provider) {
    case Provider::kOpenAi:
      return {{"gpt-4o", 1715367049},
              {"gpt-4o-mini", 1721172741},
              {"text-embedding-3-small", 1705948997}};
    case Provider::kGoogle:
      return {{"models/gemini-1.5-pro", 1700000000},
              {"models/gemini-1.5-flash", 1700000000},
              {"models/text-embedding-004", 1700000000}};
    case Provider::kXai:
      return {{"grok-beta", 1727136000}, {"grok-3-mini", 1743724800}};
    case Provider::kAnthropic:
      return {{"claude-3-5-sonnet-20241022", 1729555200},
              {"claude-3-5-haiku-20241022", 1729555200}};
  }
  return {};
}

const char* OwnedBy(Provider provider) {
  switch (provider) {
    case Provider::kOpenAi:
      return "system";
    case Provider::kGoogle:
      return "google";
    case Provider::kXai:
      return "xai";
    case Provider::kAnthropic:
      return "anthropic";
  }
  return "";
}

json OpenAiModel(Provider provider, const ModelInfo& m) {
  return {
      {"id", m.id}, {"object", "model"}, {"created", m.created}, {"owned_by", OwnedBy(provider)}};
}

MockResponse Models(Provider provider, const Context& context) {
  json data = json::array();
  for (const auto& m : ModelsOf(provider)) data.push_back(OpenAiModel(provider, m));
  return JsonResponse(provider, context, 200, {{"object", "list"}, {"data", std::move(data)}});
}

MockResponse AnthropicModels(const Context& context) {
  json data = json::array();
  for (const auto& m : ModelsOf(Provider::kAnthropic)) {
    data.push_back({{"type", "model"},
                    {"id", m.id},
                    {"display_name", m.id},
                    {"created_at", "2024-10-22T00:00:00Z"}});
  }
  json first = data.front()["id"], last = data.back()["id"];
  return JsonResponse(
      Provider::kAnthropic, context, 200,
      {{"data", std::move(data)}, {"has_more", false}, {"first_id", first}, {"last_id", last}});
}

// ---- routing ----

struct Route {
  Provider provider;
  std::optional<Endpoint> endpoint;  // nullopt: unknown path under a known prefix
  std::string model_id;              // for kModel
};

std::optional<Route> Resolve(std::string_view method, std::string_view path) {
  struct Prefix {
    std::string_view prefix;
    Provider provider;
  };
  static constexpr Prefix kPrefixes[] = {{"/openai/v1", Provider::kOpenAi},
                                         {"/anthropic", Provider::kAnthropic},
                                         {"/google/v1beta/openai", Provider::kGoogle},
                                         {"/xai/v1", Provider::kXai}};
  for (const auto& p : kPrefixes) {
    if (path.substr(0, p.prefix.size()) != p.prefix) continue;
    std::string_view rest = path.substr(p.prefix.size());
    if (!rest.empty() && rest.front() != '/') continue;
    Route route{p.provider, std::nullopt, {}};
    bool post = method == "POST", get = method == "GET";
    if (p.provider == Provider::kAnthropic) {
      if (post && rest == "/v1/messages") route.endpoint = Endpoint::kMessages;
      if (post && rest == "/v1/messages/count_tokens") route.endpoint = Endpoint::kCountTokens;
      if (get && rest == "/v1/models") route.endpoint = Endpoint::kAnthropicModels;
      return route;
    }
    if (post && rest == "/chat/completions") route.endpoint = Endpoint::kChat;
    if (get && rest == "/models") route.endpoint = Endpoint::kModels;
    if (p.provider != Provider::kXai && post && rest == "/embeddings") {
      route.endpoint = Endpoint::kEmbeddings;
    }
    if (p.provider == Provider::kOpenAi && post && rest == "/responses") {
      route.endpoint = Endpoint::kResponses;
    }
    constexpr std::string_view kModelsSlash = "/models/";
    if (get && rest.size() > kModelsSlash.size() &&
        rest.substr(0, kModelsSlash.size()) == kModelsSlash) {
      route.endpoint = Endpoint::kModel;
      route.model_id = std::string(rest.substr(kModelsSlash.size()));
    }
    return route;
  }
  return std::nullopt;
}

}  // namespace

std::string_view MockRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return {};
}

std::string Base64Encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) |
                 (static_cast<uint8_t>(bytes[i + 1]) << 8) | static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

MockResponse HandleRequest(const MockRequest& request, const Options& options,
                           const Context& context) {
  std::string_view path = request.target;
  if (size_t q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
  if (auto native = HandleGeminiNative(request, path, options, context)) return *std::move(native);
  std::optional<Route> route = Resolve(request.method, path);
  if (!route) return NotFound(request, Provider::kOpenAi, context, path);
  Provider provider = route->provider;
  if (!route->endpoint) return NotFound(request, provider, context, path);

  if (provider == Provider::kAnthropic) {
    if (request.Header("x-api-key").empty() && BearerToken(request).empty()) {
      return AnthropicError(context, 401, "authentication_error", "invalid x-api-key");
    }
    if (request.Header("anthropic-version").empty()) {
      return AnthropicError(context, 400, "invalid_request_error",
                            "anthropic-version: header is required");
    }
  } else if (BearerToken(request).empty()) {
    return OpenAiError(provider, context, 401,
                       "Incorrect API key provided. You can find your API key at "
                       "https://platform.openai.com/account/api-keys.",
                       "invalid_request_error", "invalid_api_key");
  }
  if (int64_t status = HeaderInt(request, "x-mock-status", 0); status >= 400 && status <= 599) {
    return InjectedError(request, provider, context, static_cast<int>(status));
  }
  switch (*route->endpoint) {
    case Endpoint::kModels:
      return Models(provider, context);
    case Endpoint::kAnthropicModels:
      return AnthropicModels(context);
    case Endpoint::kModel:
      for (const auto& m : ModelsOf(provider)) {
        if (route->model_id == m.id) {
          return JsonResponse(provider, context, 200, OpenAiModel(provider, m));
        }
      }
      return OpenAiError(provider, context, 404,
                         "The model '" + route->model_id + "' does not exist",
                         "invalid_request_error", "model_not_found", "model");
    default:
      break;
  }

  Call call{request, provider, options, context, json::parse(request.body, nullptr, false), {}};
  call.options.latency_ms = static_cast<int>(
      std::max<int64_t>(0, HeaderInt(request, "x-mock-latency-ms", options.latency_ms)));
  call.options.chunk_delay_ms = static_cast<int>(
      std::max<int64_t>(0, HeaderInt(request, "x-mock-chunk-delay-ms", options.chunk_delay_ms)));
  call.options.chunks = static_cast<int>(
      std::clamp<int64_t>(HeaderInt(request, "x-mock-chunks", options.chunks), 1, 10000));
  if (call.body.is_discarded() || !call.body.is_object()) {
    return BadRequest(call, provider == Provider::kAnthropic
                                ? "There was an error parsing the body of your request."
                                : "We could not parse the JSON body of your request.");
  }
  auto model = call.body.find("model");
  if (model == call.body.end() || !model->is_string() ||
      model->get_ref<const std::string&>().empty()) {
    return BadRequest(call,
                      provider == Provider::kAnthropic ? "model: Field required"
                                                       : "Missing required parameter: 'model'.",
                      "model");
  }
  call.model = model->get<std::string>();

  MockResponse response;
  switch (*route->endpoint) {
    case Endpoint::kChat:
      response = OpenAiChat(call);
      break;
    case Endpoint::kMessages:
      response = AnthropicMessages(call);
      break;
    case Endpoint::kCountTokens:
      response = AnthropicCountTokens(call);
      break;
    case Endpoint::kEmbeddings:
      response = Embeddings(call);
      break;
    case Endpoint::kResponses:
      response = Responses(call);
      break;
    default:
      return NotFound(request, provider, context, path);
  }
  if (!response.streaming) response.latency_ms = call.options.latency_ms;
  return response;
}

}  // namespace llmgw::mock

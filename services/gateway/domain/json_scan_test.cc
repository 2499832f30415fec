#include "services/gateway/domain/json_scan.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "services/gateway/domain/sse.h"
#include "services/gateway/domain/testdata_streams.h"

namespace llmgw::gateway {
namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;
using Keys = std::initializer_list<std::string_view>;

// The SAX-callback ParseKeys that usage.cc had before the scanner, kept verbatim: on valid JSON
// objects the scanner must give exactly what it gave.
template <typename J>
J OldParseKeys(std::string_view text, std::initializer_list<std::string_view> keys) {
  bool keep = false;  // whether the current top-level key is wanted
  typename J::parser_callback_t cb = [&](int depth, typename J::parse_event_t event, J& parsed) {
    if (depth == 0) return true;
    switch (event) {
      case J::parse_event_t::key:
        if (depth == 1) {
          const std::string& k = parsed.template get_ref<const std::string&>();
          keep = std::find(keys.begin(), keys.end(), std::string_view(k)) != keys.end();
        }
        return keep;
      case J::parse_event_t::object_end:
      case J::parse_event_t::array_end:
        return true;
      default:  // object_start, array_start, value
        return keep;
    }
  };
  return J::parse(text.begin(), text.end(), cb, /*allow_exceptions=*/false);
}

// `s` in a heap block of exactly its size: AddressSanitizer then reports a read one byte past
// the end, which a std::string (terminator, spare capacity) would hide.
class ExactBuffer {
 public:
  explicit ExactBuffer(std::string_view s) : size_(s.size()), data_(new char[s.size()]) {
    if (size_ > 0) std::memcpy(data_.get(), s.data(), size_);
  }
  std::string_view view() const { return {data_.get(), size_}; }

 private:
  size_t size_;
  std::unique_ptr<char[]> data_;
};

using Spans = std::vector<std::pair<std::string, std::string>>;

// The scanner's result as (key, raw value) pairs; nullopt when it refuses the text.
std::optional<Spans> Scan(std::string_view json, Keys keys) {
  ExactBuffer buf(json);
  std::vector<ScannedKey> out = {{"stale", "stale"}};  // must not survive the call
  if (!ScanTopLevelKeys(buf.view(), keys, out)) {
    EXPECT_TRUE(out.empty()) << json;
    return std::nullopt;
  }
  Spans spans;
  for (const ScannedKey& k : out) spans.emplace_back(k.key, k.value);
  return spans;
}

Json NewParse(std::string_view json, Keys keys) {
  ExactBuffer buf(json);
  return ParseTopLevelKeys<Json>(buf.view(), keys);
}

// The key sets usage.cc asks for, none, and some that hit nested names and unusual keys.
void ForEachKeySet(const std::function<void(Keys)>& f) {
  f({"model", "stream", "stream_options"});
  f({"usage", "model"});
  f({"usage", "model", "choices", "error", "type", "response"});
  f({"type", "message", "usage"});
  f({});
  f({"messages", "tools", "system", "input_tokens", "content", "index", "delta", ""});
  f({"x", "\xC3\xA9", "a\"b", "/", "\xF0\x9F\x98\x80", "mod"});
}

// ---- Spans ----------------------------------------------------------------------------------

TEST(ScanTopLevelKeysTest, ExactSpanOfEachKindOfValue) {
  const std::string json =
      R"({"s":"a\"b\\c\\","o":{"x":[1,{"y":"}]\""}],"z":{}},"a":[[],[{"k":"[{"}],"]"],)"
      R"("n":-12.5e+3,"t":true,"f":false,"z":null,"u":"\u00e9\ud83d\ude00\"","e":"",)"
      R"("i":0,"big":123456789012345678901234567890})";
  EXPECT_EQ(Scan(json, {"s", "o", "a", "n", "t", "f", "z", "u", "e", "i", "big"}),
            (Spans{{"s", R"("a\"b\\c\\")"},
                   {"o", R"({"x":[1,{"y":"}]\""}],"z":{}})"},
                   {"a", R"([[],[{"k":"[{"}],"]"])"},
                   {"n", "-12.5e+3"},
                   {"t", "true"},
                   {"f", "false"},
                   {"z", "null"},
                   {"u", R"("\u00e9\ud83d\ude00\"")"},
                   {"e", R"("")"},
                   {"i", "0"},
                   {"big", "123456789012345678901234567890"}}));
  // Nested keys are not top-level keys; order is the document's, not the wanted list's.
  EXPECT_EQ(Scan(json, {"x", "y", "k", "big", "s"}),
            (Spans{{"s", R"("a\"b\\c\\")"}, {"big", "123456789012345678901234567890"}}));
}

TEST(ScanTopLevelKeysTest, StringEndsAfterEvenBackslashRunsOnly) {
  EXPECT_EQ(Scan(R"({"a":"\\","b":1})", {"a", "b"}), (Spans{{"a", R"("\\")"}, {"b", "1"}}));
  EXPECT_EQ(Scan(R"({"a":"\\\"","b":1})", {"a", "b"}), (Spans{{"a", R"("\\\"")"}, {"b", "1"}}));
  EXPECT_EQ(Scan(R"({"a":"\\\\\"\\","b":1})", {"a"}), (Spans{{"a", R"("\\\\\"\\")"}}));
  // An escaped quote does not end the string: the text is then unterminated.
  EXPECT_EQ(Scan(R"({"a":"\"})", {"a"}), std::nullopt);
  EXPECT_EQ(Scan(R"({"a":"\\\"})", {"a"}), std::nullopt);
}

TEST(ScanTopLevelKeysTest, WhitespaceEverywhere) {
  const std::string json =
      " \t\r\n{ \n\"a\" \t:\r\n [ 1 , { \"k\" : 2 } ] \n, \"b\"\n:\n\"x\" \t,\"c\":7 }\r\n ";
  EXPECT_EQ(Scan(json, {"a", "b", "c"}),
            (Spans{{"a", "[ 1 , { \"k\" : 2 } ]"}, {"b", "\"x\""}, {"c", "7"}}));
  EXPECT_EQ(NewParse(json, {"a", "c"}), Json::parse(R"({"a":[1,{"k":2}],"c":7})"));
}

TEST(ScanTopLevelKeysTest, EmptyObject) {
  EXPECT_EQ(Scan("{}", {"a"}), Spans{});
  EXPECT_EQ(Scan(" \n{ \t} \r", {"a"}), Spans{});
  EXPECT_EQ(NewParse("{}", {"a"}), Json::object());
  EXPECT_EQ(NewParse(R"({"b":1})", {"a"}), Json::object());
}

TEST(ScanTopLevelKeysTest, ByteOrderMarkAtTheVeryStartOnly) {
  EXPECT_EQ(Scan("\xEF\xBB\xBF{\"a\":1}", {"a"}), (Spans{{"a", "1"}}));
  EXPECT_EQ(OldParseKeys<Json>("\xEF\xBB\xBF{\"a\":1}", {"a"}), Json::parse(R"({"a":1})"));
  for (const char* bad : {"\xEF\xBB{\"a\":1}", " \xEF\xBB\xBF{\"a\":1}", "\xEF{}"}) {
    EXPECT_EQ(Scan(bad, {"a"}), std::nullopt) << bad;
    EXPECT_FALSE(Json::accept(bad)) << bad;
  }
}

// nlohmann reads a NUL between tokens as the end of the input; the old parser then accepted the
// object before it, so the scanner does too.
TEST(ScanTopLevelKeysTest, NulAfterTheObjectEndsTheText) {
  const std::string json("{\"a\":1} \0{garbage", 17);
  EXPECT_EQ(Scan(json, {"a"}), (Spans{{"a", "1"}}));
  EXPECT_EQ(OldParseKeys<Json>(json, {"a"}), Json::parse(R"({"a":1})"));
  EXPECT_EQ(Scan(std::string("{\"a\":1}\0", 8), {"a"}), (Spans{{"a", "1"}}));
}

// ---- Keys -----------------------------------------------------------------------------------

TEST(ScanTopLevelKeysTest, KeysWithEscapesMatchByTheirValue) {
  EXPECT_EQ(Scan(R"({"mod\u0065l":"a","\u0073tream":true,"x":1})", {"model", "stream"}),
            (Spans{{"model", R"("a")"}, {"stream", "true"}}));
  EXPECT_EQ(
      Scan(R"({"a\"b":1,"a\\b":2,"\/":3,"\u00E9":4,"\ud83d\ude00":5})",
           {"a\"b", "a\\b", "/", "\xC3\xA9", "\xF0\x9F\x98\x80"}),
      (Spans{
          {"a\"b", "1"}, {"a\\b", "2"}, {"/", "3"}, {"\xC3\xA9", "4"}, {"\xF0\x9F\x98\x80", "5"}}));
  EXPECT_EQ(Scan(R"({"\b\f\n\r\t":1})", {"\b\f\n\r\t"}), (Spans{{"\b\f\n\r\t", "1"}}));
  // Close but different values do not match.
  EXPECT_EQ(Scan(R"({"model\u0000":1,"mode\\l":2,"m\u006fdel ":3})", {"model"}), Spans{});
  EXPECT_EQ(NewParse(R"({"mod\u0065l":"gpt-4o","model ":"x"})", {"model"}),
            Json::parse(R"({"model":"gpt-4o"})"));
}

TEST(ScanTopLevelKeysTest, InvalidEscapeInAKeyFails) {
  for (const char* bad :
       {R"({"a\x":1})", R"({"\ud800":1})", R"({"\udc00":1})", R"({"\u12":1})", R"({"\u12g4":1})",
        R"({"\ud83d\u0041":1})", R"({"\ud83dx":1})", R"({"\ud83d\":1})", R"({"\ud83d\u":1})"}) {
    EXPECT_EQ(Scan(bad, {"a"}), std::nullopt) << bad;
    EXPECT_FALSE(Json::accept(bad)) << bad;  // the scanner refuses only what nlohmann refuses
  }
}

TEST(ScanTopLevelKeysTest, DuplicateKeysLastValueWins) {
  EXPECT_EQ(Scan(R"({"model":"a","x":1,"model":"b"})", {"model", "x"}),
            (Spans{{"model", R"("b")"}, {"x", "1"}}));
  EXPECT_EQ(Scan(R"({"model":"a","mod\u0065l":{"b":[]}})", {"model"}),
            (Spans{{"model", R"({"b":[]})"}}));
  const std::string json = R"({"b":1,"a":2,"b":[3],"c":4})";
  EXPECT_EQ(NewParse(json, {"a", "b"}), Json::parse(R"({"a":2,"b":[3]})"));
  // ordered_json keeps the position of the first occurrence, as the callback parser did.
  EXPECT_EQ(ParseTopLevelKeys<OrderedJson>(json, {"a", "b"}).dump(), R"({"b":[3],"a":2})");
  EXPECT_EQ(OldParseKeys<OrderedJson>(json, {"a", "b"}).dump(), R"({"b":[3],"a":2})");
}

// ---- Not an object --------------------------------------------------------------------------

TEST(ScanTopLevelKeysTest, NonObjectTopLevelFails) {
  for (const char* text :
       {"[]", R"([{"a":1}])", R"("a")", "12", "-1.5", "true", "null", "", " ", "\n\t"}) {
    EXPECT_EQ(Scan(text, {"a"}), std::nullopt) << text;
    EXPECT_TRUE(NewParse(text, {"a"}).is_discarded()) << text;
  }
}

TEST(ScanTopLevelKeysTest, StructuralErrorsFail) {
  const std::vector<std::string> bad = {
      R"({"a":1)",
      R"({"a" 1})",
      R"({"a":1 "b":2})",
      R"({"a":1,})",
      R"({,"a":1})",
      R"({"a":})",
      R"({"a":[1,2})",
      R"({"a":{"b":1]})",
      R"({"a":"x})",
      R"({"a":1}})",
      R"({"a":1} x)",
      R"({"a":1}{})",
      R"({a:1})",
      R"({"a":tru})",
      R"({"a":01})",
      R"({"a":1.})",
      R"({"a":-})",
      R"({"a":.5})",
      R"({"a":1e})",
      R"({"a":+1})",
      R"({"a":"x"1})",
      R"({"a":[1]]})",
      R"({"a":1,"b"})",
      R"({"a"})",
      R"({"a":nul})",
      R"({'a':1})",
      R"({"a":1}])",
      R"({"a":[}])",
      R"({"a":{"b":"}"})",
      R"({"a":1e+})",
      R"({"a":truefalse})",
      R"({"a"::1})",
      R"({"a":1,,"b":2})",
      std::string("{\"a\":\0}", 7),
      std::string("{\"a\"\0:1}", 8),
  };
  for (const std::string& text : bad) {
    EXPECT_EQ(Scan(text, {"a", "b"}), std::nullopt) << text;
    EXPECT_FALSE(Json::accept(text)) << text;  // the scanner refuses only what nlohmann refuses
  }
}

// What the scanner skips it does not validate (json_scan.h says why that is harmless): the old
// parser discarded these bodies whole; now the wanted keys are read.
TEST(ScanTopLevelKeysTest, LenientInsideSkippedValuesStrictInWantedOnes) {
  const std::vector<std::string> lenient = {
      R"({"model":"m","messages":[1,,2]})",          R"({"model":"m","messages":{"a" 1}})",
      R"({"model":"m","messages":[tru]})",           R"({"model":"m","messages":"\q"})",
      "{\"model\":\"m\",\"messages\":\"\x01\"}",     "{\"model\":\"m\",\"messages\":\"\xFF\"}",
      "{\"model\":\"m\",\"messages\":[\"\xC3\",0]}",
  };
  for (const std::string& text : lenient) {
    EXPECT_FALSE(Json::accept(text)) << text;
    EXPECT_TRUE(OldParseKeys<Json>(text, {"model"}).is_discarded()) << text;
    EXPECT_EQ(NewParse(text, {"model"}), Json::parse(R"({"model":"m"})")) << text;
  }
  // The same faults inside a wanted value discard the result.
  EXPECT_EQ(Scan(R"({"model":[1,,2],"x":1})", {"model"}), (Spans{{"model", "[1,,2]"}}));
  for (const std::string& text :
       {std::string(R"({"model":[1,,2]})"), std::string(R"({"model":"\q"})"),
        std::string("{\"model\":\"\x01\"}"), std::string("{\"model\":\"\xFF\"}"),
        std::string(R"({"model":{"a":[tru]}})")}) {
    EXPECT_TRUE(NewParse(text, {"model"}).is_discarded()) << text;
    EXPECT_FALSE(NewParse(text, {"stream"}).is_discarded()) << text;
  }
}

TEST(ScanTopLevelKeysTest, DeepNestingNeedsNoRecursion) {
  const std::string deep = "{\"a\":" + std::string(100000, '[') + std::string(100000, ']') +
                           ",\"b\":" + std::string(5000, '{') + "\"k\":1" + std::string(5000, '}') +
                           ",\"c\":2}";
  EXPECT_EQ(Scan(deep, {"c"}), (Spans{{"c", "2"}}));
  EXPECT_EQ(NewParse(deep, {"c"}), Json::parse(R"({"c":2})"));
  std::string unbalanced = deep;
  unbalanced.erase(unbalanced.find(']'), 1);
  EXPECT_EQ(Scan(unbalanced, {"c"}), std::nullopt);
}

// ---- Corpus ---------------------------------------------------------------------------------

const char kOpenAIChatRequest[] = R"({
  "model": "gpt-4o-mini",
  "messages": [
    {"role": "system", "content": "You are \"helpful\".\nAnswer in JSON: {\"ok\": true}"},
    {"role": "user", "content": [
      {"type": "text", "text": "What is in this image? \u00e9\u4e2d\ud83d\ude00 \\ end"},
      {"type": "image_url",
       "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}}
    ]},
    {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
      "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\",\"unit\":\"c\"}"}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": "{\"temp\": -3.5e0, \"sky\": \"clear]\"}"}
  ],
  "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"},
      "unit": {"type": "string", "enum": ["c", "f"]}}, "required": ["city"]}}}],
  "temperature": 0.7, "top_p": 1, "n": 1, "max_tokens": 1024, "seed": -42,
  "logit_bias": {"50256": -100},
  "stream": true,
  "stream_options": {"include_usage": false, "x": [1, 2e10, -0.0]},
  "user": "user-\/123"
})";

const char kAnthropicRequest[] =
    R"({"model":"claude-3-5-sonnet-20241022","max_tokens":4096,"stream":true,)"
    R"("system":[{"type":"text","text":"Be brief.","cache_control":{"type":"ephemeral"}}],)"
    R"("messages":[{"role":"user","content":"Hi \"there\""},{"role":"assistant","content":)"
    R"([{"type":"tool_use","id":"toolu_1","name":"calc",)"
    R"("input":{"expr":"1+2","deep":{"a":[[[]]]}}}]},)"
    R"({"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"3",)"
    R"("is_error":false}]}],"tools":[{"name":"calc","input_schema":{"type":"object",)"
    R"("properties":{"expr":{"type":"string"}}}}],"metadata":{"user_id":"u1"},"temperature":1.0})";

const char kOpenAIChatResponse[] =
    R"({"id":"chatcmpl-123","object":"chat.completion","created":1718000000,)"
    R"("model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant",)"
    R"("content":"Hello! \u2603 How can I help?","refusal":null},"logprobs":null,)"
    R"("finish_reason":"stop"}],"usage":{"prompt_tokens":1200,"completion_tokens":300,)"
    R"("total_tokens":1500,"prompt_tokens_details":{"cached_tokens":1024,"audio_tokens":0},)"
    R"("completion_tokens_details":{"reasoning_tokens":64,"audio_tokens":0}},)"
    R"("system_fingerprint":"fp_0ba0d124f1"})";

const char kResponsesCompleted[] =
    R"({"type":"response.completed","sequence_number":12,"response":{"id":"resp_1",)"
    R"("object":"response","status":"completed","model":"o3-mini-2025-01-31","output":[{"type":)"
    R"("message","content":[{"type":"output_text","text":"ok","annotations":[]}]}],"usage":)"
    R"({"input_tokens":50,"input_tokens_details":{"cached_tokens":0},"output_tokens":20,)"
    R"("output_tokens_details":{"reasoning_tokens":10},"total_tokens":70}}})";

const char kEmbeddingsResponse[] =
    R"({"object":"list","data":[{"object":"embedding","index":0,"embedding":[-0.006929283,)"
    R"(-0.005336422,1.5E-7,0.0,-1e-300,3.4028235e+38]}],"model":"text-embedding-3-small",)"
    R"("usage":{"prompt_tokens":8,"total_tokens":8}})";

const char kAnthropicResponse[] =
    R"({"id":"msg_01","type":"message","role":"assistant","model":"claude-3-5-sonnet-20241022",)"
    R"("content":[{"type":"text","text":"Hi! {\"not\": \"json\"} ]]"}],"stop_reason":"end_turn",)"
    R"("stop_sequence":null,"usage":{"input_tokens":12,"cache_creation_input_tokens":100,)"
    R"("cache_read_input_tokens":2000,"output_tokens":6}})";

const char kAnthropicError[] =
    R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})";

const char kOpenAIError[] =
    R"({"error":{"message":"Rate limit reached for gpt-4o","type":"requests","param":null,)"
    R"("code":"rate_limit_exceeded"}})";

// A chat request of about `bytes` bytes: many long messages, as a long conversation has.
std::string LargeChatRequest(size_t bytes) {
  std::string body = R"({"model":"gpt-4o","messages":[)";
  const std::string text =
      "Here is some code: for (int i = 0; i < n; ++i) { sum += a[i]; }\\n"
      "She said \\\"it\\u2019s fine\\\" \\\\ path C:\\\\tmp\\\\x \\ud83d\\ude00 caf\xC3\xA9 ";
  for (int i = 0; body.size() < bytes; ++i) {
    if (i > 0) body += ',';
    body += R"({"role":")";
    body += i % 2 == 0 ? "user" : "assistant";
    body += R"(","content":")";
    for (int k = 0; k < 8; ++k) body += text;
    body += R"("})";
  }
  body += R"(],"stream":true,"temperature":0.2})";
  return body;
}

// Random valid JSON objects, spelled every way the grammar allows: whitespace, escapes (in keys
// too), surrogate pairs, number forms, repeated keys, deep and empty containers.
class RandomJson {
 public:
  explicit RandomJson(uint32_t seed) : rng_(seed) {}

  std::string Document() {
    std::string out = Space() + "{";
    const int n = Pick(9);
    for (int i = 0; i < n; ++i) {
      if (i > 0) out += ",";
      out += Space() + Key() + Space() + ":" + Space() + Value(0) + Space();
    }
    if (n == 0) out += Space();
    return out + "}" + Space();
  }

 private:
  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  std::string Space() {
    static const char kSpace[] = {' ', '\t', '\n', '\r'};
    std::string s;
    if (Pick(3) == 0) {
      for (int n = 1 + Pick(3); n > 0; --n) s += kSpace[Pick(4)];
    }
    return s;
  }

  // Names the key sets of ForEachKeySet ask for, and near misses.
  std::string Key() {
    static const std::vector<std::string> kNames = {
        "model",         "stream",   "usage", "type", "message",  "choices",
        "error",         "x",        "",      "mod",  "models",   "Model",
        "content",       "messages", "a\"b",  "/",    "\xC3\xA9", "\xF0\x9F\x98\x80",
        "stream_options"};
    const std::string& name = kNames[Pick(static_cast<int>(kNames.size()))];
    std::string out = "\"";
    const bool escape = Pick(4) == 0;
    for (size_t i = 0; i < name.size(); ++i) {
      const char c = name[i];
      if (c == '"') {
        out += "\\\"";
      } else if (name == "\xF0\x9F\x98\x80" && escape) {
        out += "\\ud83d\\ude00";
        break;
      } else if (c == '/' && escape) {
        out += "\\/";
      } else if (static_cast<unsigned char>(c) < 0x80 && escape && Pick(2) == 0) {
        char hex[8];
        std::snprintf(hex, sizeof(hex), Pick(2) == 0 ? "\\u%04x" : "\\u%04X", c);
        out += hex;
      } else {
        out += c;
      }
    }
    return out + "\"";
  }

  std::string String() {
    static const std::vector<std::string> kPieces = {"hello",
                                                     " ",
                                                     "\\\"",
                                                     "\\\\",
                                                     "\\/",
                                                     "\\n",
                                                     "\\t",
                                                     "\\b\\f\\r",
                                                     "\\u00e9",
                                                     "\\u00E9",
                                                     "\\ud83d\\ude00",
                                                     "\xC3\xA9",
                                                     "\xE6\x97\xA5\xE6\x9C\xAC",
                                                     "\xF0\x9F\x98\x80",
                                                     "{",
                                                     "}",
                                                     "[",
                                                     "]",
                                                     ":",
                                                     ",",
                                                     "\\\\\\\"",
                                                     "\\u0000",
                                                     "\\u005c",
                                                     "\\u0022",
                                                     "true",
                                                     "-1"};
    std::string out = "\"";
    for (int n = Pick(7); n > 0; --n) out += kPieces[Pick(static_cast<int>(kPieces.size()))];
    return out + "\"";
  }

  std::string Number() {
    switch (Pick(8)) {
      case 0:
        return "0";
      case 1:
        return "-0";
      case 2:
        return std::to_string(std::uniform_int_distribution<int64_t>(-1000000, 1000000)(rng_));
      case 3:
        return "18446744073709551615";  // uint64 max
      case 4:
        return "-9223372036854775808";
      case 5:
        return "123456789012345678901234567890";  // beyond 64 bits: a double
      case 6:
        return std::to_string(Pick(1000)) + "." + std::to_string(Pick(100000));
      default: {
        static const char* kExp[] = {"e", "E", "e+", "e-", "E-"};
        return (Pick(2) == 0 ? "-" : "") + std::to_string(1 + Pick(9)) + "." +
               std::to_string(Pick(1000)) + kExp[Pick(5)] + std::to_string(Pick(300));
      }
    }
  }

  std::string Value(int depth) {
    const int kind = depth >= 5 ? Pick(4) : Pick(7);
    switch (kind) {
      case 0:
        return String();
      case 1:
        return Number();
      case 2: {
        static const char* kLiterals[] = {"true", "false", "null"};
        return kLiterals[Pick(3)];
      }
      case 3:
        return String();
      case 4:
      case 5: {
        std::string out = "[" + Space();
        const int n = Pick(5);
        for (int i = 0; i < n; ++i) {
          if (i > 0) out += "," + Space();
          out += Value(depth + 1) + Space();
        }
        return out + "]";
      }
      default: {
        std::string out = "{" + Space();
        const int n = Pick(5);
        for (int i = 0; i < n; ++i) {
          if (i > 0) out += "," + Space();
          out += Key() + Space() + ":" + Space() + Value(depth + 1) + Space();
        }
        return out + "}";
      }
    }
  }

  std::mt19937 rng_;
};

std::vector<std::string> SseData(const char* stream) {
  std::vector<std::string> data;
  SseParser parser;
  auto on_event = [&](SseEvent&& e) {
    if (!e.data.empty() && e.data != "[DONE]") data.push_back(std::move(e.data));
  };
  parser.Feed(stream, on_event);
  parser.Finish(on_event);
  return data;
}

std::vector<std::string> RealisticCorpus() {
  std::vector<std::string> corpus = {
      kOpenAIChatRequest,  kAnthropicRequest,   kOpenAIChatResponse,
      kResponsesCompleted, kEmbeddingsResponse, kAnthropicResponse,
      kAnthropicError,     kOpenAIError,        LargeChatRequest(100 * 1024)};
  for (const char* stream :
       {testdata::kOpenAIStream, testdata::kGoogleStream, testdata::kAnthropicStream}) {
    for (std::string& d : SseData(stream)) corpus.push_back(std::move(d));
  }
  return corpus;
}

// The new ParseKeys gives what the old one gave, for nlohmann::json and ordered_json.
void ExpectSameAsOld(const std::string& doc) {
  ASSERT_TRUE(Json::accept(doc)) << doc;
  ForEachKeySet([&](Keys keys) {
    const Json expected = OldParseKeys<Json>(doc, keys);
    ASSERT_TRUE(expected.is_object());
    EXPECT_EQ(NewParse(doc, keys), expected) << doc;
    EXPECT_EQ(ParseTopLevelKeys<OrderedJson>(doc, keys).dump(),
              OldParseKeys<OrderedJson>(doc, keys).dump())
        << doc;
  });
}

TEST(ParseTopLevelKeysTest, SameAsCallbackParserOnRealisticBodies) {
  const std::vector<std::string> corpus = RealisticCorpus();
  ASSERT_EQ(corpus.size(), 9u + 4u + 3u + 8u);  // the streams' JSON data lines included
  for (const std::string& doc : corpus) ExpectSameAsOld(doc);
  // The comparison has something to compare: the wanted values are there.
  EXPECT_EQ(NewParse(kOpenAIChatRequest, {"model", "stream", "stream_options"}),
            Json::parse(R"({"model":"gpt-4o-mini","stream":true,)"
                        R"("stream_options":{"include_usage":false,"x":[1,2e10,-0.0]}})"));
  EXPECT_EQ(NewParse(corpus[corpus.size() - 2], {"usage", "type", "message"}),
            Json::parse(R"({"type":"message_delta","usage":{"output_tokens":12}})"));
}

// Plain scalars are built without the lexer: same type (an integer is number_unsigned, as
// J::parse makes it) and same value as J::parse, at every edge of the shortcut.
TEST(ParseTopLevelKeysTest, PlainScalarsHaveTheTypeAndValueTheParserGives) {
  const std::vector<std::string> literals = {"null",
                                             "true",
                                             "false",
                                             "0",
                                             "7",
                                             "10",
                                             "123456789012345678",
                                             "1234567890123456789",
                                             "18446744073709551615",
                                             "18446744073709551616",
                                             "-1",
                                             "-0",
                                             "0.5",
                                             "1e3",
                                             "1E+2",
                                             "\"\"",
                                             "\"abc\"",
                                             "\"a b ~ {}[]:,\"",
                                             "\"\u00e9\"",
                                             "\"\\u00e9\"",
                                             "\"x\\\"y\"",
                                             "\"\x7f\"",
                                             "\"\\n\"",
                                             "[]",
                                             "{}",
                                             "[1,\"a\"]",
                                             "{\"a\":null}"};
  for (const std::string& lit : literals) {
    const std::string doc = "{\"k\": " + lit + " }";
    const Json want = Json::parse(lit);
    const Json got = ParseTopLevelKeys<Json>(doc, {"k"});
    ASSERT_TRUE(got.is_object()) << lit;
    EXPECT_EQ(got["k"].type(), want.type()) << lit;
    EXPECT_EQ(got["k"].dump(), want.dump()) << lit;
    const OrderedJson ogot = ParseTopLevelKeys<OrderedJson>(doc, {"k"});
    EXPECT_EQ(ogot["k"].type(), OrderedJson::parse(lit).type()) << lit;
  }
  // Invalid strings are refused as the parser refuses them, shortcut or not.
  for (const std::string& bad :
       {std::string("\"a\tb\""), std::string("\"a\nb\""), std::string("\"\xff\""),
        std::string("\"\xc3\""), std::string("\"\x80\"")}) {
    EXPECT_TRUE(ParseTopLevelKeys<Json>("{\"k\":" + bad + "}", {"k"}).is_discarded()) << bad;
  }
}

TEST(ParseTopLevelKeysTest, SameAsCallbackParserOnRandomDocuments) {
  RandomJson gen(20240611);
  int with_wanted_key = 0;
  for (int i = 0; i < 400; ++i) {
    const std::string doc = gen.Document();
    ExpectSameAsOld(doc);
    if (!OldParseKeys<Json>(doc, {"model", "stream", "usage"}).empty()) ++with_wanted_key;
  }
  // Many documents have a wanted key: the equality above is not between empty objects.
  EXPECT_GT(with_wanted_key, 150);
}

// ---- Broken input ---------------------------------------------------------------------------

TEST(ScanTopLevelKeysTest, EveryTruncationFails) {
  for (const std::string& doc : {std::string(kOpenAIChatRequest), std::string(kAnthropicRequest),
                                 std::string(R"({"a":"\\\"\u00e9","b":-1.5e+3,"c":[{}],"d":1})")}) {
    for (size_t n = 0; n < doc.size(); ++n) {
      const std::string_view prefix = std::string_view(doc).substr(0, n);
      EXPECT_EQ(Scan(prefix, {"model", "stream", "a", "b", "d"}), std::nullopt) << prefix;
      EXPECT_TRUE(NewParse(prefix, {"model", "stream", "a", "b", "d"}).is_discarded()) << prefix;
    }
    EXPECT_NE(Scan(doc, {"model"}), std::nullopt);
    // Whitespace after the brace may be cut anywhere.
    const std::string padded = doc + " \r\n\t";
    for (size_t n = doc.size(); n <= padded.size(); ++n) {
      EXPECT_NE(Scan(std::string_view(padded).substr(0, n), {"model"}), std::nullopt) << n;
    }
  }
}

// One byte replaced or removed anywhere: never a crash or an out-of-bounds read, never a refusal
// of what nlohmann accepts, and the same result whenever nlohmann accepts it.
TEST(ScanTopLevelKeysTest, SingleByteEditsNeverDisagreeWithNlohmannOnValidResults) {
  const std::string doc =
      R"({"model":"m\"1","stream":true,"n":-1.5e3,"usage":{"a":[1,"]",{"b":null}]},)"
      R"("messages":[{"c":"x\\"},[],"\u00e9"],"x":false})";
  const std::string replacements = "\"\\{}[],: 0-.eEtx/u";
  std::vector<std::string> edits;
  for (size_t i = 0; i < doc.size(); ++i) {
    edits.push_back(doc.substr(0, i) + doc.substr(i + 1));
    for (char c : replacements) {
      if (c == doc[i]) continue;
      std::string edited = doc;
      edited[i] = c;
      edits.push_back(std::move(edited));
    }
  }
  int valid = 0;
  int lenient = 0;
  for (const std::string& text : edits) {
    const Keys keys = {"model", "stream", "usage", "x"};
    const std::optional<Spans> spans = Scan(text, keys);
    const Json strict = Json::parse(text, nullptr, false);
    if (!strict.is_discarded() && strict.is_object()) {
      ++valid;
      EXPECT_NE(spans, std::nullopt) << text;
      EXPECT_EQ(NewParse(text, keys), OldParseKeys<Json>(text, keys)) << text;
    } else if (spans.has_value()) {
      ++lenient;
    }
  }
  EXPECT_GT(valid, 50);
  EXPECT_GT(lenient, 0);  // inside skipped values, as documented
}

}  // namespace
}  // namespace llmgw::gateway

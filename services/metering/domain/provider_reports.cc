#include "services/metering/domain/provider_reports.h"

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/common/rfc3339.h"
#include "libs/common/status_macros.h"
#include "nlohmann/json.hpp"
#include "services/metering/domain/usage.h"

namespace llmgw::metering {
namespace {

using json = nlohmann::json;

// Builds the document like json::parse, except that every non-integer number is kept as the
// string of its source text, so amounts never pass through a double.
class DecimalKeepingSax {
 public:
  bool null() { return Put(nullptr); }
  bool boolean(bool v) { return Put(v); }
  bool number_integer(json::number_integer_t v) { return Put(v); }
  bool number_unsigned(json::number_unsigned_t v) { return Put(v); }
  bool number_float(json::number_float_t, const json::string_t& raw) { return Put(raw); }
  bool string(json::string_t& s) { return Put(std::move(s)); }
  bool binary(json::binary_t&) { return Put(nullptr); }
  bool start_object(std::size_t) { return Open(json::object()); }
  bool start_array(std::size_t) { return Open(json::array()); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }
  bool key(json::string_t& k) {
    key_ = std::move(k);
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    return false;
  }
  json& root() { return root_; }

 private:
  // Where the next value goes; pointers into a container stay valid because only the innermost
  // open container grows.
  json* Slot() {
    if (stack_.empty()) return &root_;
    json* top = stack_.back();
    if (top->is_object()) return &(*top)[key_];
    top->push_back(nullptr);
    return &top->back();
  }
  template <typename V>
  bool Put(V&& v) {
    *Slot() = std::forward<V>(v);
    return true;
  }
  bool Open(json container) {
    json* slot = Slot();
    *slot = std::move(container);
    stack_.push_back(slot);
    return true;
  }
  bool Close() {
    stack_.pop_back();
    return true;
  }
  json root_;
  std::vector<json*> stack_;
  std::string key_;
};

absl::Status Malformed(ReportProvider p, ReportKind kind, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("malformed ", ReportProviderTitle(p),
                                                 kind == ReportKind::kUsage ? " usage" : " cost",
                                                 " report: ", std::string(why)));
}

// A token count: a non-negative integer, or null/absent for 0.
absl::StatusOr<int64_t> Count(const json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return int64_t{0};
  if (it->is_number_unsigned() && it->get<uint64_t>() <= static_cast<uint64_t>(kMaxCount)) {
    return static_cast<int64_t>(it->get<uint64_t>());
  }
  if (it->is_number_integer() && it->get<int64_t>() >= 0 && it->get<int64_t>() <= kMaxCount) {
    return it->get<int64_t>();
  }
  return absl::InvalidArgumentError(absl::StrCat(name, " is not a token count"));
}

std::string StringOr(const json& obj, const char* name, std::string fallback = "") {
  auto it = obj.find(name);
  if (it == obj.end() || !it->is_string()) return fallback;
  return it->get<std::string>();
}

// The amount's text: a kept-decimal string, or an integer.
absl::StatusOr<std::string> AmountText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
  return absl::InvalidArgumentError("amount is not a number");
}

absl::Status CheckUsd(const json& obj, const char* field) {
  std::string currency = absl::AsciiStrToLower(StringOr(obj, field, "usd"));
  if (currency != "usd") {
    return absl::InvalidArgumentError(
        absl::StrCat("costs in ", currency.substr(0, 10), " are not supported (USD only)"));
  }
  return absl::OkStatus();
}

void AddCost(KindCosts& c, std::string_view kind, money::Nano nano) {
  if (kind == "uncached_input") {
    c.uncached_input += nano;
  } else if (kind == "cached_input") {
    c.cached_input += nano;
  } else if (kind == "cache_write") {
    c.cache_write += nano;
  } else if (kind == "output") {
    c.output += nano;
  } else {
    c.other += nano;
  }
}

// "gpt-4o-mini-2024-07-18, cached input" → (model, kind).
std::pair<std::string, std::string_view> SplitLineItem(const std::string& item) {
  size_t comma = item.rfind(", ");
  if (comma == std::string::npos) return {item, "other"};
  std::string_view suffix = std::string_view(item).substr(comma + 2);
  std::string model = item.substr(0, comma);
  if (suffix == "input") return {model, "uncached_input"};
  if (suffix == "cached input") return {model, "cached_input"};
  if (suffix == "output") return {model, "output"};
  return {model, "other"};
}

std::string_view AnthropicTokenKind(std::string_view token_type) {
  if (token_type == "uncached_input_tokens") return "uncached_input";
  if (token_type == "cache_read_input_tokens") return "cached_input";
  if (token_type.substr(0, 14) == "cache_creation") return "cache_write";
  if (token_type == "output_tokens") return "output";
  return "other";
}

// One result of a page, into a bucket of `day`.
absl::StatusOr<ReportedBucket> ParseResult(ReportProvider p, ReportKind kind, int64_t day,
                                           const json& r) {
  if (!r.is_object()) return absl::InvalidArgumentError("a result is not an object");
  ReportedBucket b;
  b.day_unix_ms = day;
  if (kind == ReportKind::kUsage) {
    b.model = StringOr(r, "model");
    b.api_key_id = StringOr(r, "api_key_id");
    if (p == ReportProvider::kOpenAi) {
      LLMGW_ASSIGN_OR_RETURN(b.tokens.input, Count(r, "input_tokens"));
      LLMGW_ASSIGN_OR_RETURN(b.tokens.cached_input, Count(r, "input_cached_tokens"));
      LLMGW_ASSIGN_OR_RETURN(b.tokens.output, Count(r, "output_tokens"));
      LLMGW_ASSIGN_OR_RETURN(b.tokens.requests, Count(r, "num_model_requests"));
      if (b.tokens.cached_input > b.tokens.input) {
        return absl::InvalidArgumentError("input_cached_tokens exceed input_tokens");
      }
    } else {
      LLMGW_ASSIGN_OR_RETURN(int64_t uncached, Count(r, "uncached_input_tokens"));
      LLMGW_ASSIGN_OR_RETURN(b.tokens.cached_input, Count(r, "cache_read_input_tokens"));
      int64_t writes = 0;
      auto cc = r.find("cache_creation");
      if (cc != r.end() && cc->is_object()) {
        LLMGW_ASSIGN_OR_RETURN(int64_t w5m, Count(*cc, "ephemeral_5m_input_tokens"));
        LLMGW_ASSIGN_OR_RETURN(int64_t w1h, Count(*cc, "ephemeral_1h_input_tokens"));
        writes = w5m + w1h;
      }
      b.tokens.cache_write = writes;
      b.tokens.input = uncached + b.tokens.cached_input + writes;
      LLMGW_ASSIGN_OR_RETURN(b.tokens.output, Count(r, "output_tokens"));
    }
    return b;
  }
  // Costs: per model (and kind), never per key.
  if (p == ReportProvider::kOpenAi) {
    auto amount = r.find("amount");
    if (amount == r.end() || !amount->is_object() || !amount->contains("value")) {
      return absl::InvalidArgumentError("a cost result has no amount.value");
    }
    LLMGW_RETURN_IF_ERROR(CheckUsd(*amount, "currency"));
    LLMGW_ASSIGN_OR_RETURN(std::string text, AmountText((*amount)["value"]));
    LLMGW_ASSIGN_OR_RETURN(money::Nano nano, DecimalToNano(text, 9));
    auto [model, cost_kind] = SplitLineItem(StringOr(r, "line_item"));
    b.model = std::move(model);
    AddCost(b.cost, cost_kind, nano);
    return b;
  }
  auto amount = r.find("amount");
  if (amount == r.end()) return absl::InvalidArgumentError("a cost result has no amount");
  LLMGW_RETURN_IF_ERROR(CheckUsd(r, "currency"));
  LLMGW_ASSIGN_OR_RETURN(std::string text, AmountText(*amount));
  LLMGW_ASSIGN_OR_RETURN(money::Nano nano, DecimalToNano(text, 7));  // cents
  b.model = StringOr(r, "model");
  if (b.model.empty()) b.model = StringOr(r, "description");
  AddCost(b.cost, AnthropicTokenKind(StringOr(r, "token_type")), nano);
  return b;
}

absl::StatusOr<int64_t> BucketStart(ReportProvider p, const json& bucket) {
  if (p == ReportProvider::kOpenAi) {
    auto it = bucket.find("start_time");
    if (it == bucket.end() || !it->is_number_integer()) {
      return absl::InvalidArgumentError("a bucket has no start_time");
    }
    int64_t s = it->get<int64_t>();
    if (s < 0 || s > kMaxUnixMs / 1000)
      return absl::InvalidArgumentError("start_time out of range");
    return s * 1000;
  }
  auto it = bucket.find("starting_at");
  if (it == bucket.end() || !it->is_string()) {
    return absl::InvalidArgumentError("a bucket has no starting_at");
  }
  return ParseRfc3339(it->get<std::string>(), "starting_at");
}

}  // namespace

std::string QueryString(const std::vector<std::pair<std::string, std::string>>& params) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  auto encode = [](std::string_view s, std::string& out) {
    for (unsigned char c : s) {
      if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
        out += static_cast<char>(c);
      } else {
        out += '%';
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
    }
  };
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    encode(k, out);
    out += '=';
    encode(v, out);
  }
  return out;
}

HttpRequest ReportRequest(const ReportEndpoints& endpoints, ReportProvider provider,
                          ReportKind kind, DayWindow window, int limit, std::string_view page,
                          std::string_view admin_key) {
  std::vector<std::pair<std::string, std::string>> q;
  HttpRequest req;
  if (provider == ReportProvider::kOpenAi) {
    q = {{"start_time", absl::StrCat(window.from_day_ms / 1000)},
         {"end_time", absl::StrCat(window.to_day_ms / 1000)},
         {"bucket_width", "1d"}};
    if (kind == ReportKind::kUsage) {
      q.push_back({"group_by", "model"});
      q.push_back({"group_by", "api_key_id"});
    } else {
      q.push_back({"group_by", "line_item"});
    }
    q.push_back({"limit", absl::StrCat(limit)});
    if (!page.empty()) q.push_back({"page", std::string(page)});
    req.url = absl::StrCat(
        endpoints.openai_base_url,
        kind == ReportKind::kUsage ? "/organization/usage/completions" : "/organization/costs", "?",
        QueryString(q));
    req.headers = {{"Authorization", absl::StrCat("Bearer ", std::string(admin_key))},
                   {"Accept", "application/json"}};
    return req;
  }
  q = {{"starting_at", FormatRfc3339(window.from_day_ms)},
       {"ending_at", FormatRfc3339(window.to_day_ms)},
       {"bucket_width", "1d"}};
  if (kind == ReportKind::kUsage) {
    q.push_back({"group_by[]", "model"});
    q.push_back({"group_by[]", "api_key_id"});
  } else {
    q.push_back({"group_by[]", "description"});
  }
  q.push_back({"limit", absl::StrCat(limit)});
  if (!page.empty()) q.push_back({"page", std::string(page)});
  req.url = absl::StrCat(endpoints.anthropic_base_url,
                         kind == ReportKind::kUsage ? "/v1/organizations/usage_report/messages"
                                                    : "/v1/organizations/cost_report",
                         "?", QueryString(q));
  req.headers = {{"x-api-key", std::string(admin_key)},
                 {"anthropic-version", kAnthropicVersion},
                 {"Accept", "application/json"}};
  return req;
}

absl::StatusOr<ReportPage> ParseReportPage(ReportProvider provider, ReportKind kind,
                                           std::string_view body) {
  DecimalKeepingSax sax;
  if (!json::sax_parse(body.begin(), body.end(), &sax) || !sax.root().is_object()) {
    return Malformed(provider, kind, "not a JSON object");
  }
  const json& doc = sax.root();
  auto data = doc.find("data");
  if (data == doc.end() || !data->is_array()) return Malformed(provider, kind, "no data array");
  ReportPage page;
  for (const json& bucket : *data) {
    if (!bucket.is_object()) return Malformed(provider, kind, "a bucket is not an object");
    absl::StatusOr<int64_t> start = BucketStart(provider, bucket);
    if (!start.ok()) return Malformed(provider, kind, std::string(start.status().message()));
    auto results = bucket.find("results");
    if (results == bucket.end() || results->is_null()) continue;
    if (!results->is_array()) return Malformed(provider, kind, "results is not an array");
    for (const json& r : *results) {
      absl::StatusOr<ReportedBucket> b = ParseResult(provider, kind, DayOf(*start), r);
      if (!b.ok()) return Malformed(provider, kind, std::string(b.status().message()));
      page.buckets.push_back(*std::move(b));
    }
  }
  auto more = doc.find("has_more");
  page.has_more = more != doc.end() && more->is_boolean() && more->get<bool>();
  page.next_page = StringOr(doc, "next_page");
  if (page.has_more && page.next_page.empty()) {
    return Malformed(provider, kind, "has_more without next_page");
  }
  return page;
}

std::string ProviderErrorMessage(std::string_view body, std::string_view admin_key) {
  json doc = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return "";
  auto err = doc.find("error");
  std::string message;
  if (err != doc.end() && err->is_object()) message = StringOr(*err, "message");
  if (err != doc.end() && err->is_string()) message = err->get<std::string>();
  if (!admin_key.empty()) {
    for (size_t at = message.find(admin_key); at != std::string::npos;
         at = message.find(admin_key, at)) {
      message.replace(at, admin_key.size(), "[redacted]");
    }
  }
  // Whole UTF-8 sequences only (the JSON parser checked them), control characters as spaces.
  std::string out;
  for (size_t i = 0; i < message.size();) {
    unsigned char c = static_cast<unsigned char>(message[i]);
    size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    if (out.size() + len > 300 || i + len > message.size()) break;
    if (c < 0x20) {
      out += ' ';
    } else {
      out.append(message, i, len);
    }
    i += len;
  }
  return out;
}

}  // namespace llmgw::metering

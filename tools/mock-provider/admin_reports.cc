#include "tools/mock-provider/admin_reports.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <variant>

#include "libs/common/crypto.h"
#include "libs/common/rfc3339.h"
#include "nlohmann/json.hpp"

namespace llmgw::mock {
namespace {

using json = nlohmann::json;

constexpr int64_t kDayS = 86'400;

// nano-USD per token: input, cached input, 5-minute cache write, 1-hour cache write, output.
struct Price {
  int64_t input, cached, write_5m, write_1h, output;
};
Price PriceOf(const std::string& model) {
  static const std::map<std::string, Price, std::less<>> kPrices = {
      {"gpt-4o", {2500, 1250, 2500, 2500, 10000}},
      {"gpt-4o-mini", {150, 75, 150, 150, 600}},
      {"gpt-4.1", {2000, 500, 2000, 2000, 8000}},
      {"gpt-4.1-mini", {400, 100, 400, 400, 1600}},
      {"claude-3-5-haiku-20241022", {800, 80, 1000, 1600, 4000}},
      {"claude-3-5-sonnet-20241022", {3000, 300, 3750, 6000, 15000}},
      {"claude-sonnet-4-20250514", {3000, 300, 3750, 6000, 15000}},
  };
  auto it = kPrices.find(model);
  return it == kPrices.end() ? Price{1000, 1000, 1000, 1000, 4000} : it->second;
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

MockResponse Json(int status, const json& body, bool anthropic, const Context& context) {
  MockResponse r;
  r.status = status;
  r.headers.emplace_back(anthropic ? "request-id" : "x-request-id",
                         "req_mock_" + std::to_string(context.request_number));
  r.body = Dump(body);
  return r;
}

MockResponse OpenAiError(int status, const std::string& message, const json& type, const json& code,
                         const json& param, const Context& context) {
  return Json(status,
              {{"error", {{"message", message}, {"type", type}, {"param", param}, {"code", code}}}},
              false, context);
}

MockResponse AnthropicError(int status, const std::string& type, const std::string& message,
                            const Context& context) {
  return Json(status, {{"type", "error"}, {"error", {{"type", type}, {"message", message}}}}, true,
              context);
}

std::string Decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size()) {
      int v = 0;
      auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (ec == std::errc() && p == s.data() + i + 3) {
        out += static_cast<char>(v);
        i += 2;
      } else {
        out += s[i];
      }
    } else {
      out += s[i];
    }
  }
  return out;
}

using Query = std::vector<std::pair<std::string, std::string>>;

Query ParseQuery(std::string_view target) {
  Query q;
  size_t mark = target.find('?');
  if (mark == std::string_view::npos) return q;
  std::string_view rest = target.substr(mark + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view part = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    q.emplace_back(Decode(part.substr(0, eq)),
                   eq == std::string_view::npos ? "" : Decode(part.substr(eq + 1)));
  }
  return q;
}

std::optional<std::string> One(const Query& q, std::string_view name) {
  for (const auto& [k, v] : q) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::vector<std::string> All(const Query& q, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& [k, v] : q) {
    if (k == name) out.push_back(v);
  }
  return out;
}

std::optional<int64_t> Int(const std::string& s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

enum class Report { kOpenAiUsage, kOpenAiCosts, kAnthropicUsage, kAnthropicCosts };

// The validated parameters of one page.
struct PageQuery {
  int64_t start_s = 0;
  int64_t end_s = 0;
  int64_t page_start_s = 0;
  int limit = 7;
  std::set<std::string> group_by;
};

std::string BearerOf(const MockRequest& r) {
  std::string_view auth = r.Header("authorization");
  if (auth.size() > 7 && (auth.substr(0, 7) == "Bearer " || auth.substr(0, 7) == "bearer ")) {
    return std::string(auth.substr(7));
  }
  return "";
}

std::string Redacted(const std::string& key) {
  if (key.size() < 12) return "****";
  return key.substr(0, 9) + "****" + key.substr(key.size() - 4);
}

// nano-USD as decimal USD (OpenAI's amount.value: a JSON number) or as cents (Anthropic's string).
double UsdValue(int64_t nano) { return static_cast<double>(nano) / 1e9; }
std::string Cents(int64_t nano) {
  // 1 cent = 10^7 nano.
  std::string digits = std::to_string(nano / 10'000'000);
  int64_t frac = nano % 10'000'000;
  if (frac == 0) return digits;
  std::string f = std::to_string(frac);
  f = std::string(7 - f.size(), '0') + f;
  while (f.back() == '0') f.pop_back();
  return digits + "." + f;
}

}  // namespace

std::string ApiKeyId(std::string_view key) { return "key_" + crypto::Sha256Hex(key).substr(0, 12); }

void UsageLedger::Counts::Add(const Counts& o) {
  input += o.input;
  cached += o.cached;
  write_5m += o.write_5m;
  write_1h += o.write_1h;
  output += o.output;
  requests += o.requests;
}

void UsageLedger::Record(const ServedUsage& s, std::string_view customer_key, int64_t now_s) {
  if (s.provider != "openai" && s.provider != "anthropic") return;
  Add({s.provider, now_s - now_s % kDayS, s.model, ApiKeyId(customer_key)},
      {s.input_tokens, s.cached_input_tokens, s.cache_write_5m_tokens, s.cache_write_1h_tokens,
       s.output_tokens, 1});
}

void UsageLedger::Add(const Key& key, const Counts& counts) {
  std::lock_guard<std::mutex> lock(mu_);
  usage_[key].Add(counts);
}

std::map<UsageLedger::Key, UsageLedger::Counts> UsageLedger::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return usage_;
}

void UsageLedger::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  usage_.clear();
  revoked_.clear();
  faults_.clear();
}

void UsageLedger::Revoke(std::string admin_key) {
  std::lock_guard<std::mutex> lock(mu_);
  revoked_.insert(std::move(admin_key));
}

bool UsageLedger::Revoked(std::string_view admin_key) const {
  if (admin_key.find("revoked") != std::string_view::npos) return true;
  std::lock_guard<std::mutex> lock(mu_);
  return revoked_.count(std::string(admin_key)) > 0;
}

void UsageLedger::AddFaults(const std::vector<int>& statuses) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.insert(faults_.end(), statuses.begin(), statuses.end());
}

std::optional<int> UsageLedger::TakeFault() {
  std::lock_guard<std::mutex> lock(mu_);
  if (faults_.empty()) return std::nullopt;
  int s = faults_.front();
  faults_.erase(faults_.begin());
  return s;
}

namespace {

// Checks the admin key; an error answer, or nullopt when it may read the reports.
std::optional<MockResponse> CheckAdminKey(const MockRequest& r, bool anthropic,
                                          const UsageLedger& ledger, const Context& context) {
  if (!anthropic) {
    std::string key = BearerOf(r);
    if (key.empty()) {
      return OpenAiError(401,
                         "You didn't provide an API key. You need to provide your API key in an "
                         "Authorization header using Bearer auth (i.e. Authorization: Bearer "
                         "YOUR_KEY).",
                         "invalid_request_error", nullptr, nullptr, context);
    }
    if (ledger.Revoked(key)) {
      return OpenAiError(401,
                         "Incorrect API key provided: " + Redacted(key) +
                             ". You can find your API key at "
                             "https://platform.openai.com/account/api-keys.",
                         "invalid_request_error", "invalid_api_key", nullptr, context);
    }
    if (key.rfind("sk-admin-", 0) != 0) {
      return OpenAiError(403,
                         "You have insufficient permissions for this operation. Missing scopes: "
                         "api.usage.read. Use an admin key (sk-admin-…).",
                         "invalid_request_error", nullptr, nullptr, context);
    }
    return std::nullopt;
  }
  std::string key(r.Header("x-api-key"));
  if (key.empty()) {
    return AnthropicError(401, "authentication_error", "x-api-key header is required", context);
  }
  if (r.Header("anthropic-version").empty()) {
    return AnthropicError(400, "invalid_request_error", "anthropic-version: header is required",
                          context);
  }
  if (ledger.Revoked(key)) {
    return AnthropicError(401, "authentication_error", "invalid x-api-key", context);
  }
  if (key.rfind("sk-ant-admin", 0) != 0) {
    return AnthropicError(403, "permission_error",
                          "This endpoint requires an Admin API key (sk-ant-admin…).", context);
  }
  return std::nullopt;
}

MockResponse Fault(int status, bool anthropic, const Context& context) {
  MockResponse r;
  if (anthropic) {
    std::string type = status == 429   ? "rate_limit_error"
                       : status == 529 ? "overloaded_error"
                                       : "api_error";
    r = AnthropicError(status, type, "mock injected admin API error", context);
  } else {
    r = status == 429 ? OpenAiError(429, "Rate limit reached for organization usage requests.",
                                    "requests", "rate_limit_exceeded", nullptr, context)
                      : OpenAiError(status, "The server had an error processing your request.",
                                    "server_error", nullptr, nullptr, context);
  }
  if (status == 429) r.headers.emplace_back("retry-after", "0");
  return r;
}

// Parses and validates the page's parameters; an error answer on failure.
std::variant<PageQuery, MockResponse> ParsePage(Report report, const Query& q, int64_t now_s,
                                                const AdminOptions& options,
                                                const Context& context) {
  bool anthropic = report == Report::kAnthropicUsage || report == Report::kAnthropicCosts;
  auto bad = [&](const std::string& message, const std::string& param) -> MockResponse {
    if (anthropic) return AnthropicError(400, "invalid_request_error", message, context);
    return OpenAiError(400, message, "invalid_request_error", nullptr, param, context);
  };
  PageQuery p;
  const char* start_name = anthropic ? "starting_at" : "start_time";
  const char* end_name = anthropic ? "ending_at" : "end_time";
  auto time_of = [&](const char* name) -> std::optional<int64_t> {
    std::optional<std::string> v = One(q, name);
    if (!v) return std::nullopt;
    if (!anthropic) return Int(*v);
    absl::StatusOr<int64_t> ms = ParseRfc3339(*v, name);
    if (!ms.ok()) return std::nullopt;
    return *ms / 1000;
  };
  std::optional<int64_t> start = time_of(start_name);
  if (!start || *start < 0)
    return bad(std::string(start_name) + ": a valid time is required", start_name);
  p.start_s = *start;
  if (One(q, end_name)) {
    std::optional<int64_t> end = time_of(end_name);
    if (!end || *end <= p.start_s)
      return bad(std::string(end_name) + ": must be after the start", end_name);
    p.end_s = *end;
  } else {
    p.end_s = p.start_s + std::max<int64_t>(1, (now_s - p.start_s + kDayS - 1) / kDayS) * kDayS;
  }
  std::string width = One(q, "bucket_width").value_or("1d");
  if (width != "1d")
    return bad("bucket_width: this mock serves daily buckets (1d) only", "bucket_width");
  const int max_limit = report == Report::kOpenAiCosts ? 180 : 31;
  if (std::optional<std::string> l = One(q, "limit")) {
    std::optional<int64_t> v = Int(*l);
    if (!v || *v < 1 || *v > max_limit) {
      return bad("limit: must be between 1 and " + std::to_string(max_limit), "limit");
    }
    p.limit = static_cast<int>(*v);
  }
  if (options.max_page_buckets > 0) p.limit = std::min(p.limit, options.max_page_buckets);
  std::set<std::string> allowed;
  switch (report) {
    case Report::kOpenAiUsage:
      allowed = {"project_id", "user_id", "api_key_id", "model", "batch"};
      break;
    case Report::kOpenAiCosts:
      allowed = {"project_id", "line_item"};
      break;
    case Report::kAnthropicUsage:
      allowed = {"api_key_id", "workspace_id", "model", "service_tier", "context_window"};
      break;
    case Report::kAnthropicCosts:
      allowed = {"workspace_id", "description"};
      break;
  }
  for (const std::string& g : All(q, anthropic ? "group_by[]" : "group_by")) {
    if (allowed.count(g) == 0) return bad("group_by: unsupported value " + g, "group_by");
    p.group_by.insert(g);
  }
  p.page_start_s = p.start_s;
  if (std::optional<std::string> page = One(q, "page")) {
    std::optional<int64_t> at = page->rfind("page_", 0) == 0 ? Int(page->substr(5)) : std::nullopt;
    if (!at || *at < p.start_s || *at >= p.end_s || (*at - p.start_s) % kDayS != 0) {
      return bad("page: invalid cursor", "page");
    }
    p.page_start_s = *at;
  }
  return p;
}

// Sums of the ledger per bucket result, keyed by the grouped fields.
using Group = std::tuple<std::string, std::string>;  // model, key id ("" when not grouped)

json OpenAiUsageResults(const std::map<UsageLedger::Key, UsageLedger::Counts>& usage,
                        const PageQuery& p, int64_t from, int64_t to) {
  bool by_model = p.group_by.count("model") > 0, by_key = p.group_by.count("api_key_id") > 0;
  std::map<Group, UsageLedger::Counts> groups;
  for (const auto& [k, c] : usage) {
    const auto& [provider, day, model, key_id] = k;
    if (provider != "openai" || day < from || day >= to) continue;
    groups[{by_model ? model : "", by_key ? key_id : ""}].Add(c);
  }
  json results = json::array();
  for (const auto& [g, c] : groups) {
    results.push_back({{"object", "organization.usage.completions.result"},
                       {"input_tokens", c.input},
                       {"output_tokens", c.output},
                       {"input_cached_tokens", c.cached},
                       {"input_audio_tokens", 0},
                       {"output_audio_tokens", 0},
                       {"num_model_requests", c.requests},
                       {"project_id", nullptr},
                       {"user_id", nullptr},
                       {"api_key_id", by_key ? json(std::get<1>(g)) : json(nullptr)},
                       {"model", by_model ? json(std::get<0>(g)) : json(nullptr)},
                       {"batch", p.group_by.count("batch") ? json(false) : json(nullptr)}});
  }
  return results;
}

json AnthropicUsageResults(const std::map<UsageLedger::Key, UsageLedger::Counts>& usage,
                           const PageQuery& p, int64_t from, int64_t to) {
  bool by_model = p.group_by.count("model") > 0, by_key = p.group_by.count("api_key_id") > 0;
  std::map<Group, UsageLedger::Counts> groups;
  for (const auto& [k, c] : usage) {
    const auto& [provider, day, model, key_id] = k;
    if (provider != "anthropic" || day < from || day >= to) continue;
    groups[{by_model ? model : "", by_key ? key_id : ""}].Add(c);
  }
  json results = json::array();
  for (const auto& [g, c] : groups) {
    results.push_back(
        {{"uncached_input_tokens", c.input - c.cached - c.write_5m - c.write_1h},
         {"cache_creation",
          {{"ephemeral_1h_input_tokens", c.write_1h}, {"ephemeral_5m_input_tokens", c.write_5m}}},
         {"cache_read_input_tokens", c.cached},
         {"output_tokens", c.output},
         {"server_tool_use", {{"web_search_requests", 0}}},
         {"api_key_id", by_key ? json(std::get<1>(g)) : json(nullptr)},
         {"workspace_id", nullptr},
         {"model", by_model ? json(std::get<0>(g)) : json(nullptr)},
         {"service_tier", p.group_by.count("service_tier") ? json("standard") : json(nullptr)},
         {"context_window", p.group_by.count("context_window") ? json("0-200k") : json(nullptr)}});
  }
  return results;
}

// One cost line: what a kind of token of one model cost on one day.
struct CostLine {
  std::string model;
  std::string kind;  // input | cached input | cache write 5m | cache write 1h | output
  int64_t nano = 0;
};

std::vector<CostLine> CostLines(const std::map<UsageLedger::Key, UsageLedger::Counts>& usage,
                                const std::string& provider, int64_t from, int64_t to) {
  std::map<std::string, UsageLedger::Counts> by_model;
  for (const auto& [k, c] : usage) {
    const auto& [p, day, model, key_id] = k;
    if (p == provider && day >= from && day < to) by_model[model].Add(c);
  }
  std::vector<CostLine> lines;
  for (const auto& [model, c] : by_model) {
    Price price = PriceOf(model);
    int64_t uncached = c.input - c.cached - c.write_5m - c.write_1h;
    auto add = [&](const char* kind, int64_t nano) {
      if (nano != 0) lines.push_back({model, kind, nano});
    };
    if (provider == "openai") {
      // OpenAI bills cache writes as input.
      add("input", (uncached + c.write_5m + c.write_1h) * price.input);
      add("cached input", c.cached * price.cached);
    } else {
      add("input", uncached * price.input);
      add("cached input", c.cached * price.cached);
      add("cache write 5m", c.write_5m * price.write_5m);
      add("cache write 1h", c.write_1h * price.write_1h);
    }
    add("output", c.output * price.output);
  }
  return lines;
}

json OpenAiCostResults(const std::map<UsageLedger::Key, UsageLedger::Counts>& usage,
                       const PageQuery& p, int64_t from, int64_t to) {
  std::vector<CostLine> lines = CostLines(usage, "openai", from, to);
  json results = json::array();
  auto result = [](int64_t nano, json line_item) {
    return json{{"object", "organization.costs.result"},
                {"amount", {{"value", UsdValue(nano)}, {"currency", "usd"}}},
                {"line_item", std::move(line_item)},
                {"project_id", nullptr}};
  };
  if (p.group_by.count("line_item") == 0) {
    int64_t total = 0;
    for (const CostLine& l : lines) total += l.nano;
    if (total != 0) results.push_back(result(total, nullptr));
    return results;
  }
  for (const CostLine& l : lines) results.push_back(result(l.nano, l.model + ", " + l.kind));
  return results;
}

json AnthropicCostResults(const std::map<UsageLedger::Key, UsageLedger::Counts>& usage,
                          const PageQuery& p, int64_t from, int64_t to) {
  std::vector<CostLine> lines = CostLines(usage, "anthropic", from, to);
  json results = json::array();
  if (p.group_by.count("description") == 0) {
    int64_t total = 0;
    for (const CostLine& l : lines) total += l.nano;
    if (total != 0) {
      results.push_back({{"currency", "USD"},
                         {"amount", Cents(total)},
                         {"workspace_id", nullptr},
                         {"description", nullptr},
                         {"cost_type", nullptr},
                         {"context_window", nullptr},
                         {"model", nullptr},
                         {"service_tier", nullptr},
                         {"token_type", nullptr}});
    }
    return results;
  }
  static const std::map<std::string, std::pair<const char*, const char*>> kTypes = {
      {"input", {"uncached_input_tokens", "Input Tokens"}},
      {"cached input", {"cache_read_input_tokens", "Cache Read"}},
      {"cache write 5m", {"cache_creation.ephemeral_5m_input_tokens", "Cache Write (5m)"}},
      {"cache write 1h", {"cache_creation.ephemeral_1h_input_tokens", "Cache Write (1h)"}},
      {"output", {"output_tokens", "Output Tokens"}},
  };
  for (const CostLine& l : lines) {
    const auto& [token_type, title] = kTypes.at(l.kind);
    results.push_back({{"currency", "USD"},
                       {"amount", Cents(l.nano)},
                       {"workspace_id", nullptr},
                       {"description", l.model + " Usage - " + title},
                       {"cost_type", "tokens"},
                       {"context_window", "0-200k"},
                       {"model", l.model},
                       {"service_tier", "standard"},
                       {"token_type", token_type}});
  }
  return results;
}

}  // namespace

std::optional<MockResponse> HandleAdminReport(const MockRequest& request, UsageLedger& ledger,
                                              const AdminOptions& options, const Context& context,
                                              int64_t now_s) {
  std::string_view path = request.target;
  if (size_t q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
  Report report;
  if (path == "/openai/v1/organization/usage/completions") {
    report = Report::kOpenAiUsage;
  } else if (path == "/openai/v1/organization/costs") {
    report = Report::kOpenAiCosts;
  } else if (path == "/anthropic/v1/organizations/usage_report/messages") {
    report = Report::kAnthropicUsage;
  } else if (path == "/anthropic/v1/organizations/cost_report") {
    report = Report::kAnthropicCosts;
  } else {
    return std::nullopt;
  }
  bool anthropic = report == Report::kAnthropicUsage || report == Report::kAnthropicCosts;
  if (request.method != "GET") {
    return anthropic ? AnthropicError(405, "invalid_request_error", "Method not allowed", context)
                     : OpenAiError(405, "Method not allowed", "invalid_request_error", nullptr,
                                   nullptr, context);
  }
  if (auto refused = CheckAdminKey(request, anthropic, ledger, context)) return refused;
  if (std::optional<int> fault = ledger.TakeFault()) return Fault(*fault, anthropic, context);
  auto parsed = ParsePage(report, ParseQuery(request.target), now_s, options, context);
  if (auto* error = std::get_if<MockResponse>(&parsed)) return *error;
  const PageQuery& p = std::get<PageQuery>(parsed);

  std::map<UsageLedger::Key, UsageLedger::Counts> usage = ledger.Snapshot();
  json data = json::array();
  int64_t bucket = p.page_start_s;
  for (int n = 0; n < p.limit && bucket < p.end_s; ++n, bucket += kDayS) {
    int64_t bucket_end = std::min(bucket + kDayS, p.end_s);
    json results;
    switch (report) {
      case Report::kOpenAiUsage:
        results = OpenAiUsageResults(usage, p, bucket, bucket_end);
        break;
      case Report::kOpenAiCosts:
        results = OpenAiCostResults(usage, p, bucket, bucket_end);
        break;
      case Report::kAnthropicUsage:
        results = AnthropicUsageResults(usage, p, bucket, bucket_end);
        break;
      case Report::kAnthropicCosts:
        results = AnthropicCostResults(usage, p, bucket, bucket_end);
        break;
    }
    if (anthropic) {
      data.push_back({{"starting_at", FormatRfc3339(bucket * 1000)},
                      {"ending_at", FormatRfc3339(bucket_end * 1000)},
                      {"results", std::move(results)}});
    } else {
      data.push_back({{"object", "bucket"},
                      {"start_time", bucket},
                      {"end_time", bucket_end},
                      {"results", std::move(results)}});
    }
  }
  bool more = bucket < p.end_s;
  json next = more ? json("page_" + std::to_string(bucket)) : json(nullptr);
  json body = anthropic ? json{{"data", std::move(data)}, {"has_more", more}, {"next_page", next}}
                        : json{{"object", "page"},
                               {"data", std::move(data)},
                               {"has_more", more},
                               {"next_page", next}};
  return Json(200, body, anthropic, context);
}

void RecordServed(const MockRequest& request, const MockResponse& response, UsageLedger& ledger,
                  int64_t now_s) {
  if (!response.served || response.status != 200) return;
  std::string key = response.served->provider == "anthropic" && !request.Header("x-api-key").empty()
                        ? std::string(request.Header("x-api-key"))
                        : BearerOf(request);
  ledger.Record(*response.served, key, now_s);
}

std::optional<MockResponse> HandleAdminControl(const MockRequest& request, UsageLedger& ledger,
                                               int64_t now_s) {
  std::string_view path = request.target;
  if (size_t q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
  if (path != "/_mock/admin-usage" && path != "/_mock/admin-revoke" &&
      path != "/_mock/admin-faults") {
    return std::nullopt;
  }
  MockResponse r;
  auto fail = [&](const std::string& message) {
    r.status = 400;
    r.body = Dump({{"error", message}});
    return r;
  };
  if (path == "/_mock/admin-usage" && request.method == "GET") {
    json out = json::array();
    for (const auto& [k, c] : ledger.Snapshot()) {
      const auto& [provider, day, model, key_id] = k;
      out.push_back({{"provider", provider},
                     {"date", FormatRfc3339(day * 1000).substr(0, 10)},
                     {"model", model},
                     {"api_key_id", key_id},
                     {"input_tokens", c.input},
                     {"cached_input_tokens", c.cached},
                     {"cache_write_tokens", c.write_5m},
                     {"cache_write_1h_tokens", c.write_1h},
                     {"output_tokens", c.output},
                     {"requests", c.requests}});
    }
    r.body = Dump(out);
    return r;
  }
  if (request.method != "POST") return fail("use POST");
  json body = json::parse(request.body, nullptr, false);
  if (body.is_discarded()) return fail("the body must be JSON");
  if (path == "/_mock/admin-revoke") {
    if (!body.is_object() || !body.contains("admin_key") || !body["admin_key"].is_string()) {
      return fail("{admin_key} is required");
    }
    ledger.Revoke(body["admin_key"].get<std::string>());
    r.body = R"({"ok":true})";
    return r;
  }
  if (path == "/_mock/admin-faults") {
    if (!body.is_object() || !body.contains("statuses") || !body["statuses"].is_array()) {
      return fail("{statuses:[…]} is required");
    }
    std::vector<int> statuses;
    for (const json& s : body["statuses"]) {
      if (!s.is_number_integer() || s.get<int>() < 400 || s.get<int>() > 599) {
        return fail("statuses are HTTP error codes");
      }
      statuses.push_back(s.get<int>());
    }
    ledger.AddFaults(statuses);
    r.body = R"({"ok":true})";
    return r;
  }
  // POST /_mock/admin-usage: one entry or an array, all validated before any is added.
  json entries = body.is_array() ? body : json::array({body});
  std::vector<std::pair<UsageLedger::Key, UsageLedger::Counts>> adds;
  for (const json& e : entries) {
    if (!e.is_object()) return fail("each entry must be an object");
    std::string provider = e.value("provider", "");
    if (provider != "openai" && provider != "anthropic") {
      return fail("provider must be openai or anthropic");
    }
    std::string model = e.value("model", "");
    if (model.empty()) return fail("model is required");
    std::string key_id = e.value("api_key_id", "");
    if (key_id.empty()) {
      std::string key = e.value("api_key", "");
      if (key.empty()) return fail("api_key or api_key_id is required");
      key_id = ApiKeyId(key);
    }
    int64_t day = now_s - now_s % kDayS;
    if (e.contains("date")) {
      if (!e["date"].is_string()) return fail("date must be YYYY-MM-DD");
      absl::StatusOr<int64_t> ms =
          ParseRfc3339(e["date"].get<std::string>() + "T00:00:00Z", "date");
      if (!ms.ok() || e["date"].get<std::string>().size() != 10)
        return fail("date must be YYYY-MM-DD");
      day = *ms / 1000;
    }
    UsageLedger::Counts c;
    const std::pair<const char*, int64_t*> fields[] = {
        {"input_tokens", &c.input},          {"cached_input_tokens", &c.cached},
        {"cache_write_tokens", &c.write_5m}, {"cache_write_1h_tokens", &c.write_1h},
        {"output_tokens", &c.output},        {"requests", &c.requests}};
    c.requests = 1;
    for (const auto& [name, field] : fields) {
      if (!e.contains(name)) continue;
      if (!e[name].is_number_integer() || e[name].get<int64_t>() < 0) {
        return fail(std::string(name) + " must be a non-negative integer");
      }
      *field = e[name].get<int64_t>();
    }
    if (c.cached + c.write_5m + c.write_1h > c.input) {
      return fail("input_tokens counts every input token: cached and cache writes are part of it");
    }
    adds.push_back({{provider, day, model, key_id}, c});
  }
  for (const auto& [k, c] : adds) ledger.Add(k, c);
  r.body = Dump({{"added", adds.size()}});
  return r;
}

}  // namespace llmgw::mock

#include "services/metering/domain/alerts.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/common/crypto.h"
#include "nlohmann/json.hpp"
#include "libs/common/money.h"
#include "libs/common/rfc3339.h"
#include "libs/common/utc_date.h"

namespace llmgw::metering {
namespace {

using Json = nlohmann::json;

constexpr int64_t kPercentNano = 100 * kThresholdScale;

// part / whole × 100 > threshold (exactly, no floating point). whole > 0.
bool ShareAbove(int64_t part, int64_t whole, int64_t threshold_nano) {
  return static_cast<__int128>(part) * kPercentNano > static_cast<__int128>(threshold_nano) * whole;
}
bool ShareAtLeast(int64_t part, int64_t whole, int64_t threshold_nano) {
  return static_cast<__int128>(part) * kPercentNano >=
         static_cast<__int128>(threshold_nano) * whole;
}

// part / whole as a percentage with one decimal, for people ("12.5").
std::string PercentText(int64_t part, int64_t whole) {
  if (whole <= 0) return "0";
  int64_t tenths = money::DivideRoundHalfUp(static_cast<__int128>(part) * 1000, whole);
  return absl::StrCat(tenths / 10, ".", tenths % 10);
}

// "$12.34" (cents, rounded half up) for people; the JSON keeps nano.
std::string UsdText(int64_t nano) {
  bool negative = nano < 0;
  int64_t cents = money::DivideRoundHalfUp(
      static_cast<__int128>(negative ? -static_cast<__int128>(nano) : nano), 10'000'000);
  std::string c = absl::StrCat(cents % 100);
  if (c.size() < 2) c = "0" + c;
  return absl::StrCat(negative ? "-$" : "$", cents / 100, ".", c);
}

std::string HourKey(int64_t unix_ms) {
  return FormatRfc3339(unix_ms - unix_ms % 3'600'000).substr(0, 13);  // YYYY-MM-DDTHH
}

bool IsEmailAddress(std::string_view s) {
  size_t at = s.find('@');
  if (at == std::string_view::npos || at == 0 || at != s.rfind('@')) return false;
  std::string_view domain = s.substr(at + 1);
  if (domain.empty() || domain.front() == '.' || domain.back() == '.') return false;
  if (domain.find('.') == std::string_view::npos && domain != "localhost") return false;
  for (char c : s) {
    // No spaces, controls, angle brackets or commas: one bare address, nothing an SMTP header or
    // command could be split on.
    if (static_cast<unsigned char>(c) <= ' ' || c == '<' || c == '>' || c == ',' || c == ';' ||
        c == '"' || c == '\\' || c == '(' || c == ')' || c == 0x7f) {
      return false;
    }
  }
  return true;
}

bool IsHttpUrl(std::string_view s) {
  std::string lower = absl::AsciiStrToLower(std::string(s.substr(0, 8)));
  std::string_view rest;
  if (absl::StartsWith(lower, "https://")) {
    rest = s.substr(8);
  } else if (absl::StartsWith(lower, "http://")) {
    rest = s.substr(7);
  } else {
    return false;
  }
  for (char c : s) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return false;
  }
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  if (authority.find('@') != std::string_view::npos) return false;  // no credentials in it
  std::string_view host = authority.substr(
      0, authority.rfind(':') == std::string_view::npos ? authority.size() : authority.rfind(':'));
  if (!authority.empty() && authority.front() == '[') host = authority;  // IPv6 literal
  return !host.empty();
}

}  // namespace

std::string_view AlertKindName(AlertKind kind) {
  switch (kind) {
    case AlertKind::kBudget:
      return "budget";
    case AlertKind::kBalance:
      return "balance";
    case AlertKind::kErrorRate:
      return "error_rate";
    case AlertKind::kDrift:
      return "drift";
  }
  return "balance";
}

std::string_view AlertChannelName(AlertChannel channel) {
  return channel == AlertChannel::kEmail ? "email" : "webhook";
}

absl::StatusOr<AlertKind> ParseAlertKind(std::string_view name) {
  for (AlertKind k :
       {AlertKind::kBudget, AlertKind::kBalance, AlertKind::kErrorRate, AlertKind::kDrift}) {
    if (AlertKindName(k) == name) return k;
  }
  return absl::InvalidArgumentError("kind must be one of budget, balance, error_rate, drift");
}

absl::StatusOr<AlertChannel> ParseAlertChannel(std::string_view name) {
  if (name == "webhook") return AlertChannel::kWebhook;
  if (name == "email") return AlertChannel::kEmail;
  return absl::InvalidArgumentError("channel must be webhook or email");
}

absl::Status ValidateAlertRule(AlertKind kind, int64_t threshold_nano, AlertChannel channel,
                               std::string_view target) {
  if (threshold_nano <= 0) return absl::InvalidArgumentError("threshold must be greater than 0");
  if (kind != AlertKind::kBalance && threshold_nano > kPercentNano) {
    return absl::InvalidArgumentError(absl::StrCat(
        "threshold is a percentage for ", std::string(AlertKindName(kind)), ": at most 100"));
  }
  if (target.empty()) return absl::InvalidArgumentError("target is required");
  if (target.size() > kMaxAlertTargetBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("target is longer than ", kMaxAlertTargetBytes, " bytes"));
  }
  if (channel == AlertChannel::kWebhook && !IsHttpUrl(target)) {
    return absl::InvalidArgumentError(
        "a webhook target must be an http:// or https:// URL with a host (and no user:password)");
  }
  if (channel == AlertChannel::kEmail && !IsEmailAddress(target)) {
    return absl::InvalidArgumentError("an email target must be one address, like ops@example.com");
  }
  return absl::OkStatus();
}

BalanceVerdict EvaluateBalance(const AlertRule& rule, int64_t balance_nano) {
  BalanceVerdict v;
  v.below = balance_nano < rule.threshold_nano;
  if (!v.below) return v;
  AlertFiring f;
  f.period_key = absl::StrCat("balance:", rule.episode);
  f.text = absl::StrCat("llmgw: the balance is ", UsdText(balance_nano), ", below the alert's ",
                        UsdText(rule.threshold_nano));
  f.facts = Json{{"balance_nano", balance_nano},
                 {"balance_usd", money::FormatUsd(balance_nano)},
                 {"threshold_nano", rule.threshold_nano},
                 {"threshold_usd", money::FormatUsd(rule.threshold_nano)}};
  v.firing = std::move(f);
  return v;
}

bool IsProviderError(int status_code) { return status_code >= 500 || status_code == 429; }

std::vector<AlertFiring> EvaluateErrorRate(const AlertRule& rule,
                                           const std::vector<ProviderRequestCounts>& counts,
                                           int64_t now_unix_ms) {
  std::vector<AlertFiring> out;
  for (const ProviderRequestCounts& c : counts) {
    if (c.requests < kErrorRateMinRequests) continue;
    if (!ShareAbove(c.errors, c.requests, rule.threshold_nano)) continue;
    AlertFiring f;
    f.period_key = absl::StrCat("error_rate:", c.provider, ":", HourKey(now_unix_ms));
    f.text = absl::StrCat("llmgw: ", c.provider, " failed ", c.errors, " of ", c.requests,
                          " requests in the last 5 minutes (", PercentText(c.errors, c.requests),
                          " %, alert above ", FormatThreshold(rule.threshold_nano), " %)");
    f.facts = Json{{"provider", c.provider},
                   {"requests", c.requests},
                   {"errors", c.errors},
                   {"window_seconds", kErrorRateWindowMs / 1000},
                   {"error_rate_percent", PercentText(c.errors, c.requests)}};
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<ProviderDrift> DriftByProviderDay(const std::vector<ReconciliationRow>& rows) {
  std::vector<ProviderDrift> out;
  for (const ReconciliationRow& r : rows) {
    auto same = [&](const ProviderDrift& d) {
      return d.day_unix_ms == r.day_unix_ms && d.provider == r.provider;
    };
    auto it = std::find_if(out.begin(), out.end(), same);
    if (it == out.end()) it = out.insert(out.end(), {r.day_unix_ms, r.provider, 0, 0});
    it->provider_cost_nano += r.provider_cost_nano;
    it->drift_cost_nano += r.drift_cost_nano;
  }
  return out;
}

std::vector<AlertFiring> EvaluateDrift(const AlertRule& rule,
                                       const std::vector<ProviderDrift>& days) {
  std::vector<AlertFiring> out;
  for (const ProviderDrift& d : days) {
    if (d.provider_cost_nano <= 0) continue;
    int64_t magnitude = d.drift_cost_nano < 0 ? -d.drift_cost_nano : d.drift_cost_nano;
    if (!ShareAbove(magnitude, d.provider_cost_nano, rule.threshold_nano)) continue;
    const std::string day = FormatDate(d.day_unix_ms);
    AlertFiring f;
    f.period_key = absl::StrCat("drift:", d.provider, ":", day);
    f.text = absl::StrCat("llmgw: on ", day, " ", d.provider, " reported ",
                          UsdText(d.provider_cost_nano), ", ", UsdText(d.drift_cost_nano),
                          " away from what llmgw metered (",
                          PercentText(magnitude, d.provider_cost_nano), " %, alert above ",
                          FormatThreshold(rule.threshold_nano), " %)");
    f.facts = Json{{"date", day},
                   {"provider", d.provider},
                   {"provider_cost_nano", d.provider_cost_nano},
                   {"drift_cost_nano", d.drift_cost_nano},
                   {"drift_percent", PercentText(magnitude, d.provider_cost_nano)}};
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<BudgetUsage> BudgetUsages(const std::vector<ScopeBudgetLimits>& limits,
                                      const std::vector<BudgetCounter>& counters) {
  std::vector<BudgetUsage> out;
  for (const ScopeBudgetLimits& l : limits) {
    std::string scope = "organization";
    std::string scope_id;
    if (absl::StartsWith(l.scope, "cred:")) {
      scope = "credential";
      scope_id = l.scope.substr(5);
    }
    for (auto [period, limit] : {std::pair<const char*, int64_t>{"day", l.daily_nano},
                                 {"month", l.monthly_nano}}) {
      if (limit <= 0) continue;
      for (const BudgetCounter& c : counters) {
        if (c.scope != l.scope || c.period != period) continue;
        out.push_back({scope, scope_id, period, c.period_start, limit, c.spent_nano});
      }
    }
  }
  return out;
}

std::vector<AlertFiring> EvaluateBudgets(const AlertRule& rule,
                                         const std::vector<BudgetUsage>& budgets) {
  std::vector<AlertFiring> out;
  for (const BudgetUsage& b : budgets) {
    if (b.limit_nano <= 0) continue;
    if (!ShareAtLeast(b.spent_nano, b.limit_nano, rule.threshold_nano)) continue;
    std::string who = b.scope_id.empty() ? b.scope : absl::StrCat(b.scope, " ", b.scope_id);
    AlertFiring f;
    f.period_key =
        absl::StrCat("budget:", b.scope, ":", b.scope_id, ":", b.period, ":", b.period_start);
    const std::string adjective = b.period == "day" ? "daily" : absl::StrCat(b.period, "ly");
    f.text = absl::StrCat("llmgw: the ", adjective, " budget of ", who, " is ",
                          PercentText(b.spent_nano, b.limit_nano), " % spent (",
                          UsdText(b.spent_nano), " of ", UsdText(b.limit_nano), "; alert at ",
                          FormatThreshold(rule.threshold_nano), " %)");
    f.facts = Json{{"scope", b.scope},
                   {"scope_id", b.scope_id},
                   {"period", b.period},
                   {"period_start", b.period_start},
                   {"limit_nano", b.limit_nano},
                   {"spent_nano", b.spent_nano},
                   {"spent_percent", PercentText(b.spent_nano, b.limit_nano)}};
    out.push_back(std::move(f));
  }
  return out;
}

std::string AlertPayload(const AlertRule& rule, const AlertFiring& firing, int64_t now_unix_ms) {
  Json alert = {{"id", rule.id},
                {"kind", std::string(AlertKindName(rule.kind))},
                {"threshold", FormatThreshold(rule.threshold_nano)},
                {"organization_id", rule.organization_id},
                {"period_key", firing.period_key},
                {"fired_at", FormatRfc3339(now_unix_ms)},
                {"facts", firing.facts}};
  return Json{{"text", firing.text}, {"alert", std::move(alert)}}.dump();
}

std::string WebhookSignature(std::string_view secret, std::string_view body) {
  return "sha256=" + crypto::HmacSha256Hex(secret, body);
}

std::string NewSigningSecret() { return "whsec_" + crypto::RandomBase62(43); }

std::string AlertEmail(std::string_view from, std::string_view to, std::string_view payload,
                       std::string_view message_id) {
  Json p = Json::parse(payload, nullptr, false);
  std::string text = p.is_object() && p.contains("text") && p["text"].is_string()
                         ? p["text"].get<std::string>()
                         : std::string("llmgw alert");
  auto alert_field = [&](const char* name, const char* otherwise) {
    if (p.is_object() && p.contains("alert") && p["alert"].is_object() &&
        p["alert"].contains(name) && p["alert"][name].is_string()) {
      return p["alert"][name].get<std::string>();
    }
    return std::string(otherwise);
  };
  const std::string kind = alert_field("kind", "alert");
  // No Date header: the submission server adds one; fired_at is in a header and the body.
  std::string details = p.is_object() ? p.dump(2) : std::string(payload);
  std::string body = absl::StrCat(text, "\r\n\r\n", details, "\r\n");
  std::string normalized;
  for (size_t i = 0; i < body.size(); ++i) {  // bare LF → CRLF
    if (body[i] == '\n' && (i == 0 || body[i - 1] != '\r')) normalized += '\r';
    normalized += body[i];
  }
  return absl::StrCat("From: ", std::string(from), "\r\nTo: ", std::string(to),
                      "\r\nSubject: [llmgw] ", kind, " alert\r\nMessage-ID: <",
                      std::string(message_id),
                      ">\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                      "X-Llmgw-Fired-At: ",
                      alert_field("fired_at", ""), "\r\n\r\n", normalized);
}

int64_t AlertRetryDelayMs(int attempts) {
  constexpr int64_t kFirstMs = 2000;
  constexpr int64_t kMaxMs = 3'600'000;
  if (attempts < 1) attempts = 1;
  if (attempts > 22) return kMaxMs;
  return std::min<int64_t>(kFirstMs << (attempts - 1), kMaxMs);
}

std::string FormatThreshold(int64_t threshold_nano) {
  std::string s = money::FormatUsd(threshold_nano);  // "-?I.DDDDDDDDD"
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

std::string WebhookDisplay(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return "…";
  const size_t host_start = scheme_end + 3;
  size_t host_end = url.find_first_of("/?#", host_start);
  if (host_end == std::string_view::npos) host_end = url.size();
  std::string_view authority = url.substr(host_start, host_end - host_start);
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);  // user:password@ is never shown
  }
  return std::string(url.substr(0, host_start)) + std::string(authority) + "/…";
}

std::string SealableWebhook(std::string_view signing_secret, std::string_view url) {
  return nlohmann::json{{"signing_secret", signing_secret}, {"url", url}}.dump();
}

absl::StatusOr<WebhookSecrets> OpenedWebhook(std::string_view plaintext) {
  nlohmann::json j = nlohmann::json::parse(plaintext, nullptr, false);
  if (!j.is_object() || !j.contains("signing_secret") || !j.contains("url") ||
      !j["signing_secret"].is_string() || !j["url"].is_string()) {
    return absl::DataLossError("the sealed webhook is not {signing_secret, url}");
  }
  return WebhookSecrets{j["signing_secret"].get<std::string>(), j["url"].get<std::string>()};
}

namespace {

bool NonPublicV4(const std::array<uint8_t, 4>& a) {
  const uint32_t v = (uint32_t{a[0]} << 24) | (uint32_t{a[1]} << 16) | (uint32_t{a[2]} << 8) | a[3];
  struct Net {
    uint32_t base;
    int bits;
  };
  static constexpr Net kNets[] = {
      {0x00000000, 8},   // 0.0.0.0/8 "this network"
      {0x0A000000, 8},   // 10/8
      {0x64400000, 10},  // 100.64/10 carrier-grade NAT
      {0x7F000000, 8},   // loopback
      {0xA9FE0000, 16},  // link-local (cloud metadata at 169.254.169.254)
      {0xAC100000, 12},  // 172.16/12
      {0xC0000000, 24},  // 192.0.0/24 protocol assignments
      {0xC0A80000, 16},  // 192.168/16
      {0xC6120000, 15},  // 198.18/15 benchmarking
      {0xE0000000, 4},   // multicast
      {0xF0000000, 4},   // reserved and broadcast
  };
  for (const Net& n : kNets) {
    const uint32_t mask = n.bits == 0 ? 0 : ~uint32_t{0} << (32 - n.bits);
    if ((v & mask) == n.base) return true;
  }
  return false;
}

}  // namespace

bool IsNonPublicAddress(std::string_view ip) {
  const std::string text(ip);
  std::array<uint8_t, 4> v4{};
  if (inet_pton(AF_INET, text.c_str(), v4.data()) == 1) return NonPublicV4(v4);
  std::array<uint8_t, 16> v6{};
  if (inet_pton(AF_INET6, text.c_str(), v6.data()) != 1) return true;
  const bool zero_prefix = std::all_of(v6.begin(), v6.begin() + 10, [](uint8_t b) { return b == 0; });
  if (zero_prefix && v6[10] == 0xFF && v6[11] == 0xFF) {  // ::ffff:a.b.c.d
    return NonPublicV4({v6[12], v6[13], v6[14], v6[15]});
  }
  if (zero_prefix && v6[10] == 0 && v6[11] == 0) return true;  // ::, ::1, IPv4-compatible
  if ((v6[0] & 0xFE) == 0xFC) return true;                      // fc00::/7 unique local
  if (v6[0] == 0xFE && (v6[1] & 0xC0) == 0x80) return true;     // fe80::/10 link-local
  if (v6[0] == 0xFF) return true;                                // multicast
  if (v6[0] == 0x20 && v6[1] == 0x01 && v6[2] == 0x0D && v6[3] == 0xB8) return true;  // doc
  return false;
}

}  // namespace llmgw::metering

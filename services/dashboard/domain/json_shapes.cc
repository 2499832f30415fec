#include "services/dashboard/domain/json_shapes.h"

#include "services/dashboard/domain/limits.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "libs/common/money.h"
#include "services/dashboard/domain/rfc3339.h"

namespace llmgw::dashboard {

void PutMoney(Json& j, const std::string& name, money::Nano nano) {
  j[name + "_nano"] = nano;
  j[name + "_usd"] = money::FormatUsd(nano);
}

Json TimeOrNull(int64_t unix_ms) {
  if (unix_ms == 0) return nullptr;
  return FormatRfc3339(unix_ms);
}

Json ErrorJson(std::string_view message, std::string_view type) {
  Json err;
  err["message"] = std::string(message);
  err["type"] = std::string(type);
  Json j;
  j["error"] = std::move(err);
  return j;
}

Json OrganizationJson(const Organization& org) {
  Json j;
  j["id"] = org.id;
  j["name"] = org.name;
  j["email"] = org.email;
  return j;
}

Json CredentialJson(const Credential& c) {
  Json j;
  j["id"] = c.id;
  j["name"] = c.name;
  j["prefix"] = c.prefix;
  j["is_active"] = c.is_active;
  j["last_used_at"] = TimeOrNull(c.last_used_at_unix_ms);
  j["created_at"] = FormatRfc3339(c.created_at_unix_ms);
  j["created_by"] = c.created_by_user_id.empty() ? Json(nullptr) : Json(c.created_by_user_id);
  j["limits"] = LimitsJson(c.limits);
  return j;
}

Json UserJson(const User& u) {
  Json j;
  j["id"] = u.id;
  j["name"] = u.name;
  j["email"] = u.email;
  return j;
}

Json OrgMembershipsJson(const std::vector<OrgMembership>& list) {
  Json items = Json::array();
  for (const OrgMembership& m : list) {
    Json j = OrganizationJson(m.org);
    j["role"] = std::string(RoleName(m.role));
    items.push_back(std::move(j));
  }
  return items;
}

Json MemberJson(const Member& m) {
  Json j;
  j["id"] = m.user.id;
  j["email"] = m.user.email;
  j["name"] = m.user.name;
  j["role"] = std::string(RoleName(m.role));
  j["joined_at"] = TimeOrNull(m.joined_at_unix_ms);
  return j;
}

Json MembersJson(const std::vector<Member>& list) {
  Json items = Json::array();
  for (const Member& m : list) items.push_back(MemberJson(m));
  Json j;
  j["members"] = std::move(items);
  return j;
}

Json CreatedCredentialJson(const CreatedCredential& c, std::string_view secret_field) {
  Json j = CredentialJson(c.credential);
  j[std::string(secret_field)] = c.secret;
  return j;
}

Json CredentialListJson(const std::vector<Credential>& list, std::string_view field) {
  Json items = Json::array();
  for (const Credential& c : list) items.push_back(CredentialJson(c));
  Json j;
  j[std::string(field)] = std::move(items);
  return j;
}

Json BalanceJson(const Balance& b) {
  Json j;
  PutMoney(j, "balance", b.balance_nano);
  PutMoney(j, "held", b.held_nano);
  return j;
}

std::string_view TransactionTypeName(TransactionType t) {
  switch (t) {
    case TransactionType::kCharge:
      return "charge";
    case TransactionType::kUsage:
      return "usage";
    case TransactionType::kRefund:
      return "refund";
    case TransactionType::kAdjustment:
      return "adjustment";
    case TransactionType::kUnspecified:
      break;
  }
  return "adjustment";
}

Json TransactionJson(const Transaction& t) {
  Json j;
  j["id"] = t.id;
  j["type"] = std::string(TransactionTypeName(t.type));
  PutMoney(j, "amount", t.amount_nano);
  PutMoney(j, "balance_after", t.balance_after_nano);
  j["description"] = t.description;
  j["created_at"] = FormatRfc3339(t.created_at_unix_ms);
  return j;
}

Json TransactionListJson(const std::vector<Transaction>& list) {
  Json items = Json::array();
  for (const Transaction& t : list) items.push_back(TransactionJson(t));
  Json j;
  j["transactions"] = std::move(items);
  return j;
}

Json ChargeJson(const ChargeResult& r) {
  Json j;
  PutMoney(j, "balance", r.balance_nano);
  j["transaction"] = TransactionJson(r.transaction);
  return j;
}

static void PutTotals(Json& j, const Totals& t, bool reseller) {
  j["requests"] = t.requests;
  j["input_tokens"] = t.input_tokens;
  j["output_tokens"] = t.output_tokens;
  PutMoney(j, "cost", t.cost_nano);
  j["errors"] = t.errors;
  if (reseller) {
    PutMoney(j, "provider_cost", t.provider_cost_nano);
    PutMoney(j, "margin", t.margin_nano);
  }
}

Json TotalsJson(const Totals& t, bool reseller) {
  Json j;
  PutTotals(j, t, reseller);
  return j;
}

Json SummaryJson(const Summary& s) {
  Json j = TotalsJson(s.total, /*reseller=*/false);
  Json by_mode;
  by_mode["passthrough"] = TotalsJson(s.passthrough, /*reseller=*/false);
  by_mode["reseller"] = TotalsJson(s.reseller, /*reseller=*/true);
  j["by_mode"] = std::move(by_mode);
  return j;
}

Json ByModelJson(const std::vector<ModelUsage>& models) {
  Json items = Json::array();
  for (const ModelUsage& m : models) {
    Json row;
    row["provider"] = m.provider;
    row["model"] = m.model;
    PutTotals(row, m.totals, false);
    items.push_back(std::move(row));
  }
  Json j;
  j["models"] = std::move(items);
  return j;
}

Json ByProviderJson(const std::vector<ProviderUsage>& providers) {
  Json items = Json::array();
  for (const ProviderUsage& p : providers) {
    Json row;
    row["provider"] = p.provider;
    PutTotals(row, p.totals, false);
    items.push_back(std::move(row));
  }
  Json j;
  j["providers"] = std::move(items);
  return j;
}

Json TimeseriesJson(const std::vector<TimeseriesPoint>& points) {
  Json items = Json::array();
  for (const TimeseriesPoint& p : points) {
    Json row;
    row["ts"] = FormatRfc3339(p.bucket_start_unix_ms);
    if (!p.provider.empty()) row["provider"] = p.provider;
    PutTotals(row, p.totals, false);
    items.push_back(std::move(row));
  }
  Json j;
  j["points"] = std::move(items);
  return j;
}

std::string_view ModeName(Mode m) {
  switch (m) {
    case Mode::kPassthrough:
      return "passthrough";
    case Mode::kReseller:
      return "reseller";
    case Mode::kUnspecified:
      break;
  }
  return "unknown";
}

Json UsageJson(const std::vector<UsageRow>& rows, std::optional<int64_t> next_before_unix_ms) {
  Json items = Json::array();
  for (const UsageRow& r : rows) {
    Json row;
    row["request_id"] = r.request_id;
    row["mode"] = std::string(ModeName(r.mode));
    row["provider"] = r.provider;
    row["model"] = r.model;
    row["input_tokens"] = r.input_tokens;
    row["output_tokens"] = r.output_tokens;
    row["cached_input_tokens"] = r.cached_input_tokens;
    row["cache_write_tokens"] = r.cache_write_tokens;
    row["reasoning_tokens"] = r.reasoning_tokens;
    PutMoney(row, "cost", r.cost_nano);
    row["unpriced"] = r.unpriced;
    row["price_id"] = r.price_id;
    if (r.mode == Mode::kReseller) {
      PutMoney(row, "provider_cost", r.provider_cost_nano);
      PutMoney(row, "margin", r.margin_nano);
    }
    row["latency_ms"] = r.latency_ms;
    row["status_code"] = r.status_code;
    row["is_streaming"] = r.is_streaming;
    row["requested_at"] = FormatRfc3339(r.requested_at_unix_ms);
    row["credential_id"] = r.credential_id;
    row["endpoint"] = r.endpoint;
    row["ttft_ms"] = r.ttft_ms;
    row["incomplete"] = r.incomplete;
    row["cache_write_1h_tokens"] = r.cache_write_1h_tokens;
    items.push_back(std::move(row));
  }
  Json j;
  j["items"] = std::move(items);
  j["next_before"] =
      next_before_unix_ms ? Json(FormatRfc3339(*next_before_unix_ms)) : Json(nullptr);
  return j;
}

namespace {
// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. A field that a
// spreadsheet would run as a formula (=, +, -, @ first) gets a leading apostrophe.
std::string CsvField(std::string_view v) {
  std::string s(v);
  if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@')) s.insert(0, "'");
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}
}  // namespace

const char kUsageCsvHeader[] =
    "requested_at,request_id,mode,provider,model,endpoint,credential_id,status_code,"
    "is_streaming,incomplete,input_tokens,cached_input_tokens,cache_write_tokens,"
    "cache_write_1h_tokens,output_tokens,reasoning_tokens,cost_usd,provider_cost_usd,margin_usd,"
    "unpriced,price_id,latency_ms,ttft_ms\r\n";

std::string UsageCsvRows(const std::vector<UsageRow>& rows) {
  std::string out;
  for (const UsageRow& r : rows) {
    bool reseller = r.mode == Mode::kReseller;
    absl::StrAppend(
        &out, FormatRfc3339(r.requested_at_unix_ms), ",", CsvField(r.request_id), ",",
        std::string(ModeName(r.mode)), ",", CsvField(r.provider), ",", CsvField(r.model), ",",
        CsvField(r.endpoint), ",", CsvField(r.credential_id), ",", r.status_code, ",",
        r.is_streaming ? "true" : "false", ",", r.incomplete ? "true" : "false", ",",
        r.input_tokens, ",", r.cached_input_tokens, ",", r.cache_write_tokens, ",",
        r.cache_write_1h_tokens, ",", r.output_tokens, ",", r.reasoning_tokens, ",");
    absl::StrAppend(&out, money::FormatUsd(r.cost_nano), ",",
                    reseller ? money::FormatUsd(r.provider_cost_nano) : "", ",",
                    reseller ? money::FormatUsd(r.margin_nano) : "", ",",
                    r.unpriced ? "true" : "false", ",", r.price_id, ",", r.latency_ms, ",",
                    r.ttft_ms, "\r\n");
  }
  return out;
}

}  // namespace llmgw::dashboard

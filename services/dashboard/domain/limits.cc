#include "services/dashboard/domain/limits.h"

#include "absl/strings/str_cat.h"

namespace llmgw::dashboard {
namespace {

absl::StatusOr<std::optional<int64_t>> ParseRate(const nlohmann::json& v, const char* field) {
  if (v.is_null()) return std::optional<int64_t>();
  if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > kMaxRateLimit) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must be an integer between 1 and ", kMaxRateLimit, ", or null"));
  }
  return std::optional<int64_t>(v.get<int64_t>());
}

absl::StatusOr<std::optional<money::Nano>> ParseBudget(const nlohmann::json& v,
                                                       const char* field) {
  if (v.is_null()) return std::optional<money::Nano>();
  auto bad = [field] {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " must be a USD amount above 0 and at most 1000000000 (at most 9 decimals), or "
               "null"));
  };
  std::string text;
  if (v.is_string()) {
    text = v.get<std::string>();
  } else if (v.is_number() && !v.is_number_float()) {
    text = v.dump();
  } else if (v.is_number_float()) {
    text = v.dump();  // the shortest text that reads back as the same double
  } else {
    return bad();
  }
  absl::StatusOr<money::Nano> nano = money::ParseUsd(text);
  if (!nano.ok() || *nano <= 0 || *nano > kMaxBudgetNano) return bad();
  return std::optional<money::Nano>(*nano);
}

}  // namespace

absl::StatusOr<LimitsPatch> ParseLimitsBody(std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(
        "the body must be a JSON object with rpm, tpm, daily_budget_usd or monthly_budget_usd");
  }
  LimitsPatch p;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    const nlohmann::json& v = it.value();
    if (key == "rpm") {
      auto r = ParseRate(v, "rpm");
      if (!r.ok()) return r.status();
      p.set_rpm = true;
      p.values.rpm = *r;
    } else if (key == "tpm") {
      auto r = ParseRate(v, "tpm");
      if (!r.ok()) return r.status();
      p.set_tpm = true;
      p.values.tpm = *r;
    } else if (key == "daily_budget_usd") {
      auto b = ParseBudget(v, "daily_budget_usd");
      if (!b.ok()) return b.status();
      p.set_daily = true;
      p.values.daily_budget_nano = *b;
    } else if (key == "monthly_budget_usd") {
      auto b = ParseBudget(v, "monthly_budget_usd");
      if (!b.ok()) return b.status();
      p.set_monthly = true;
      p.values.monthly_budget_nano = *b;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown field: ", key));
    }
  }
  return p;
}

Json LimitsJson(const Limits& l) {
  Json j;
  j["rpm"] = l.rpm ? Json(*l.rpm) : Json(nullptr);
  j["tpm"] = l.tpm ? Json(*l.tpm) : Json(nullptr);
  auto budget = [&j](const char* name, const std::optional<money::Nano>& v) {
    if (v) {
      PutMoney(j, name, *v);
    } else {
      j[absl::StrCat(name, "_nano")] = nullptr;
      j[absl::StrCat(name, "_usd")] = nullptr;
    }
  };
  budget("daily_budget", l.daily_budget_nano);
  budget("monthly_budget", l.monthly_budget_nano);
  return j;
}

Json QuotaUsageJson(const QuotaUsage& u) {
  Json j;
  j["minute_requests"] = u.minute_requests;
  j["minute_tokens"] = u.minute_tokens;
  PutMoney(j, "day_spent", u.day_spent_nano);
  PutMoney(j, "month_spent", u.month_spent_nano);
  return j;
}

QuotaUsage BudgetUsageOf(const std::string& scope, const std::vector<BudgetSpend>& budgets) {
  QuotaUsage u;
  for (const BudgetSpend& b : budgets) {
    if (b.scope != scope) continue;
    (b.period == "month" ? u.month_spent_nano : u.day_spent_nano) += b.spent_nano +
                                                                      b.reserved_nano;
  }
  return u;
}

void CountLastMinute(const std::vector<UsageRow>& rows, int64_t now_unix_ms, QuotaUsage& usage) {
  for (const UsageRow& r : rows) {
    if (r.requested_at_unix_ms < now_unix_ms - 60'000) break;  // newest first
    ++usage.minute_requests;
    usage.minute_tokens += r.input_tokens + r.output_tokens;
  }
}

}  // namespace llmgw::dashboard

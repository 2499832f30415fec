#include "services/dashboard/api/limits_api.h"

#include "services/dashboard/domain/limits.h"
#include "services/dashboard/domain/requests.h"

namespace llmgw::dashboard {
namespace {

using Reply = LimitsApi::Reply;

Reply Error(absl::Status s, std::string what) {
  return OrgReply::Error(std::move(s), std::move(what));
}
Reply Ok(Json body) { return Reply{absl::OkStatus(), "", 200, std::move(body)}; }

// How many recent usage rows of one credential are read to count its last minute.
constexpr int32_t kMinuteRows = 500;

}  // namespace

const std::vector<LimitsApi::Route>& LimitsApi::Routes() {
  static const std::vector<Route> kRoutes = {
      {"PATCH", "/api/tokens", &LimitsApi::PatchToken},
      {"PATCH", "/api/keys", &LimitsApi::PatchKey},
      {"GET", "/api/org/limits", &LimitsApi::GetOrgLimits},
      {"PUT", "/api/org/limits", &LimitsApi::PutOrgLimits},
  };
  return kRoutes;
}

QuotaUsage LimitsApi::UsageOf(const Organization& org, const std::string& credential_id,
                              const std::vector<BudgetSpend>& budgets) {
  const int64_t now = clock_.NowUnixMs();
  QuotaUsage usage = BudgetUsageOf(credential_id.empty() ? "org" : "cred:" + credential_id,
                                   budgets);
  if (credential_id.empty()) {
    auto summary = metering_.GetSummary(org.id, TimeRange{now - 60'000, now + 1});
    if (summary.ok()) {
      usage.minute_requests = summary->total.requests;
      usage.minute_tokens = summary->total.input_tokens + summary->total.output_tokens;
    }
  } else {
    UsageQuery q;
    q.limit = kMinuteRows;
    q.credential_id = credential_id;
    auto rows = metering_.ListUsage(org.id, q);
    if (rows.ok()) CountLastMinute(*rows, now, usage);
  }
  return usage;
}

Reply LimitsApi::PatchCredential(const Request& req, const Organization& org,
                                 bool api_key) {
  const char* what = api_key ? "API key" : "monitor token";
  const std::string id = req.has_param("id") ? req.get_param_value("id") : "";
  if (id.empty()) return Error(absl::InvalidArgumentError("id is required"), what);
  if (!IsUuid(id)) return Error(absl::NotFoundError(""), what);
  absl::StatusOr<LimitsPatch> patch = ParseLimitsBody(req.body);
  if (!patch.ok()) return Error(patch.status(), "request");
  auto credential = accounts_.SetCredentialLimits(org.id, api_key, id, *patch, "");
  if (!credential.ok()) return Error(credential.status(), what);
  auto budgets = billing_.ListBudgets(org.id);
  Json body = CredentialJson(*credential);
  body["usage"] = QuotaUsageJson(
      UsageOf(org, credential->id, budgets.ok() ? *budgets : std::vector<BudgetSpend>{}));
  return Ok(std::move(body));
}

Reply LimitsApi::PatchToken(const Request& req, const Organization& org) {
  return PatchCredential(req, org, /*api_key=*/false);
}

Reply LimitsApi::PatchKey(const Request& req, const Organization& org) {
  return PatchCredential(req, org, /*api_key=*/true);
}

Reply LimitsApi::GetOrgLimits(const Request&, const Organization& org) {
  auto limits = accounts_.GetOrganizationLimits(org.id);
  if (!limits.ok()) return Error(limits.status(), "organization");
  auto budgets = billing_.ListBudgets(org.id);
  Json body;
  body["limits"] = LimitsJson(*limits);
  body["usage"] =
      QuotaUsageJson(UsageOf(org, "", budgets.ok() ? *budgets : std::vector<BudgetSpend>{}));
  return Ok(std::move(body));
}

Reply LimitsApi::PutOrgLimits(const Request& req, const Organization& org) {
  absl::StatusOr<LimitsPatch> patch = ParseLimitsBody(req.body);
  if (!patch.ok()) return Error(patch.status(), "request");
  auto limits = accounts_.SetOrganizationLimits(org.id, *patch);
  if (!limits.ok()) return Error(limits.status(), "organization");
  return GetOrgLimits(req, org);
}

Json LimitsApi::WithUsage(const Organization& org, Json list, const std::string& field) {
  auto budgets = billing_.ListBudgets(org.id);
  if (!budgets.ok()) budgets = std::vector<BudgetSpend>{};
  for (Json& c : list[field]) {
    if (!c.value("is_active", false)) continue;  // a revoked credential is used no more
    c["usage"] = QuotaUsageJson(UsageOf(org, c["id"].get<std::string>(), *budgets));
  }
  return list;
}

}  // namespace llmgw::dashboard

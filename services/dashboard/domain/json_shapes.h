#pragma once
// The JSON bodies of the management REST API (API.md). Every amount appears twice:
// `<name>_nano` (integer nano-USD) and `<name>_usd` (money::FormatUsd string); every time is an
// RFC 3339 UTC string.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nlohmann/json.hpp"
#include "services/dashboard/domain/types.h"

namespace llmgw::dashboard {

using Json = nlohmann::ordered_json;

// j["<name>_nano"] and j["<name>_usd"].
void PutMoney(Json& j, const std::string& name, money::Nano nano);
// RFC 3339, or null for 0 (never).
Json TimeOrNull(int64_t unix_ms);

// {"error":{"message":…,"type":…}}
Json ErrorJson(std::string_view message, std::string_view type);

Json OrganizationJson(const Organization& org);  // {id,name,email}
Json UserJson(const User& u);                    // {id,name,email}
// [{id,name,email,role}]: the organizations a user can switch between.
Json OrgMembershipsJson(const std::vector<OrgMembership>& list);
Json MemberJson(const Member& m);  // {id,email,name,role,joined_at}; id is the user's
Json MembersJson(const std::vector<Member>& list);  // {members:[…]}
// {id,name,prefix,is_active,last_used_at,created_at}; last_used_at null when never used.
Json CredentialJson(const Credential& c);
// The credential plus `secret_field` (token / key) holding the secret.
Json CreatedCredentialJson(const CreatedCredential& c, std::string_view secret_field);
Json CredentialListJson(const std::vector<Credential>& list, std::string_view field);

Json BalanceJson(const Balance& b);  // {balance_nano,balance_usd,held_nano,held_usd}
std::string_view TransactionTypeName(TransactionType t);
Json TransactionJson(const Transaction& t);
Json TransactionListJson(const std::vector<Transaction>& list);
Json ChargeJson(const ChargeResult& r);  // {balance_nano,balance_usd,transaction}

// {requests,input_tokens,output_tokens,cost_nano,cost_usd} (+ provider_cost and margin when
// `reseller`).
Json TotalsJson(const Totals& t, bool reseller);
Json SummaryJson(const Summary& s);
Json ByModelJson(const std::vector<ModelUsage>& models);
Json ByProviderJson(const std::vector<ProviderUsage>& providers);
Json TimeseriesJson(const std::vector<TimeseriesPoint>& points);
std::string_view ModeName(Mode m);
// `next_before`: the cursor of the next page, null on the last page.
Json UsageJson(const std::vector<UsageRow>& rows,
               std::optional<int64_t> next_before_unix_ms = std::nullopt);
// GET /api/usage?format=csv: the header line, then one line per row (CRLF, RFC 4180), every
// recorded field; money as decimal USD.
extern const char kUsageCsvHeader[];
std::string UsageCsvRows(const std::vector<UsageRow>& rows);

}  // namespace llmgw::dashboard

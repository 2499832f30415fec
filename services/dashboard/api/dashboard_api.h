#pragma once
// The management REST API (API.md, "Management REST API") and the web UI, as routes on a Router
// (served by dashboard_server.h).
// Transport only: parse the request with domain/, call the clients, render domain/ JSON shapes,
// translate absl::Status into the HTTP status and {"error":{"message","type"}}.

#include "services/dashboard/api/http_exchange.h"

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "libs/common/clock.h"
#include "services/dashboard/api/alerts_api.h"
#include "services/dashboard/api/audit_api.h"
#include "services/dashboard/api/http_metrics.h"
#include "services/dashboard/api/limits_api.h"
#include "services/dashboard/api/provider_sync_api.h"
#include "services/dashboard/api/router.h"
#include "services/dashboard/api/team_api.h"
#include "services/dashboard/clients/accounts_client.h"
#include "services/dashboard/clients/billing_client.h"
#include "services/dashboard/clients/metering_client.h"
#include "services/dashboard/clients/provider_sync_client.h"

namespace llmgw::dashboard {

struct DashboardOptions {
  // LLMGW_SELF_TOPUP: whether POST /api/balance/charge lets an organization top itself up.
  bool self_topup = false;
  // LLMGW_COOKIE_SECURE: adds `; Secure` to the session cookie (serve over HTTPS then).
  bool cookie_secure = false;
  // LLMGW_PUBLIC_GATEWAY_URL for the SDK snippets and the playground (GET /api/config, with the
  // session's organization); empty: http://<the page's host>:8080.
  std::string public_gateway_url;
  // LLMGW_PUBLIC_DASHBOARD_URL: the dashboard's own origin (scheme://host[:port]) that a
  // state-changing request's Origin must equal, and the base of invite links; empty: the
  // request's Host.
  std::string public_dashboard_url;
  // LLMGW_TRUST_FORWARDED_FOR: behind a reverse proxy, take the client address for login
  // throttling from the last X-Forwarded-For entry instead of the TCP peer.
  bool trust_forwarded_for = false;
};

inline constexpr char kSessionCookie[] = "session";

class DashboardApi {
 public:
  // The clients, clock and metrics (optional) must outlive the server the routes are put on.
  // Without `provider_sync` the provider bills endpoints are not served, without `alerts` the
  // alerts endpoints.
  DashboardApi(AccountsClient& accounts, BillingClient& billing, MeteringClient& metering,
               const Clock& clock, DashboardOptions options, HttpMetrics* metrics = nullptr,
               ProviderSyncClient* provider_sync = nullptr, AlertsClient* alerts = nullptr);

  // Registers every route, the error and exception handlers on `router`.
  void RegisterRoutes(Router& router);

 private:
  // Runs after the session is validated and its role has the route's permission (the
  // ManagementEndpoints() table of domain/permissions.h).
  using AuthedHandler =
      std::function<void(const Request&, Response&, const Session&)>;

  // A route without a session (register, login, accept-invite, health, assets): the CSRF guard,
  // then `h`. `blocking`: it calls a service (runs on the worker pool).
  void Route(Router& router, const char* method, const char* pattern, Handler h,
             bool blocking = true);
  void AuthedRoute(Router& router, const char* method, const char* pattern, AuthedHandler h);
  // Every route of `api`'s table (OrgRoute) behind AuthedRoute; none when `api` is null.
  template <typename Api>
  void RegisterOrgRoutes(Router& router, Api* api);
  // Adds `h` to `router`, timed into the HTTP metrics.
  void AddTimed(Router& router, const char* method, const char* pattern, Handler h,
                bool needs_session, bool blocking);

  void Register(const Request& req, Response& res);
  void Login(const Request& req, Response& res);
  void Logout(const Request& req, Response& res, const Organization& org);
  void Config(const Request& req, Response& res, const Session& session);

  void ListTokens(const Request& req, Response& res, const Organization& org);
  void CreateToken(const Request& req, Response& res, const Session& session);
  void RevokeToken(const Request& req, Response& res, const Session& session);
  void ListKeys(const Request& req, Response& res, const Organization& org);
  void CreateKey(const Request& req, Response& res, const Session& session);
  void RevokeKey(const Request& req, Response& res, const Session& session);

  void GetBalance(const Request& req, Response& res, const Organization& org);
  void Charge(const Request& req, Response& res, const Organization& org);
  void ListTransactions(const Request& req, Response& res,
                        const Organization& org);

  void Summary(const Request& req, Response& res, const Organization& org);
  void ByModel(const Request& req, Response& res, const Organization& org);
  void ByProvider(const Request& req, Response& res, const Organization& org);
  void Timeseries(const Request& req, Response& res, const Organization& org);
  void Usage(const Request& req, Response& res, const Organization& org);
  void UsageCsv(UsageQuery query, Response& res, const Organization& org);

  void Readyz(const Request& req, Response& res);
  void ServeAsset(const Request& req, Response& res, std::string_view name);

  bool GuardAndRefuse(const Request& req, Response& res, bool accepts_csv) const;
  std::string ClientAddress(const Request& req) const;
  std::string SessionCookie(const std::string& value, int64_t max_age_seconds) const;
  void SendLogin(Response& res, const LoginResult& login) const;

  AccountsClient& accounts_;
  BillingClient& billing_;
  MeteringClient& metering_;
  const Clock& clock_;
  DashboardOptions options_;
  HttpMetrics* metrics_;
  std::unique_ptr<ProviderSyncApi> provider_sync_;  // null without a ProviderSyncClient
  std::unique_ptr<AlertsApi> alerts_;               // null without an AlertsClient
  std::unique_ptr<TeamApi> team_;
  std::unique_ptr<LimitsApi> limits_;
  std::unique_ptr<AuditApi> audit_;
};

// The `session` value of a Cookie header, or "" when absent.
std::string SessionFromCookieHeader(std::string_view cookie_header);

}  // namespace llmgw::dashboard

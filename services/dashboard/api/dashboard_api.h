#pragma once
// The management REST API (API.md, "Management REST API") and the web UI over cpp-httplib.
// Transport only: parse the request with domain/, call the clients, render domain/ JSON shapes,
// translate absl::Status into the HTTP status and {"error":{"message","type"}}.

#include <httplib.h>

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

  // Registers every route, the error and exception handlers on `server`.
  void RegisterRoutes(httplib::Server& server);

 private:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  // Runs after the session is validated and its role has the route's permission (the
  // ManagementEndpoints() table of domain/permissions.h).
  using AuthedHandler =
      std::function<void(const httplib::Request&, httplib::Response&, const Session&)>;

  void Route(httplib::Server& server, const char* method, const char* pattern, Handler h);
  void AuthedRoute(httplib::Server& server, const char* method, const char* pattern,
                   AuthedHandler h);

  void Register(const httplib::Request& req, httplib::Response& res);
  void Login(const httplib::Request& req, httplib::Response& res);
  void Logout(const httplib::Request& req, httplib::Response& res, const Organization& org);
  void Config(const httplib::Request& req, httplib::Response& res, const Session& session);

  void ListTokens(const httplib::Request& req, httplib::Response& res, const Organization& org);
  void CreateToken(const httplib::Request& req, httplib::Response& res, const Session& session);
  void RevokeToken(const httplib::Request& req, httplib::Response& res, const Session& session);
  void ListKeys(const httplib::Request& req, httplib::Response& res, const Organization& org);
  void CreateKey(const httplib::Request& req, httplib::Response& res, const Session& session);
  void RevokeKey(const httplib::Request& req, httplib::Response& res, const Session& session);

  void GetBalance(const httplib::Request& req, httplib::Response& res, const Organization& org);
  void Charge(const httplib::Request& req, httplib::Response& res, const Organization& org);
  void ListTransactions(const httplib::Request& req, httplib::Response& res,
                        const Organization& org);

  void Summary(const httplib::Request& req, httplib::Response& res, const Organization& org);
  void ByModel(const httplib::Request& req, httplib::Response& res, const Organization& org);
  void ByProvider(const httplib::Request& req, httplib::Response& res, const Organization& org);
  void Timeseries(const httplib::Request& req, httplib::Response& res, const Organization& org);
  void Usage(const httplib::Request& req, httplib::Response& res, const Organization& org);
  void UsageCsv(UsageQuery query, httplib::Response& res, const Organization& org);

  void Readyz(const httplib::Request& req, httplib::Response& res);
  void ServeAsset(const httplib::Request& req, httplib::Response& res, std::string_view name);

  bool GuardAndRefuse(const httplib::Request& req, httplib::Response& res, bool accepts_csv) const;
  std::string ClientAddress(const httplib::Request& req) const;
  std::string SessionCookie(const std::string& value, int64_t max_age_seconds) const;
  void SendLogin(httplib::Response& res, const LoginResult& login) const;

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

// Server settings measured for cpp-httplib 0.11.4: TCP_NODELAY (else 40 ms per response), no
// keep-alive request cap, a bigger worker pool, read/write timeouts and a 1 MiB body limit.
void ConfigureHttpServer(httplib::Server& server, size_t worker_threads);

// The `session` value of a Cookie header, or "" when absent.
std::string SessionFromCookieHeader(std::string_view cookie_header);

}  // namespace llmgw::dashboard

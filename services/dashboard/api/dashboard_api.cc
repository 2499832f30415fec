#include "services/dashboard/api/dashboard_api.h"

#include <cstdlib>
#include <optional>
#include <type_traits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/common/crypto.h"
#include "libs/common/log.h"
#include "services/dashboard/api/web_assets.h"
#include "services/dashboard/domain/json_shapes.h"
#include "services/dashboard/domain/permissions.h"
#include "services/dashboard/domain/request_guard.h"
#include "services/dashboard/domain/requests.h"
#include "services/dashboard/domain/rfc3339.h"

namespace llmgw::dashboard {
namespace {

constexpr char kJson[] = "application/json";

void SendJson(Response& res, int status, const Json& body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(body.dump(), kJson);
}

void SendError(Response& res, int status, std::string_view message,
               std::string_view type) {
  SendJson(res, status, ErrorJson(message, type));
}

// Status → HTTP. INVALID_ARGUMENT messages come from validation (ours or a service's) and are
// safe to show; 5xx never carry a dependency's message.
void SendStatus(Response& res, const absl::Status& s, std::string_view what) {
  std::string message(s.message());
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kFailedPrecondition:
      return SendError(res, 400, message, "invalid_request_error");
    case absl::StatusCode::kUnauthenticated:
      return SendError(res, 401, "invalid or expired session", "authentication_error");
    case absl::StatusCode::kPermissionDenied:
      return SendError(res, 403, message, "permission_error");
    case absl::StatusCode::kNotFound:
      return SendError(res, 404, absl::StrCat(std::string(what), " not found"), "not_found_error");
    case absl::StatusCode::kAlreadyExists:
      return SendError(res, 409, message, "conflict_error");
    case absl::StatusCode::kResourceExhausted:
      return SendError(res, 429, message, "rate_limit_error");
    case absl::StatusCode::kUnavailable:
      res.set_header("Retry-After", "1");
      return SendError(res, 503, "a backend service is unavailable; retry shortly",
                       "service_unavailable");
    case absl::StatusCode::kDeadlineExceeded:
      return SendError(res, 504, "a backend service did not answer in time", "timeout_error");
    default:
      log::Error("request failed", {{"what", std::string(what)},
                                    {"code", absl::StatusCodeToString(s.code())},
                                    {"error", message}});
      return SendError(res, 500, "internal error", "internal_error");
  }
}

std::optional<std::string> Param(const Request& req, const char* name) {
  if (!req.has_param(name)) return std::nullopt;
  return req.get_param_value(name);
}

// A client-chosen idempotency key: printable ASCII, at most 200 characters.
bool ValidIdempotencyKey(std::string_view key) {
  if (key.empty() || key.size() > 200) return false;
  for (char c : key) {
    if (c < 0x21 || c > 0x7E) return false;
  }
  return true;
}

// "host" of a Host header without its port, when it looks like a host name or an IP address.
std::string HostWithoutPort(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    size_t end = host.find(']');
    if (end == std::string_view::npos) return "";
    std::string_view inner = host.substr(0, end + 1);
    for (char c : inner.substr(1, inner.size() - 2)) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') return "";
    }
    return std::string(inner);
  }
  host = host.substr(0, host.find(':'));
  for (char c : host) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') return "";
  }
  return std::string(host);
}

std::string_view ContentType(std::string_view name) {
  auto ends_with = [&](std::string_view suffix) {
    return name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
  };
  if (ends_with(".html")) return "text/html; charset=utf-8";
  if (ends_with(".js")) return "text/javascript; charset=utf-8";
  if (ends_with(".css")) return "text/css; charset=utf-8";
  if (ends_with(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

// "" (any creator) when the role manages every credential, else the session's user.
std::string OnlyCreatedBy(const Session& session) {
  return RoleHas(session.role, Permission::kManageCredentials) ? "" : session.user.id;
}

}  // namespace

std::string SessionFromCookieHeader(std::string_view header) {
  while (!header.empty()) {
    size_t semi = header.find(';');
    std::string_view part = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view name = part.substr(0, eq);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (name != kSessionCookie) continue;
    std::string_view value = part.substr(eq + 1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return std::string(value);
  }
  return "";
}

DashboardApi::DashboardApi(AccountsClient& accounts, BillingClient& billing,
                           MeteringClient& metering, const Clock& clock, DashboardOptions options,
                           HttpMetrics* metrics, ProviderSyncClient* provider_sync,
                           AlertsClient* alerts)
    : accounts_(accounts),
      billing_(billing),
      metering_(metering),
      clock_(clock),
      options_(std::move(options)),
      metrics_(metrics) {
  if (provider_sync != nullptr) {
    provider_sync_ = std::make_unique<ProviderSyncApi>(*provider_sync, clock_);
  }
  if (alerts != nullptr) alerts_ = std::make_unique<AlertsApi>(*alerts);
  team_ =
      std::make_unique<TeamApi>(accounts_, options_.public_dashboard_url, options_.cookie_secure);
  audit_ = std::make_unique<AuditApi>(accounts_);
  limits_ = std::make_unique<LimitsApi>(accounts_, billing_, metering_, clock_);
}

std::string DashboardApi::SessionCookie(const std::string& value, int64_t max_age_seconds) const {
  std::string cookie = absl::StrCat(kSessionCookie, "=", value,
                                    "; HttpOnly; SameSite=Lax; Path=/; Max-Age=", max_age_seconds);
  if (options_.cookie_secure) absl::StrAppend(&cookie, "; Secure");
  return cookie;
}

void DashboardApi::AddTimed(Router& router, const char* method, const char* pattern, Handler h,
                            bool needs_session, bool blocking) {
  Handler timed = [this, method, pattern, h = std::move(h)](const Request& req, Response& res) {
    auto start = std::chrono::steady_clock::now();
    h(req, res);
    if (metrics_ != nullptr) {
      metrics_->Observe(
          method, pattern, res.status,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
  };
  router.Add(method, pattern, std::move(timed), needs_session, blocking);
}

void DashboardApi::Route(Router& router, const char* method, const char* pattern, Handler h,
                         bool blocking) {
  const Endpoint* endpoint = FindEndpoint(method, pattern);
  const bool accepts_csv = endpoint != nullptr && endpoint->accepts_csv;
  AddTimed(
      router, method, pattern,
      [this, accepts_csv, h = std::move(h)](const Request& req, Response& res) {
        if (!GuardAndRefuse(req, res, accepts_csv)) h(req, res);
      },
      /*needs_session=*/false, blocking);
}

// The CSRF rules of domain/request_guard for every state-changing request; true when refused.
bool DashboardApi::GuardAndRefuse(const Request& req, Response& res,
                                  bool accepts_csv) const {
  std::string origin = req.get_header_value("Origin");
  std::string site = req.get_header_value("Sec-Fetch-Site");
  std::string host = req.get_header_value("Host");
  std::string content_type = req.get_header_value("Content-Type");
  GuardedRequest guarded{req.method,   origin,          site,       host,
                         content_type, req.body.size(), accepts_csv};
  GuardVerdict verdict = CheckStateChangingRequest(guarded, options_.public_dashboard_url);
  if (verdict.status == 0) return false;
  SendError(res, verdict.status, verdict.message,
            verdict.status == 415 ? "invalid_request_error" : "permission_error");
  return true;
}

// The browser's address for login throttling: the TCP peer, or behind a trusted reverse proxy
// (LLMGW_TRUST_FORWARDED_FOR) the last X-Forwarded-For entry, the one that proxy appended.
std::string DashboardApi::ClientAddress(const Request& req) const {
  if (options_.trust_forwarded_for) {
    std::string forwarded = req.get_header_value("X-Forwarded-For");
    size_t comma = forwarded.rfind(',');
    std::string last = comma == std::string::npos ? forwarded : forwarded.substr(comma + 1);
    absl::StripAsciiWhitespace(&last);
    if (!last.empty() && last.size() <= 100) return last;
  }
  return req.remote_addr;
}

// Every /api/ route but register, login and accept-invite: the session cookie, validated by
// accounts, names the only organization the handler may show or change, and the user's role
// there must have the permission the route needs (domain/permissions.h), checked here and
// nowhere else. No session is 401 before anything else (the CSRF guard, the body's checks);
// dashboard_server.h answers a write without a session cookie at its header already.
void DashboardApi::AuthedRoute(Router& router, const char* method, const char* pattern,
                               AuthedHandler h) {
  const Endpoint* endpoint = FindEndpoint(method, pattern);
  if (endpoint == nullptr) {
    log::Error("a management route has no permission", {{"method", method}, {"path", pattern}});
    std::abort();  // a programming error: the table in domain/permissions.cc must list it
  }
  const Permission needed = endpoint->permission;
  AddTimed(
      router, method, pattern,
      [this, endpoint, needed, h = std::move(h)](const Request& req, Response& res) {
        std::string token = SessionFromCookieHeader(req.get_header_value("Cookie"));
        if (token.empty()) {
          return SendError(res, 401, "not logged in", "authentication_error");
        }
        absl::StatusOr<Session> session = accounts_.ValidateSession(token);
        if (!session.ok()) {
          if (session.status().code() == absl::StatusCode::kUnauthenticated) {
            res.set_header("Set-Cookie", SessionCookie("", 0));
          }
          return SendStatus(res, session.status(), "session");
        }
        if (GuardAndRefuse(req, res, endpoint->accepts_csv)) return;
        if (!RoleHas(session->role, needed)) {
          return SendError(res, 403,
                           "the " + std::string(RoleName(session->role)) +
                               " role may not do this (needs " +
                               std::string(PermissionName(needed)) + ")",
                           "permission_error");
        }
        h(req, res, *session);
        audit_->RecordIfAudited(*endpoint, req, res, *session);
      },
      /*needs_session=*/true, /*blocking=*/true);
}

template <typename Api>
void DashboardApi::RegisterOrgRoutes(Router& router, Api* api) {
  if (api == nullptr) return;  // a feature whose client is not configured
  for (const OrgRoute<Api>& r : Api::Routes()) {
    AuthedRoute(router, r.method, r.pattern,
                [api, h = r.handler](const Request& req, Response& res, const Session& session) {
                  OrgReply reply = (api->*h)(req, session.org);
                  if (!reply.error.ok()) return SendStatus(res, reply.error, reply.what);
                  SendJson(res, reply.status, reply.body);
                });
  }
}

void DashboardApi::RegisterRoutes(Router& router) {
  using std::placeholders::_1;
  using std::placeholders::_2;
  using std::placeholders::_3;
  // A handler takes the session, or only its organization (most read and write their org).
  auto authed = [&](const char* method, const char* pattern, auto member) {
    AuthedRoute(router, method, pattern,
                [this, member](const Request& req, Response& res,
                               const Session& session) {
                  if constexpr (std::is_invocable_v<decltype(member), DashboardApi*,
                                                    const Request&, Response&,
                                                    const Organization&>) {
                    (this->*member)(req, res, session.org);
                  } else {
                    (this->*member)(req, res, session);
                  }
                });
  };

  Route(
      router, "GET", "/healthz",
      [](const Request&, Response& res) { SendJson(res, 200, Json{{"status", "ok"}}); },
      /*blocking=*/false);
  Route(router, "GET", "/readyz", std::bind(&DashboardApi::Readyz, this, _1, _2));

  Route(router, "POST", "/api/auth/register", std::bind(&DashboardApi::Register, this, _1, _2));
  Route(router, "POST", "/api/auth/login", std::bind(&DashboardApi::Login, this, _1, _2));
  authed("POST", "/api/auth/logout", &DashboardApi::Logout);
  authed("GET", "/api/config", &DashboardApi::Config);

  authed("GET", "/api/tokens", &DashboardApi::ListTokens);
  authed("POST", "/api/tokens", &DashboardApi::CreateToken);
  authed("DELETE", "/api/tokens", &DashboardApi::RevokeToken);
  authed("GET", "/api/keys", &DashboardApi::ListKeys);
  authed("POST", "/api/keys", &DashboardApi::CreateKey);
  authed("DELETE", "/api/keys", &DashboardApi::RevokeKey);

  authed("GET", "/api/balance", &DashboardApi::GetBalance);
  authed("POST", "/api/balance/charge", &DashboardApi::Charge);
  authed("GET", "/api/balance/transactions", &DashboardApi::ListTransactions);

  authed("GET", "/api/stats/summary", &DashboardApi::Summary);
  authed("GET", "/api/stats/by-model", &DashboardApi::ByModel);
  authed("GET", "/api/stats/by-provider", &DashboardApi::ByProvider);
  authed("GET", "/api/stats/timeseries", &DashboardApi::Timeseries);
  authed("GET", "/api/usage", &DashboardApi::Usage);

  // Controls, provider bills and alerts: handlers in limits_api, provider_sync_api and
  // alerts_api, answered like every other route.
  RegisterOrgRoutes(router, limits_.get());
  RegisterOrgRoutes(router, provider_sync_.get());
  RegisterOrgRoutes(router, alerts_.get());

  AuthedRoute(router, "GET", "/api/audit",
              [this](const Request& req, Response& res, const Session& session) {
                auto [status, body] = audit_->List(req, session);
                SendJson(res, status, body);
              });

  // Members, invitations and switching organization: handlers in team_api.
  for (const TeamApi::Route& r : TeamApi::Routes()) {
    auto write = [this](Response& res, const TeamApi::Reply& reply) {
      if (!reply.error.ok()) return SendStatus(res, reply.error, reply.what);
      if (reply.login.has_value()) return SendLogin(res, *reply.login);
      SendJson(res, reply.status, reply.body);
    };
    if (r.needs_session) {
      AuthedRoute(router, r.method, r.pattern,
                  [this, h = r.handler, write](const Request& req, Response& res,
                                               const Session& session) {
                    write(res, (team_.get()->*h)(req, session));
                  });
    } else {
      Route(router, r.method, r.pattern,
            [this, h = r.handler, write](const Request& req, Response& res) {
              write(res, (team_.get()->*h)(req, Session{}));
            });
    }
  }

  Route(
      router, "GET", "/",
      [this](const Request& req, Response& res) { ServeAsset(req, res, "index.html"); },
      /*blocking=*/false);
  Route(
      router, "GET", "/assets/([A-Za-z0-9_.-]+)",
      [this](const Request& req, Response& res) { ServeAsset(req, res, req.matches[1]); },
      /*blocking=*/false);

  // Unrouted paths and handlers that left an error status without a body: the API's error shape.
  router.set_error_handler([](const Request&, Response& res) {
    if (!res.body.empty()) return;
    switch (res.status) {
      case 404:
        SendError(res, 404, "no such endpoint", "not_found_error");
        break;
      default:
        SendError(res, res.status, "invalid request", "invalid_request_error");
        break;
    }
  });
  router.set_exception_handler(
      [](const Request&, Response& res) { SendError(res, 500, "internal error", "internal_error"); });
}

void DashboardApi::Readyz(const Request&, Response& res) {
  if (accounts_.CheckHealth().ok()) {
    SendJson(res, 200, Json{{"status", "ok"}});
  } else {
    SendJson(res, 503, Json{{"status", "unavailable"}});
  }
}

void DashboardApi::ServeAsset(const Request&, Response& res,
                              std::string_view name) {
  const WebAsset* asset = FindWebAsset(name);
  if (asset == nullptr) return SendError(res, 404, "no such file", "not_found_error");
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Referrer-Policy", "same-origin");
  // connect-src allows the gateway for the chat playground, which calls it from the browser.
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                 "connect-src 'self' http: https:; frame-ancestors 'none'; base-uri 'none'; "
                 "form-action 'self'");
  res.status = 200;
  res.set_content(std::string(asset->body), std::string(ContentType(name)));
}

void DashboardApi::Register(const Request& req, Response& res) {
  absl::StatusOr<RegisterInput> in = ParseRegisterBody(req.body);
  if (!in.ok()) return SendStatus(res, in.status(), "request");
  absl::StatusOr<Organization> org = accounts_.Register(in->name, in->email, in->password);
  if (!org.ok()) {
    if (org.status().code() == absl::StatusCode::kAlreadyExists) {
      return SendError(res, 409, "an organization with this email already exists",
                       "conflict_error");
    }
    return SendStatus(res, org.status(), "organization");
  }
  SendJson(res, 201, Json{{"org", OrganizationJson(*org)}});
}

void DashboardApi::Login(const Request& req, Response& res) {
  absl::StatusOr<LoginInput> in = ParseLoginBody(req.body);
  if (!in.ok()) return SendStatus(res, in.status(), "request");
  absl::StatusOr<LoginResult> login = accounts_.Login(in->email, in->password, ClientAddress(req));
  if (!login.ok()) {
    switch (login.status().code()) {
      case absl::StatusCode::kUnauthenticated:
        return SendError(res, 401, "invalid email or password", "authentication_error");
      case absl::StatusCode::kResourceExhausted:
        return SendError(res, 429, "too many failed login attempts; try again later",
                         "rate_limit_error");
      case absl::StatusCode::kPermissionDenied:
        return SendError(res, 403, "this user is not a member of any organization",
                         "permission_error");
      default:
        return SendStatus(res, login.status(), "organization");
    }
  }
  SendLogin(res, *login);
}

// 200 {org, user, role} with the session cookie: login, accepting an invitation.
void DashboardApi::SendLogin(Response& res, const LoginResult& login) const {
  int64_t ttl_seconds = (login.expires_at_unix_ms - clock_.NowUnixMs()) / 1000;
  if (ttl_seconds < 0) ttl_seconds = 0;
  res.set_header("Set-Cookie", SessionCookie(login.session_token, ttl_seconds));
  Json body{{"org", OrganizationJson(login.organization)},
            {"user", UserJson(login.user)},
            {"role", std::string(RoleName(login.role))}};
  SendJson(res, 200, body);
}

void DashboardApi::Logout(const Request& req, Response& res,
                          const Organization&) {
  absl::Status s = accounts_.Logout(SessionFromCookieHeader(req.get_header_value("Cookie")));
  if (!s.ok()) return SendStatus(res, s, "session");
  res.set_header("Set-Cookie", SessionCookie("", 0));
  res.set_header("Cache-Control", "no-store");
  res.status = 204;
}

// The session's organization, user, role and permissions (the UI hides what the role may not
// do), the user's organizations for switching, and where the gateway is.
void DashboardApi::Config(const Request& req, Response& res,
                          const Session& session) {
  std::string gateway = options_.public_gateway_url;
  if (gateway.empty()) {
    std::string host = HostWithoutPort(req.get_header_value("Host"));
    gateway = absl::StrCat("http://", host.empty() ? "localhost" : host, ":8080");
  }
  Json body;
  body["gateway_url"] = gateway;
  body["self_topup"] = options_.self_topup;
  body["org"] = OrganizationJson(session.org);
  body["user"] = UserJson(session.user);
  body["role"] = std::string(RoleName(session.role));
  body["permissions"] = PermissionNames(session.role);
  auto orgs = accounts_.ListMemberships(session.user.id);
  if (!orgs.ok()) return SendStatus(res, orgs.status(), "organizations");
  body["orgs"] = OrgMembershipsJson(*orgs);
  SendJson(res, 200, body);
}

void DashboardApi::ListTokens(const Request&, Response& res,
                              const Organization& org) {
  auto list = accounts_.ListMonitorTokens(org.id);
  if (!list.ok()) return SendStatus(res, list.status(), "tokens");
  SendJson(res, 200, limits_->WithUsage(org, CredentialListJson(*list, "tokens"), "tokens"));
}

void DashboardApi::CreateToken(const Request& req, Response& res,
                               const Session& session) {
  absl::StatusOr<std::string> name = ParseCredentialNameBody(req.body);
  if (!name.ok()) return SendStatus(res, name.status(), "request");
  auto created = accounts_.CreateMonitorToken(session.org.id, *name, session.user.id);
  if (!created.ok()) return SendStatus(res, created.status(), "token");
  SendJson(res, 201, CreatedCredentialJson(*created, "token"));
}

// DELETE answers 200 with the revoked item (is_active false), so the UI can update its row
// without a second request. Unknown ids, malformed ids and other organizations' ids are all 404.
// A role without manage_credentials revokes only what its user created (403 otherwise).
void DashboardApi::RevokeToken(const Request& req, Response& res,
                               const Session& session) {
  std::optional<std::string> id = Param(req, "id");
  if (!id.has_value() || id->empty()) {
    return SendError(res, 400, "id is required", "invalid_request_error");
  }
  if (!IsUuid(*id)) return SendError(res, 404, "token not found", "not_found_error");
  auto revoked = accounts_.RevokeMonitorToken(session.org.id, *id, OnlyCreatedBy(session));
  if (!revoked.ok()) return SendStatus(res, revoked.status(), "token");
  SendJson(res, 200, CredentialJson(*revoked));
}

void DashboardApi::ListKeys(const Request&, Response& res,
                            const Organization& org) {
  auto list = accounts_.ListApiKeys(org.id);
  if (!list.ok()) return SendStatus(res, list.status(), "keys");
  SendJson(res, 200, limits_->WithUsage(org, CredentialListJson(*list, "keys"), "keys"));
}

void DashboardApi::CreateKey(const Request& req, Response& res,
                             const Session& session) {
  absl::StatusOr<std::string> name = ParseCredentialNameBody(req.body);
  if (!name.ok()) return SendStatus(res, name.status(), "request");
  auto created = accounts_.CreateApiKey(session.org.id, *name, session.user.id);
  if (!created.ok()) return SendStatus(res, created.status(), "key");
  SendJson(res, 201, CreatedCredentialJson(*created, "key"));
}

// Same contract as RevokeToken: 200 with the revoked key.
void DashboardApi::RevokeKey(const Request& req, Response& res,
                             const Session& session) {
  std::optional<std::string> id = Param(req, "id");
  if (!id.has_value() || id->empty()) {
    return SendError(res, 400, "id is required", "invalid_request_error");
  }
  if (!IsUuid(*id)) return SendError(res, 404, "key not found", "not_found_error");
  auto revoked = accounts_.RevokeApiKey(session.org.id, *id, OnlyCreatedBy(session));
  if (!revoked.ok()) return SendStatus(res, revoked.status(), "key");
  SendJson(res, 200, CredentialJson(*revoked));
}

void DashboardApi::GetBalance(const Request&, Response& res,
                              const Organization& org) {
  auto balance = billing_.GetBalance(org.id);
  if (!balance.ok()) return SendStatus(res, balance.status(), "balance");
  SendJson(res, 200, BalanceJson(*balance));
}

void DashboardApi::Charge(const Request& req, Response& res,
                          const Organization& org) {
  if (!options_.self_topup) {
    return SendError(res, 403, "self top-up is disabled; ask an operator", "permission_error");
  }
  absl::StatusOr<money::Nano> amount = ParseChargeAmount(req.body);
  if (!amount.ok()) return SendStatus(res, amount.status(), "request");
  std::string key = req.get_header_value("Idempotency-Key");
  if (key.empty()) {
    key = crypto::RandomUuid();
  } else if (!ValidIdempotencyKey(key)) {
    return SendError(res, 400, "Idempotency-Key must be 1 to 200 printable ASCII characters",
                     "invalid_request_error");
  }
  // Scoped to the organization, so one organization's key can never replay another's top-up.
  auto result = billing_.Charge(org.id, absl::StrCat("dashboard:", org.id, ":", key), *amount,
                                "self top-up from the dashboard");
  if (!result.ok()) return SendStatus(res, result.status(), "balance");
  SendJson(res, 200, ChargeJson(*result));
}

void DashboardApi::ListTransactions(const Request& req, Response& res,
                                    const Organization& org) {
  absl::StatusOr<int32_t> limit = ParseLimit(Param(req, "limit"));
  if (!limit.ok()) return SendStatus(res, limit.status(), "request");
  auto list = billing_.ListTransactions(org.id, *limit);
  if (!list.ok()) return SendStatus(res, list.status(), "transactions");
  SendJson(res, 200, TransactionListJson(*list));
}

void DashboardApi::Summary(const Request& req, Response& res,
                           const Organization& org) {
  auto range = ParseTimeRange(Param(req, "from"), Param(req, "to"), clock_.NowUnixMs());
  if (!range.ok()) return SendStatus(res, range.status(), "request");
  auto summary = metering_.GetSummary(org.id, *range);
  if (!summary.ok()) return SendStatus(res, summary.status(), "stats");
  SendJson(res, 200, SummaryJson(*summary));
}

void DashboardApi::ByModel(const Request& req, Response& res,
                           const Organization& org) {
  auto range = ParseTimeRange(Param(req, "from"), Param(req, "to"), clock_.NowUnixMs());
  if (!range.ok()) return SendStatus(res, range.status(), "request");
  auto models = metering_.GetUsageByModel(org.id, *range);
  if (!models.ok()) return SendStatus(res, models.status(), "stats");
  SendJson(res, 200, ByModelJson(*models));
}

void DashboardApi::ByProvider(const Request& req, Response& res,
                              const Organization& org) {
  auto range = ParseTimeRange(Param(req, "from"), Param(req, "to"), clock_.NowUnixMs());
  if (!range.ok()) return SendStatus(res, range.status(), "request");
  auto providers = metering_.GetUsageByProvider(org.id, *range);
  if (!providers.ok()) return SendStatus(res, providers.status(), "stats");
  SendJson(res, 200, ByProviderJson(*providers));
}

void DashboardApi::Timeseries(const Request& req, Response& res,
                              const Organization& org) {
  auto range = ParseTimeRange(Param(req, "from"), Param(req, "to"), clock_.NowUnixMs());
  if (!range.ok()) return SendStatus(res, range.status(), "request");
  auto bucket = ParseBucket(Param(req, "bucket"));
  if (!bucket.ok()) return SendStatus(res, bucket.status(), "request");
  // ?group=provider: one point per bucket and provider (the overview's stacked cost).
  std::optional<std::string> group = Param(req, "group");
  if (group.has_value() && *group != "provider") {
    return SendError(res, 400, "group must be provider", "invalid_request_error");
  }
  auto points = metering_.GetTimeseries(org.id, *range, *bucket, group.has_value());
  if (!points.ok()) return SendStatus(res, points.status(), "stats");
  SendJson(res, 200, TimeseriesJson(*points));
}

void DashboardApi::Usage(const Request& req, Response& res,
                         const Organization& org) {
  absl::StatusOr<UsageQuery> query =
      ParseUsageQuery([&](const char* name) { return Param(req, name); });
  if (!query.ok()) return SendStatus(res, query.status(), "request");
  std::optional<std::string> format = Param(req, "format");
  if (format.has_value() && *format != "csv" && *format != "json") {
    return SendError(res, 400, "format must be json or csv", "invalid_request_error");
  }
  if (format == "csv") return UsageCsv(*query, res, org);
  auto rows = metering_.ListUsage(org.id, *query);
  if (!rows.ok()) return SendStatus(res, rows.status(), "usage");
  // A page shorter than the limit may still have rows after it (metering never ends a page
  // inside a millisecond): one row past it tells.
  std::optional<int64_t> next_before;
  if (!rows->empty()) {
    int64_t last = rows->back().requested_at_unix_ms;
    bool more = static_cast<int32_t>(rows->size()) >= query->limit;
    if (!more) {
      UsageQuery probe = *query;
      probe.limit = 1;
      probe.before_unix_ms = last;
      auto after = metering_.ListUsage(org.id, probe);
      if (!after.ok()) return SendStatus(res, after.status(), "usage");
      more = !after->empty();
    }
    if (more) next_before = last;
  }
  SendJson(res, 200, UsageJson(*rows, next_before));
}

// Every row matching the filters (from `before`, newest first), at most kMaxCsvRows, as CSV with
// a header row; pages of 500 from metering.
void DashboardApi::UsageCsv(UsageQuery query, Response& res, const Organization& org) {
  constexpr size_t kMaxCsvRows = 100'000;
  std::string body = kUsageCsvHeader;
  size_t written = 0;
  query.limit = kMaxLimit;
  while (written < kMaxCsvRows) {
    auto rows = metering_.ListUsage(org.id, query);
    if (!rows.ok()) return SendStatus(res, rows.status(), "usage");
    if (rows->empty()) break;
    if (written + rows->size() > kMaxCsvRows) rows->resize(kMaxCsvRows - written);
    body += UsageCsvRows(*rows);
    written += rows->size();
    query.before_unix_ms = rows->back().requested_at_unix_ms;
  }
  res.status = 200;
  res.set_header("Cache-Control", "no-store");
  res.set_header("Content-Disposition", "attachment; filename=\"usage.csv\"");
  res.set_content(body, "text/csv; charset=utf-8");
}

}  // namespace llmgw::dashboard

#pragma once
// Cross-site request forgery defence of the management API (API.md, README "Sign-in
// security"), decided once for every state-changing request (POST, PUT, PATCH, DELETE):
//  1. `Sec-Fetch-Site: cross-site` or `same-site` → 403 (a browser says the page is elsewhere);
//  2. an `Origin` that is not the dashboard's own → 403 (`null` included); no `Origin` (curl,
//     scripts, old browsers' same-origin requests) is allowed;
//  3. a body that is not JSON → 415: a present Content-Type must be application/json, and a
//     non-empty body needs one. Routes that take CSV (the usage import) skip this rule.
// Rule 3 alone already stops an HTML form or a CORS-simple fetch (text/plain, form encoded)
// from carrying the session cookie into a JSON endpoint; rules 1-2 cover every other route.

#include <string>
#include <string_view>

namespace llmgw::dashboard {

struct GuardedRequest {
  std::string_view method;
  std::string_view origin;          // "" when absent
  std::string_view sec_fetch_site;  // "" when absent
  std::string_view host;            // the Host header
  std::string_view content_type;    // "" when absent
  size_t body_size = 0;
  bool accepts_csv = false;
};

struct GuardVerdict {
  int status = 0;  // 0: allowed; else 403 or 415
  std::string message;
};

// `own_origin`: the dashboard's public origin (scheme://host[:port], LLMGW_PUBLIC_DASHBOARD_URL)
// or "" to accept an Origin whose host[:port] equals the request's Host (either scheme).
GuardVerdict CheckStateChangingRequest(const GuardedRequest& req, std::string_view own_origin);

// POST, PUT, PATCH, DELETE.
bool IsStateChangingMethod(std::string_view method);
// application/json, any parameters (charset), any case.
bool IsJsonContentType(std::string_view content_type);

}  // namespace llmgw::dashboard

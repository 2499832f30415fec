#include "services/dashboard/domain/request_guard.h"

#include <string>

#include "gtest/gtest.h"

namespace llmgw::dashboard {
namespace {

struct Case {
  const char* name;
  const char* method;
  const char* origin;
  const char* sec_fetch_site;
  const char* content_type;
  size_t body_size;
  bool accepts_csv;
  int want;  // 0 allowed, 403, 415
};

constexpr char kHost[] = "dash.example:3000";

TEST(RequestGuardTest, EveryMethodAndBodyType) {
  const Case kCases[] = {
      // Reads are never guarded, whatever they carry.
      {"get foreign", "GET", "http://evil.example", "cross-site", "text/plain", 3, false, 0},
      // Same origin JSON, every method.
      {"post json", "POST", "http://dash.example:3000", "same-origin", "application/json", 2, false,
       0},
      {"put json", "PUT", "http://dash.example:3000", "", "application/json", 2, false, 0},
      {"patch json", "PATCH", "http://dash.example:3000", "", "application/json; charset=utf-8", 2,
       false, 0},
      {"delete no body", "DELETE", "http://dash.example:3000", "same-origin", "", 0, false, 0},
      {"post empty body", "POST", "http://dash.example:3000", "", "", 0, false, 0},
      {"https same host", "POST", "https://DASH.example:3000", "", "application/json", 2, false, 0},
      // No Origin (curl): allowed, body rules still apply.
      {"curl json", "POST", "", "", "application/json", 2, false, 0},
      {"curl text", "POST", "", "", "text/plain", 2, false, 415},
      {"curl no type", "POST", "", "", "", 2, false, 415},
      // A foreign Origin: 403 for every method and body type.
      {"foreign post json", "POST", "http://evil.example", "", "application/json", 2, false, 403},
      {"foreign post text", "POST", "http://evil.example", "", "text/plain", 9, false, 403},
      {"foreign post form", "POST", "http://evil.example", "", "application/x-www-form-urlencoded",
       9, false, 403},
      {"foreign post multipart", "POST", "http://evil.example", "",
       "multipart/form-data; boundary=x", 9, false, 403},
      {"foreign put", "PUT", "http://evil.example", "", "application/json", 2, false, 403},
      {"foreign patch", "PATCH", "http://evil.example", "", "application/json", 2, false, 403},
      {"foreign delete", "DELETE", "http://evil.example", "", "", 0, false, 403},
      {"other port", "POST", "http://dash.example:4000", "", "application/json", 2, false, 403},
      {"null origin", "POST", "null", "", "application/json", 2, false, 403},
      {"foreign csv import", "POST", "http://evil.example", "", "text/csv", 9, true, 403},
      // Sec-Fetch-Site says the page is elsewhere: 403 even without Origin.
      {"fetch cross-site", "POST", "", "cross-site", "application/json", 2, false, 403},
      {"fetch same-site", "DELETE", "", "same-site", "", 0, false, 403},
      {"fetch none", "POST", "", "none", "application/json", 2, false, 0},
      // Same origin but not JSON: 415, except the CSV import.
      {"same text", "POST", "http://dash.example:3000", "", "text/plain", 9, false, 415},
      {"same form", "PATCH", "http://dash.example:3000", "", "application/x-www-form-urlencoded", 9,
       false, 415},
      {"same multipart", "PUT", "http://dash.example:3000", "", "multipart/form-data", 9, false,
       415},
      {"delete text", "DELETE", "http://dash.example:3000", "", "text/plain", 0, false, 415},
      {"json lookalike", "POST", "", "", "application/jsonx", 2, false, 415},
      {"csv import", "POST", "http://dash.example:3000", "", "text/csv", 9, true, 0},
      {"csv import text", "POST", "", "", "text/plain", 9, true, 0},
  };
  for (const Case& c : kCases) {
    GuardedRequest req{c.method,       c.origin,    c.sec_fetch_site, kHost,
                       c.content_type, c.body_size, c.accepts_csv};
    GuardVerdict v = CheckStateChangingRequest(req, "");
    EXPECT_EQ(v.status, c.want) << c.name << ": " << v.message;
    EXPECT_EQ(v.message.empty(), c.want == 0) << c.name;
  }
}

TEST(RequestGuardTest, AConfiguredOriginIsTheOnlyOwnOrigin) {
  GuardedRequest req{"POST", "https://dash.example", "", "internal:3000", "application/json", 2};
  EXPECT_EQ(CheckStateChangingRequest(req, "https://dash.example/").status, 0);
  EXPECT_EQ(CheckStateChangingRequest(req, "https://other.example").status, 403);
  // Without the setting, the Host (internal:3000) is the origin and this Origin is foreign.
  EXPECT_EQ(CheckStateChangingRequest(req, "").status, 403);
  req.origin = "http://dash.example";  // scheme matters once configured
  EXPECT_EQ(CheckStateChangingRequest(req, "https://dash.example").status, 403);
}

}  // namespace
}  // namespace llmgw::dashboard

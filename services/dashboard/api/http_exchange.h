#pragma once
// What a dashboard route handler sees of a request and writes of its response. The members carry
// cpp-httplib's names (the dashboard's server before libs/httpd), so a handler written for it
// moves over by renaming httplib::Request → Request and httplib::Response → Response
// (`req.matches[i].str()` becomes `req.matches[i]`). The server (dashboard_server.h) fills a
// Request from the wire and sends the Response.

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace llmgw::dashboard {

struct CaseInsensitiveLess {
  bool operator()(const std::string& a, const std::string& b) const;
};
using HeaderMap = std::multimap<std::string, std::string, CaseInsensitiveLess>;
using ParamMap = std::multimap<std::string, std::string>;

struct Request {
  std::string method;
  std::string target;  // as received: path and query
  std::string path;    // percent-decoded, without the query
  HeaderMap headers;
  ParamMap params;  // the query's, decoded ('+' is a space)
  std::string body;
  std::string remote_addr;
  std::vector<std::string> matches;  // the route pattern's match: [0] the path, then its groups

  bool has_header(std::string_view name) const;
  std::string get_header_value(std::string_view name) const;  // the first, or ""
  bool has_param(std::string_view name) const;
  std::string get_param_value(std::string_view name) const;  // the first, or ""
};

struct Response {
  int status = -1;  // -1 until a handler answers
  HeaderMap headers;
  std::string body;

  // Adds a field (a second Set-Cookie is a second field, as in httplib).
  void set_header(std::string_view name, std::string_view value);
  bool has_header(std::string_view name) const;
  std::string get_header_value(std::string_view name) const;  // the first, or ""
  void set_content(std::string content, std::string_view content_type);
};

// Splits a request target into its decoded path and query parameters.
void ParseTarget(std::string_view target, std::string& path, ParamMap& params);

}  // namespace llmgw::dashboard

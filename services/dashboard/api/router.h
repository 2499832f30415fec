#pragma once
// The dashboard's routes: (method, path pattern) → handler, with what the server must know before
// running one: whether it needs a session (a write without one is refused at its header) and
// whether it blocks (runs on the worker pool) or answers from memory (on the I/O thread).
// Patterns are matched whole, as regular expressions when they hold a group, like cpp-httplib's.

#include <functional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "services/dashboard/api/http_exchange.h"

namespace llmgw::dashboard {

using Handler = std::function<void(const Request&, Response&)>;

class Router {
 public:
  struct Route {
    std::string method;
    std::string pattern;
    bool is_regex = false;
    std::regex regex;
    Handler handler;
    bool needs_session = true;
    bool blocking = true;
  };

  void Add(std::string_view method, std::string_view pattern, Handler handler, bool needs_session,
           bool blocking);
  // The route for (method, path) with the pattern's match in `matches`; nullptr when none.
  const Route* Find(std::string_view method, const std::string& path,
                    std::vector<std::string>& matches) const;

  // Called after a handler that left an error status (>= 400) with no body, and for unrouted
  // requests (status 404): fills in the API's error shape.
  void set_error_handler(Handler h) { error_handler_ = std::move(h); }
  // Answers for a handler that threw.
  void set_exception_handler(Handler h) { exception_handler_ = std::move(h); }

  // Runs `route` (nullptr: unrouted, 404) for `req` into `res`, then the error handler.
  void Dispatch(const Route* route, const Request& req, Response& res) const;

 private:
  std::vector<Route> routes_;
  Handler error_handler_;
  Handler exception_handler_;
};

}  // namespace llmgw::dashboard

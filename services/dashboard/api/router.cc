#include "services/dashboard/api/router.h"

#include <exception>
#include <utility>

#include "libs/common/log.h"

namespace llmgw::dashboard {

void Router::Add(std::string_view method, std::string_view pattern, Handler handler,
                 bool needs_session, bool blocking) {
  Route r;
  r.method = std::string(method);
  r.pattern = std::string(pattern);
  r.is_regex = pattern.find('(') != std::string_view::npos;
  if (r.is_regex) r.regex = std::regex(r.pattern);
  r.handler = std::move(handler);
  r.needs_session = needs_session;
  r.blocking = blocking;
  routes_.push_back(std::move(r));
}

const Router::Route* Router::Find(std::string_view method, const std::string& path,
                                  std::vector<std::string>& matches) const {
  matches.clear();
  for (const Route& r : routes_) {
    if (r.method != method) continue;
    if (!r.is_regex) {
      if (r.pattern != path) continue;
      matches.push_back(path);
      return &r;
    }
    std::smatch m;
    if (!std::regex_match(path, m, r.regex)) continue;
    for (const auto& group : m) matches.push_back(group.str());
    return &r;
  }
  return nullptr;
}

void Router::Dispatch(const Route* route, const Request& req, Response& res) const {
  if (route == nullptr) {
    res.status = 404;
  } else {
    try {
      route->handler(req, res);
    } catch (const std::exception& e) {
      log::Error("unhandled exception in an HTTP handler", {{"error", e.what()}});
      res = Response();
      res.status = 500;
      if (exception_handler_) exception_handler_(req, res);
    } catch (...) {
      log::Error("unhandled exception in an HTTP handler");
      res = Response();
      res.status = 500;
      if (exception_handler_) exception_handler_(req, res);
    }
  }
  if (res.status == -1) res.status = 200;  // httplib's default for a handler that set none
  if (res.status >= 400 && error_handler_) error_handler_(req, res);
}

}  // namespace llmgw::dashboard

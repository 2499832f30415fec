// SerializeHead against Beast's own serializer (operator<< on a header writes what
// http::async_write would put before the body).

#include "libs/httpd/http_wire.h"

#include <gtest/gtest.h>

#include <boost/beast/http.hpp>
#include <sstream>
#include <string>

namespace llmgw::httpd {
namespace {

namespace http = boost::beast::http;

template <bool kIsRequest>
std::string BeastHead(const http::header<kIsRequest>& h) {
  std::ostringstream out;
  out << h;
  return std::move(out).str();
}

TEST(SerializeHeadTest, RequestsMatchBeast) {
  http::request<http::string_body> post(http::verb::post, "/v1/chat/completions?x=1&y=%20", 11);
  post.set(http::field::host, "api.openai.com");
  post.set(http::field::authorization, "Bearer sk-test");
  post.insert("x-custom", "a");
  post.insert("x-custom", "b");
  post.insert("x-empty", "");
  post.body() = R"({"model":"m"})";
  post.prepare_payload();
  EXPECT_EQ(SerializeHead(post.base()), BeastHead(post.base()));
  EXPECT_EQ(SerializeHead(post.base()).substr(0, 48),
            "POST /v1/chat/completions?x=1&y=%20 HTTP/1.1\r\nHo");

  http::request<http::string_body> get(http::verb::get, "/v1/models", 10);
  EXPECT_EQ(SerializeHead(get.base()), "GET /v1/models HTTP/1.0\r\n\r\n");
  EXPECT_EQ(SerializeHead(get.base()), BeastHead(get.base()));

  http::request<http::string_body> custom;
  custom.method_string("PURGE");
  custom.target("/cache");
  custom.version(11);
  EXPECT_EQ(SerializeHead(custom.base()), BeastHead(custom.base()));
}

TEST(SerializeHeadTest, ResponsesMatchBeast) {
  for (int code : {200, 201, 204, 400, 401, 404, 413, 429, 500, 502, 503, 529, 599}) {
    http::response<http::string_body> res(static_cast<http::status>(code), 11);
    res.set(http::field::content_type, "application/json");
    res.set("x-request-id", "req_1");
    if (code != 204) res.body() = "{}";  // a 204 has none
    res.prepare_payload();
    EXPECT_EQ(SerializeHead(res.base()), BeastHead(res.base())) << code;
  }
  http::response<http::string_body> reason(http::status::ok, 10);
  reason.reason("Fine Thanks");
  EXPECT_EQ(SerializeHead(reason.base()), "HTTP/1.0 200 Fine Thanks\r\n\r\n");
  EXPECT_EQ(SerializeHead(reason.base()), BeastHead(reason.base()));
}

}  // namespace
}  // namespace llmgw::httpd

#include "services/gateway/domain/headers.h"

#include "gtest/gtest.h"

namespace llmgw::gateway {
namespace {

TEST(FilterRequestHeadersTest, DropsHopByHopAndGatewayHeadersKeepsCredentials) {
  HeaderList in = {
      {"Host", "gateway:8080"},
      {"Authorization", "Bearer sk-customer"},
      {"x-api-key", "sk-ant-customer"},
      {"anthropic-version", "2023-06-01"},
      {"Anthropic-Beta", "prompt-caching-2024-07-31"},
      {"X-Monitor-Token", "mon_sk_secret"},
      {"x-monitor-token", "mon_sk_secret2"},
      {"X-LLMGW-Request-Id", "abc"},
      {"x-llmgw-internal-token", "t"},
      {"Connection", "keep-alive, X-Custom-Hop ,x-other"},
      {"connection", "Foo"},
      {"Keep-Alive", "timeout=5"},
      {"Proxy-Authorization", "Basic x"},
      {"Proxy-Connection", "keep-alive"},
      {"TE", "trailers"},
      {"Trailer", "x"},
      {"Transfer-Encoding", "chunked"},
      {"Upgrade", "websocket"},
      {"Content-Length", "12"},
      {"Content-Type", "application/json"},
      {"x-custom-hop", "dropped"},
      {"X-OTHER", "dropped"},
      {"foo", "dropped"},
      {"Accept", "text/event-stream"},
      {"OpenAI-Organization", "org-1"},
      {"x-stainless-retry-count", "0"},
      {"x-llmgwish", "kept: not the x-llmgw- prefix"},
  };
  HeaderList want = {
      {"Authorization", "Bearer sk-customer"},
      {"x-api-key", "sk-ant-customer"},
      {"anthropic-version", "2023-06-01"},
      {"Anthropic-Beta", "prompt-caching-2024-07-31"},
      {"Content-Type", "application/json"},
      {"Accept", "text/event-stream"},
      {"OpenAI-Organization", "org-1"},
      {"x-stainless-retry-count", "0"},
      {"x-llmgwish", "kept: not the x-llmgw- prefix"},
  };
  EXPECT_EQ(FilterRequestHeaders(in), want);
}

TEST(FilterRequestHeadersTest, EmptyConnectionTokensDropNothingExtra) {
  HeaderList in = {{"Connection", " , ,"}, {"A", "1"}, {"b", "2"}};
  HeaderList want = {{"A", "1"}, {"b", "2"}};
  EXPECT_EQ(FilterRequestHeaders(in), want);
}

TEST(FilterResponseHeadersTest, DropsHopByHopAndFramingKeepsTheRest) {
  HeaderList in = {
      {"Content-Type", "text/event-stream"},
      {"Content-Length", "100"},
      {"Transfer-Encoding", "chunked"},
      {"Connection", "close, X-Hop"},
      {"x-hop", "v"},
      {"Keep-Alive", "timeout=5"},
      {"x-request-id", "req_1"},
      {"request-id", "req_2"},
      {"openai-processing-ms", "12"},
      {"X-LLMGW-Spoofed", "1"},
      {"Set-Cookie", "a=b"},
  };
  HeaderList want = {
      {"Content-Type", "text/event-stream"}, {"x-request-id", "req_1"}, {"request-id", "req_2"},
      {"openai-processing-ms", "12"},        {"Set-Cookie", "a=b"},
  };
  EXPECT_EQ(FilterResponseHeaders(in), want);
}

TEST(CheckRequestFramingTest, AcceptsOneDecimalContentLengthOrChunked) {
  EXPECT_TRUE(CheckRequestFraming({}).ok());
  EXPECT_TRUE(CheckRequestFraming({{"Content-Length", "0"}}).ok());
  EXPECT_TRUE(CheckRequestFraming({{"content-length", "1234"}, {"Host", "h"}}).ok());
  EXPECT_TRUE(CheckRequestFraming({{"Transfer-Encoding", "chunked"}}).ok());
  EXPECT_TRUE(CheckRequestFraming({{"transfer-encoding", " Chunked "}}).ok());
  EXPECT_TRUE(CheckRequestFraming({{"Transfer-Encoding", "chunked,"}}).ok());
}

TEST(HasObsFoldTest, FindsAContinuationLineOnly) {
  EXPECT_FALSE(HasObsFold("POST / HTTP/1.1\r\nHost: h\r\nA: b c\r\n\r\n"));
  EXPECT_TRUE(HasObsFold("POST / HTTP/1.1\r\nHost: h\r\nA: b\r\n c\r\n\r\n"));
  EXPECT_TRUE(HasObsFold("POST / HTTP/1.1\r\nA: b\r\n\tc\r\n\r\n"));
  EXPECT_FALSE(HasObsFold(""));
  EXPECT_FALSE(HasObsFold("\r\n"));
}

TEST(CheckRequestFramingTest, RejectsAmbiguousFraming) {
  const std::vector<HeaderList> bad = {
      {{"Transfer-Encoding", "chunked"}, {"Content-Length", "5"}},
      {{"content-length", "5"}, {"TRANSFER-ENCODING", "chunked"}},
      {{"Content-Length", "5"}, {"Content-Length", "5"}},
      {{"Content-Length", "5"}, {"content-length", "6"}},
      {{"Content-Length", "abc"}},
      {{"Content-Length", ""}},
      {{"Content-Length", "-1"}},
      {{"Content-Length", "+5"}},
      {{"Content-Length", "5, 5"}},
      {{"Content-Length", "1e3"}},
      {{"Content-Length", "0x10"}},
      {{"Content-Length", "99999999999999999999999"}},
      // Smuggling: a coding list whose last coding is not chunked is not chunked framing.
      {{"Transfer-Encoding", "chunked, identity"}},
      {{"Transfer-Encoding", "xchunked"}},
      {{"Transfer-Encoding", "identity"}},
      {{"Transfer-Encoding", "gzip, chunked"}},
      {{"Transfer-Encoding", "chunked, chunked"}},
      {{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "chunked"}},
      {{"Transfer-Encoding", "chunked"}, {"transfer-encoding", "identity"}},
      {{"Transfer-Encoding", "chunked;q=1"}},
      {{"Transfer-Encoding", "chunked\x0b"}},
      {{"Transfer-Encoding", ""}},
  };
  for (const HeaderList& h : bad) {
    SCOPED_TRACE(std::string(h[0].first) + ": " + std::string(h[0].second));
    EXPECT_EQ(CheckRequestFraming(h).code(), absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace llmgw::gateway

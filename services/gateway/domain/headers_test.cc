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

}  // namespace
}  // namespace llmgw::gateway

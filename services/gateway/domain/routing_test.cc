#include "services/gateway/domain/routing.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace llmgw::gateway {
namespace {

struct Case {
  std::string method;
  std::string target;
  RouteKind kind;
  Provider provider;
  std::string upstream_path;
  std::string endpoint;
};

TEST(RouteRequestTest, RoutesTheTable) {
  const std::vector<Case> cases = {
      {"GET", "/healthz", RouteKind::kHealth, Provider::kOpenAI, "", ""},
      {"GET", "/healthz?verbose=1", RouteKind::kHealth, Provider::kOpenAI, "", ""},
      {"HEAD", "/healthz", RouteKind::kHealth, Provider::kOpenAI, "", ""},
      {"GET", "/readyz", RouteKind::kReady, Provider::kOpenAI, "", ""},
      {"POST", "/healthz", RouteKind::kNotFound, Provider::kOpenAI, "", ""},
      {"POST", "/api/v1/chat/completions", RouteKind::kResellerChat, Provider::kOpenAI, "", ""},
      {"GET", "/api/v1/chat/completions", RouteKind::kNotFound, Provider::kOpenAI, "", ""},
      {"GET", "/api/v1/models", RouteKind::kResellerModels, Provider::kOpenAI, "", ""},
      {"POST", "/api/v1/models", RouteKind::kNotFound, Provider::kOpenAI, "", ""},
      {"POST", "/api/v1/openai/chat/completions", RouteKind::kPassthrough, Provider::kOpenAI,
       "/chat/completions", "/chat/completions"},
      {"POST", "/api/v1/openai/chat/completions?x=1&y=%2F&z", RouteKind::kPassthrough,
       Provider::kOpenAI, "/chat/completions?x=1&y=%2F&z", "/chat/completions"},
      {"POST", "/api/v1/openai/responses", RouteKind::kPassthrough, Provider::kOpenAI, "/responses",
       "/responses"},
      {"GET", "/api/v1/openai/models/gpt-4o", RouteKind::kPassthrough, Provider::kOpenAI,
       "/models/gpt-4o", "/models/gpt-4o"},
      {"DELETE", "/api/v1/openai/files/file-abc", RouteKind::kPassthrough, Provider::kOpenAI,
       "/files/file-abc", "/files/file-abc"},
      {"GET", "/api/v1/openai/models/", RouteKind::kPassthrough, Provider::kOpenAI, "/models/",
       "/models/"},
      {"GET", "/api/v1/openai/models/..foo", RouteKind::kPassthrough, Provider::kOpenAI,
       "/models/..foo", "/models/..foo"},
      {"POST", "/api/v1/google/chat/completions", RouteKind::kPassthrough, Provider::kGoogle,
       "/chat/completions", "/chat/completions"},
      {"POST", "/api/v1/xai/chat/completions?a=b", RouteKind::kPassthrough, Provider::kXai,
       "/chat/completions?a=b", "/chat/completions"},
      {"POST", "/api/v1/anthropic/messages", RouteKind::kPassthrough, Provider::kAnthropic,
       "/v1/messages", "/v1/messages"},
      {"POST", "/api/v1/anthropic/v1/messages", RouteKind::kPassthrough, Provider::kAnthropic,
       "/v1/messages", "/v1/messages"},
      {"POST", "/api/v1/anthropic/v1/messages?beta=true", RouteKind::kPassthrough,
       Provider::kAnthropic, "/v1/messages?beta=true", "/v1/messages"},
      {"POST", "/api/v1/anthropic/messages?beta=true", RouteKind::kPassthrough,
       Provider::kAnthropic, "/v1/messages?beta=true", "/v1/messages"},
      {"POST", "/api/v1/anthropic/v1/messages/count_tokens", RouteKind::kPassthrough,
       Provider::kAnthropic, "/v1/messages/count_tokens", "/v1/messages/count_tokens"},
      {"POST", "/api/v1/anthropic/messages/count_tokens", RouteKind::kPassthrough,
       Provider::kAnthropic, "/v1/messages/count_tokens", "/v1/messages/count_tokens"},
      {"GET", "/api/v1/anthropic/models", RouteKind::kPassthrough, Provider::kAnthropic,
       "/v1/models", "/v1/models"},
      {"GET", "/api/v1/anthropic/v1/models?limit=5", RouteKind::kPassthrough, Provider::kAnthropic,
       "/v1/models?limit=5", "/v1/models"},
      {"GET", "/api/v1/anthropic/v1x/models", RouteKind::kPassthrough, Provider::kAnthropic,
       "/v1/v1x/models", "/v1/v1x/models"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.method + " " + c.target);
    Route r = RouteRequest(c.method, c.target);
    EXPECT_EQ(r.kind, c.kind);
    if (c.kind == RouteKind::kPassthrough) {
      EXPECT_EQ(r.provider, c.provider);
    }
    EXPECT_EQ(r.upstream_path, c.upstream_path);
    EXPECT_EQ(r.endpoint, c.endpoint);
  }
}

TEST(RouteRequestTest, RejectsAmbiguousAndBarePaths) {
  const std::vector<std::string> rejected = {
      "",
      "/",
      "/api/v1",
      "/api/v1/openai",
      "/api/v1/openai/",
      "/api/v1/openai?x=1",
      "/api/v1/openai/?x=1",
      "/api/v1/anthropic",
      "/api/v1/anthropic/",
      "/api/v1/anthropic/v1",
      "/api/v1/anthropic/v1/",
      "/api/v1/google",
      "/api/v1/xai/",
      "/api/v1/openaix/chat/completions",
      "/api/v1/mistral/chat/completions",
      "/API/v1/openai/chat/completions",
      "http://example.com/api/v1/openai/chat/completions",
      "/api/v1/openai/../accounts",
      "/api/v1/openai/chat/../completions",
      "/api/v1/openai/..",
      "/api/v1/openai/%2e%2e/x",
      "/api/v1/openai/.%2E/x",
      "/api/v1/openai/./chat/completions",
      "/api/v1/openai//chat/completions",
      "/api/v1/openai/chat//completions",
      "//api/v1/openai/chat/completions",
      "/api/v1/openai/chat%2Fcompletions",
      "/api/v1/openai/chat%2fcompletions",
      "/api/v1/openai/chat\\completions",
      "/api/v1/openai/chat%5Ccompletions",
      "/api/v1/openai/chat%5ccompletions",
      "/api/v1/openai/chat%00",
      std::string("/api/v1/openai/chat\0completions", 32),
      "/api/v1/anthropic/v1/../messages",
      "/api/v1/anthropic//messages",
      "/api/v1/chat/completions/",
      "/healthz/",
      "/healthz/..",
  };
  for (const std::string& target : rejected) {
    SCOPED_TRACE(target);
    Route r = RouteRequest("POST", target);
    EXPECT_EQ(r.kind, RouteKind::kNotFound);
    EXPECT_EQ(r.upstream_path, "");
    EXPECT_EQ(r.endpoint, "");
    EXPECT_EQ(RouteRequest("GET", target).kind, RouteKind::kNotFound);
  }
}

TEST(RouteRequestTest, QueryIsNotCheckedButKeptByteForByte) {
  Route r = RouteRequest("GET", "/api/v1/openai/models?a=..&b=%2F%00&c=//");
  EXPECT_EQ(r.kind, RouteKind::kPassthrough);
  EXPECT_EQ(r.upstream_path, "/models?a=..&b=%2F%00&c=//");
  EXPECT_EQ(r.endpoint, "/models");
}

TEST(ProviderTest, NamesRoundTrip) {
  for (Provider p : {Provider::kOpenAI, Provider::kAnthropic, Provider::kGoogle, Provider::kXai}) {
    EXPECT_EQ(ProviderFromName(ProviderName(p)), p);
  }
  EXPECT_EQ(ProviderName(Provider::kOpenAI), "openai");
  EXPECT_EQ(ProviderName(Provider::kAnthropic), "anthropic");
  EXPECT_EQ(ProviderName(Provider::kGoogle), "google");
  EXPECT_EQ(ProviderName(Provider::kXai), "xai");
  EXPECT_EQ(ProviderFromName("OpenAI"), std::nullopt);
  EXPECT_EQ(ProviderFromName(""), std::nullopt);
  EXPECT_EQ(SurfaceOf(Provider::kAnthropic), Surface::kAnthropic);
  EXPECT_EQ(SurfaceOf(Provider::kXai), Surface::kOpenAI);
}

}  // namespace
}  // namespace llmgw::gateway

namespace llmgw::gateway {
namespace {

TEST(RouteRequestTest, GeminiNativePathsGoToTheNativeApiWithTheModelApart) {
  Route r = RouteRequest("POST",
                         "/api/v1/google/v1beta/models/gemini-2.5-flash:"
                         "streamGenerateContent?alt=sse&key=k");
  EXPECT_EQ(r.kind, RouteKind::kPassthrough);
  EXPECT_EQ(r.provider, Provider::kGoogle);
  EXPECT_TRUE(r.google_native);
  EXPECT_EQ(r.model, "gemini-2.5-flash");
  EXPECT_EQ(r.endpoint, "/v1beta/models:streamGenerateContent");  // no model in the label
  EXPECT_EQ(r.upstream_path, "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse&key=k");
  r = RouteRequest("POST", "/api/v1/google/v1/models/gemini-2.5-pro:countTokens");
  EXPECT_TRUE(r.google_native);
  EXPECT_EQ(r.endpoint, "/v1/models:countTokens");
  // Everything else under /api/v1/google stays on the OpenAI-compatible route.
  for (const char* other : {"/api/v1/google/chat/completions", "/api/v1/google/v1beta/models",
                            "/api/v1/google/models/gemini-2.5-flash"}) {
    Route o = RouteRequest("POST", other);
    EXPECT_EQ(o.kind, RouteKind::kPassthrough) << other;
    EXPECT_FALSE(o.google_native) << other;
  }
}

TEST(RouteRequestTest, ResellerMessagesAndCountTokens) {
  EXPECT_EQ(RouteRequest("POST", "/api/v1/messages").kind, RouteKind::kResellerMessages);
  EXPECT_EQ(RouteRequest("POST", "/api/v1/messages?beta=true").kind, RouteKind::kResellerMessages);
  EXPECT_EQ(RouteRequest("POST", "/api/v1/messages/count_tokens").kind,
            RouteKind::kResellerCountTokens);
  EXPECT_EQ(RouteRequest("GET", "/api/v1/messages").kind, RouteKind::kNotFound);
}

}  // namespace
}  // namespace llmgw::gateway

// The gateway's cost and auth series: exact sums, the bounded model label, and one count per
// credential check by how it was answered.
#include "services/gateway/api/gateway_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <map>
#include <string>

#include "libs/common/clock.h"
#include "services/gateway/api/authenticator.h"

namespace llmgw::gateway {
namespace {

// value of every series of `name`, keyed by its labels ("k=v,k=v" in label order).
std::map<std::string, double> Series(prometheus::Registry& registry, const std::string& name) {
  std::map<std::string, double> out;
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& m : family.metric) {
      std::string key;
      for (const auto& l : m.label) key += (key.empty() ? "" : ",") + l.name + "=" + l.value;
      out[key] = m.counter.value;
    }
  }
  return out;
}

UsageRecord Usage(Provider p, Mode mode, std::string model, money::Nano cost) {
  UsageRecord r;
  r.provider = p;
  r.mode = mode;
  r.model = std::move(model);
  r.cost = cost;
  r.status_code = 200;
  return r;
}

TEST(GatewayMetricsCost, SumsNanoUsdByProviderModelAndMode) {
  prometheus::Registry registry;
  GatewayMetrics metrics(registry);
  metrics.Record(Usage(Provider::kOpenAI, Mode::kReseller, "gpt-4o-mini", 12'345));
  metrics.Record(Usage(Provider::kOpenAI, Mode::kReseller, "gpt-4o-mini", 5));
  metrics.Record(Usage(Provider::kOpenAI, Mode::kPassthrough, "gpt-4o-mini", 100));
  metrics.Record(Usage(Provider::kAnthropic, Mode::kReseller, "claude-3-5-haiku-20241022", 7));
  EXPECT_THAT(Series(registry, "llmgw_gateway_cost_nano_usd_total"),
              testing::UnorderedElementsAre(
                  testing::Pair("mode=reseller,model=gpt-4o-mini,provider=openai", 12'350),
                  testing::Pair("mode=passthrough,model=gpt-4o-mini,provider=openai", 100),
                  testing::Pair("mode=reseller,model=claude-3-5-haiku-20241022,provider=anthropic",
                                7)));
}

TEST(GatewayMetricsCost, AnUnpricedModelIsOther) {
  prometheus::Registry registry;
  GatewayMetrics metrics(registry);
  UsageRecord r = Usage(Provider::kXai, Mode::kPassthrough, "made-up-model-1", 0);
  r.unpriced = true;
  metrics.Record(r);
  EXPECT_THAT(Series(registry, "llmgw_gateway_cost_nano_usd_total"),
              testing::ElementsAre(testing::Pair("mode=passthrough,model=other,provider=xai", 0)));
}

TEST(GatewayMetricsCost, ModelNamesPastTheCapAreOther) {
  prometheus::Registry registry;
  GatewayMetrics metrics(registry);
  const size_t n = GatewayMetrics::kMaxCostModels + 50;
  for (size_t i = 0; i < n; ++i) {
    metrics.Record(Usage(Provider::kOpenAI, Mode::kPassthrough, "m-" + std::to_string(i), 1));
  }
  auto series = Series(registry, "llmgw_gateway_cost_nano_usd_total");
  EXPECT_EQ(series.size(), GatewayMetrics::kMaxCostModels + 1);
  EXPECT_EQ(series["mode=passthrough,model=other,provider=openai"], 50);
  double total = 0;
  for (const auto& [labels, v] : series) total += v;
  EXPECT_EQ(total, static_cast<double>(n)) << "no cost is lost to the cap";
  // A model that has its own label keeps it after the cap is reached.
  metrics.Record(Usage(Provider::kOpenAI, Mode::kReseller, "m-0", 3));
  EXPECT_EQ(Series(registry, "llmgw_gateway_cost_nano_usd_total")
                ["mode=reseller,model=m-0,provider=openai"],
            3);
}

class ScriptedValidator : public CredentialValidator {
 public:
  void ValidateMonitorToken(std::string token, Done done) override {
    if (unavailable) return done(absl::UnavailableError("accounts down"));
    done(CredentialValidation{token == "good", "org-1", "cred-1"});
  }
  void ValidateApiKey(std::string key, Done done) override {
    ValidateMonitorToken(std::move(key), std::move(done));
  }
  bool unavailable = false;
};

TEST(GatewayMetricsAuth, CountsEachCheckOnceByHowItWasAnswered) {
  prometheus::Registry registry;
  GatewayMetrics metrics(registry);
  FakeClock clock;
  AuthCache cache(clock, AuthCache::Options{});
  ScriptedValidator validator;
  Authenticator auth(validator, cache, &metrics);
  auto check = [&](std::string token) {
    boost::asio::io_context io;
    AuthResult result;
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
          result = co_await auth.AuthenticateMonitorToken(token);
        },
        boost::asio::detached);
    io.run();
    return result.outcome;
  };
  using O = AuthResult::Outcome;
  EXPECT_EQ(check("good"), O::kValid);  // miss
  EXPECT_EQ(check("good"), O::kValid);  // hit
  EXPECT_EQ(check("bad"), O::kInvalid);  // miss
  EXPECT_EQ(check("bad"), O::kInvalid);  // hit (negative entries are cached too)
  validator.unavailable = true;
  clock.Advance(std::chrono::minutes(1));  // past the TTL, within the stale grace
  EXPECT_EQ(check("good"), O::kValid);      // stale
  EXPECT_EQ(check("never-seen"), O::kUnavailable);
  EXPECT_THAT(Series(registry, "llmgw_gateway_auth_total"),
              testing::UnorderedElementsAre(testing::Pair("result=hit", 2),
                                            testing::Pair("result=miss", 2),
                                            testing::Pair("result=stale", 1),
                                            testing::Pair("result=unavailable", 1)));
}

}  // namespace
}  // namespace llmgw::gateway

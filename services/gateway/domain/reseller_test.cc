#include "services/gateway/domain/reseller.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/testing/status_matchers.h"

namespace llmgw::gateway {
namespace {

using json = nlohmann::json;

PriceTable Seed() {
  auto p = [](const char* prov, const char* model, int64_t in, int64_t out, int64_t max_out) {
    return PricedModel{prov, model, {.input_per_mtok = in, .output_per_mtok = out}, max_out};
  };
  return PriceTable({p("openai", "gpt-4o", 2'500'000'000, 10'000'000'000, 16384),
                     p("openai", "gpt-4o-mini", 150'000'000, 600'000'000, 16384),
                     p("anthropic", "claude-3-5-haiku-20241022", 800'000'000, 4'000'000'000, 8192),
                     p("google", "gemini-1.5-flash", 75'000'000, 300'000'000, 8192),
                     p("xai", "grok-beta", 5'000'000'000, 15'000'000'000, 16384)});
}

const std::set<Provider> kAll = {Provider::kOpenAI, Provider::kAnthropic, Provider::kGoogle,
                                 Provider::kXai};

TEST(ResolveResellerModel, OnlyChatModelsAndTheIdAsSentGoesUpstream) {
  PricedModel grok{"xai", "grok-4-0709", {.input_per_mtok = 3, .output_per_mtok = 15}, 131072};
  grok.origin = PriceOrigin::kCatalog;
  grok.matcher =
      *ModelMatcher::ParseText(R"({"or":[{"equals":"grok-4-0709"},{"equals":"grok-4"}]})");
  PricedModel embed{"openai", "text-embedding-3-small", {.input_per_mtok = 20}, 0};
  embed.kind = "embedding";
  PriceTable prices({grok, embed});
  auto target = ResolveResellerModel("grok-4", prices, kAll);
  ASSERT_THAT(target, test::IsOk());
  EXPECT_EQ(target->upstream_model, "grok-4");  // the provider's own alias, as sent
  EXPECT_EQ(target->price.model, "grok-4-0709");
  EXPECT_THAT(ResolveResellerModel("text-embedding-3-small", prices, kAll),
              test::StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ResolveResellerModel("grok-4", prices, {Provider::kOpenAI}),
              test::StatusIs(absl::StatusCode::kNotFound));  // xAI not offered
}

TEST(ResolveResellerModel, EmbeddingsByKindAndModelsNoPrefixNames) {
  PricedModel small{"openai", "text-embedding-3-small", {.input_per_mtok = 20'000'000}, 0};
  small.kind = "embedding";
  PricedModel gemini{"google", "gemini-embedding-001", {.input_per_mtok = 150'000'000}, 0};
  gemini.kind = "embedding";
  PricedModel chat{"openai", "gpt-5-mini", {.input_per_mtok = 250'000'000}, 128000};
  PriceTable prices({small, gemini, chat});
  // No prefix names text-embedding-*: found in the offered providers' prices.
  auto e = ResolveResellerModel("text-embedding-3-small", prices, kAll, PriceTable::kLatest,
                                "embedding");
  ASSERT_THAT(e, test::IsOk());
  EXPECT_EQ(e->provider, Provider::kOpenAI);
  auto g =
      ResolveResellerModel("gemini-embedding-001", prices, kAll, PriceTable::kLatest, "embedding");
  ASSERT_THAT(g, test::IsOk());
  EXPECT_EQ(g->provider, Provider::kGoogle);
  // Each surface serves its own kind only.
  EXPECT_FALSE(
      ResolveResellerModel("gpt-5-mini", prices, kAll, PriceTable::kLatest, "embedding").ok());
  EXPECT_FALSE(ResolveResellerModel("text-embedding-3-small", prices, kAll).ok());
  EXPECT_FALSE(ResolveResellerModel("text-embedding-3-small", prices, {Provider::kGoogle},
                                    PriceTable::kLatest, "embedding")
                   .ok());  // OpenAI not offered
}

TEST(UsdPerToken, ExactDecimalsWithTheMargin) {
  EXPECT_EQ(UsdPerToken(250'000'000, 0), "0.00000025");    // $0.25 / 1M
  EXPECT_EQ(UsdPerToken(250'000'000, 20), "0.0000003");    // + 20 %
  EXPECT_EQ(UsdPerToken(15'000'000'000, 20), "0.000018");  // $15 / 1M + 20 %
  EXPECT_EQ(UsdPerToken(1, 7), "0.00000000000000107");     // the smallest step is exact
  EXPECT_EQ(UsdPerToken(0, 20), "0");
  EXPECT_EQ(UsdPerToken(1'000'000'000'000'000, 0), "1");  // $1,000,000 per 1M tokens
}

TEST(ResolveResellerModel, AliasesDatedIdsAndPrefixes) {
  PriceTable prices = Seed();
  auto haiku = ResolveResellerModel("claude-3-5-haiku", prices, kAll);
  ASSERT_THAT(haiku, test::IsOk());
  EXPECT_EQ(haiku->provider, Provider::kAnthropic);
  EXPECT_EQ(haiku->upstream_model, "claude-3-5-haiku-20241022");
  EXPECT_EQ(haiku->price.price.input_per_mtok, 800'000'000);

  auto dated = ResolveResellerModel("gpt-4o-mini-2024-07-18", prices, kAll);
  ASSERT_THAT(dated, test::IsOk());
  EXPECT_EQ(dated->upstream_model, "gpt-4o-mini-2024-07-18");
  EXPECT_EQ(dated->price.model, "gpt-4o-mini");

  auto grok = ResolveResellerModel("grok-beta", prices, kAll);
  ASSERT_THAT(grok, test::IsOk());
  EXPECT_EQ(grok->provider, Provider::kXai);
  EXPECT_EQ(ResolveResellerModel("gemini-1.5-flash", prices, kAll)->provider, Provider::kGoogle);
}

TEST(ResolveResellerModel, UnknownUnpricedOrNotOfferedIsNotFound) {
  PriceTable prices = Seed();
  EXPECT_THAT(ResolveResellerModel("llama-3", prices, kAll),
              test::StatusIs(absl::StatusCode::kNotFound, testing::HasSubstr("`llama-3`")));
  EXPECT_THAT(ResolveResellerModel("gpt-5-unpriced", prices, kAll),
              test::StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ResolveResellerModel("claude-3-opus", prices, kAll),
              test::StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ResolveResellerModel("gpt-4o", prices, {Provider::kAnthropic}),
              test::StatusIs(absl::StatusCode::kNotFound));
  // A variant of a priced model is not that model: never billed at the base's price.
  EXPECT_THAT(ResolveResellerModel("gpt-4o-mini-audio-preview", prices, kAll),
              test::StatusIs(absl::StatusCode::kNotFound,
                             testing::HasSubstr("`gpt-4o-mini-audio-preview`")));
  EXPECT_THAT(ResolveResellerModel("gpt-4o-realtime-preview-2024-10-01", prices, kAll),
              test::StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ResolveResellerModel("gemini-1.5-flash-8b", prices, kAll),
              test::StatusIs(absl::StatusCode::kNotFound));
}

TEST(ResolveResellerModel, DatedSnapshotsPriceAsTheirBase) {
  PriceTable prices = Seed();
  auto dated = ResolveResellerModel("gpt-4o-2024-05-13", prices, kAll);
  ASSERT_THAT(dated, test::IsOk());
  EXPECT_EQ(dated->upstream_model, "gpt-4o-2024-05-13");
  EXPECT_EQ(dated->price.model, "gpt-4o");
  EXPECT_EQ(dated->price.price.input_per_mtok, 2'500'000'000);
  auto haiku = ResolveResellerModel("claude-3-5-haiku-20241022", prices, kAll);
  ASSERT_THAT(haiku, test::IsOk());
  EXPECT_EQ(haiku->price.model, "claude-3-5-haiku-20241022");  // exact
}

TEST(BoundChatCost, BytesBoundInputAndMaxTokensBoundOutput) {
  PricedModel mini{"openai",
                   "gpt-4o-mini",
                   {.input_per_mtok = 150'000'000, .output_per_mtok = 600'000'000},
                   16384};
  std::string body =
      R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}],"max_tokens":100})";
  CostBound b = BoundChatCost(json::parse(body), body.size(), mini);
  EXPECT_EQ(b.input_tokens, static_cast<int64_t>(body.size()) + 16);
  EXPECT_EQ(b.output_tokens, 100);
  EXPECT_EQ(b.provider_cost, b.input_tokens * 150 + 100 * 600);

  std::string no_max = R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]})";
  EXPECT_EQ(BoundChatCost(json::parse(no_max), no_max.size(), mini).output_tokens, 16384);
  std::string huge = R"({"messages":[],"max_completion_tokens":1000000})";
  EXPECT_EQ(BoundChatCost(json::parse(huge), huge.size(), mini).output_tokens, 16384);
}

TEST(BoundChatCost, OutputIsBoundForEachOfTheNChoices) {
  PricedModel mini{"openai",
                   "gpt-4o-mini",
                   {.input_per_mtok = 150'000'000, .output_per_mtok = 600'000'000},
                   16384};
  std::string body =
      R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}],"max_tokens":100,)"
      R"("n":3})";
  CostBound b = BoundChatCost(json::parse(body), body.size(), mini);
  ASSERT_EQ(body.size(), 90u);
  EXPECT_EQ(b.input_tokens, 90 + 16);  // the prompt is read once
  EXPECT_EQ(b.output_tokens, 300);
  EXPECT_EQ(b.provider_cost, 106 * 150 + 300 * 600);  // 15,900 + 180,000

  // Without max_tokens: the model's maximum per choice.
  std::string no_max = R"({"messages":[],"n":128})";
  EXPECT_EQ(BoundChatCost(json::parse(no_max), no_max.size(), mini).output_tokens, 128 * 16384);
  // n = 1, null or absent: one choice.
  for (const char* n :
       {R"({"messages":[],"max_tokens":100,"n":1})", R"({"messages":[],"max_tokens":100,"n":null})",
        R"({"messages":[],"max_tokens":100})"}) {
    std::string s = n;
    EXPECT_EQ(BoundChatCost(json::parse(s), s.size(), mini).output_tokens, 100) << s;
  }
}

TEST(CheckOutputTokenLimits, IntegersFromOneElseInvalid) {
  for (const char* ok : {R"({})", R"({"max_tokens":1})", R"({"max_tokens":4096})",
                         R"({"max_completion_tokens":2147483647})", R"({"max_output_tokens":64})",
                         R"({"max_tokens":null})", R"({"max_output_tokens":null})"}) {
    SCOPED_TRACE(ok);
    EXPECT_TRUE(CheckOutputTokenLimits(json::parse(ok)).ok());
  }
  for (const char* bad :
       {R"({"max_tokens":-1})", R"({"max_tokens":0})", R"({"max_tokens":1e30})",
        R"({"max_tokens":"5"})", R"({"max_tokens":2.5})", R"({"max_tokens":2.0})",
        R"({"max_tokens":true})", R"({"max_tokens":[5]})", R"({"max_tokens":2147483648})",
        R"({"max_tokens":18446744073709551615})", R"({"max_completion_tokens":0})",
        R"({"max_output_tokens":-5})", R"({"max_tokens":10,"max_completion_tokens":"x"})"}) {
    SCOPED_TRACE(bad);
    absl::Status s = CheckOutputTokenLimits(json::parse(bad));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_THAT(std::string(CheckOutputTokenLimits(json::parse(R"({"max_output_tokens":0})"))
                              .message()),
              ::testing::HasSubstr("'max_output_tokens'"));
}

TEST(ChoiceCount, OneToOneHundredTwentyEightElseInvalid) {
  EXPECT_THAT(ChoiceCount(json::parse(R"({"messages":[]})")), test::IsOkAndHolds(1));
  EXPECT_THAT(ChoiceCount(json::parse(R"({"n":null})")), test::IsOkAndHolds(1));
  EXPECT_THAT(ChoiceCount(json::parse(R"({"n":1})")), test::IsOkAndHolds(1));
  EXPECT_THAT(ChoiceCount(json::parse(R"({"n":128})")), test::IsOkAndHolds(128));
  for (const char* bad : {R"({"n":0})", R"({"n":-1})", R"({"n":129})", R"({"n":2.0})",
                          R"({"n":"2"})", R"({"n":true})", R"({"n":[2]})",
                          R"({"n":18446744073709551615})", R"({"n":-9223372036854775808})"}) {
    EXPECT_THAT(ChoiceCount(json::parse(bad)),
                test::StatusIs(absl::StatusCode::kInvalidArgument,
                               "'n' must be an integer between 1 and 128."))
        << bad;
  }
}

TEST(BoundChatCost, InlineImagesCountAFixedBoundNotTheirBytes) {
  PricedModel m{
      "openai", "gpt-4o", {.input_per_mtok = 1'000'000, .output_per_mtok = 1'000'000}, 10};
  std::string data(100000, 'A');
  json req = {
      {"messages",
       json::array(
           {{{"role", "user"},
             {"content",
              json::array({{{"type", "image_url"},
                            {"image_url", {{"url", "data:image/png;base64," + data}}}}})}}})}};
  std::string body = req.dump();
  CostBound b = BoundChatCost(req, body.size(), m);
  size_t url_bytes = std::string("data:image/png;base64,").size() + data.size();
  EXPECT_EQ(b.input_tokens, static_cast<int64_t>(body.size() - url_bytes) + 16 + 4096);
}

}  // namespace
}  // namespace llmgw::gateway

namespace llmgw::gateway {
namespace {

TEST(BilledTokens, ReportedWhenCompleteElseNeverLessThanWhatWasDelivered) {
  const CostBound bound{.input_tokens = 900, .output_tokens = 4096, .provider_cost = 1};
  Usage reported;
  reported.found = true;
  reported.tokens = {.input = 120, .cached_input = 20, .output = 30};
  // Complete: exactly what the provider reported.
  EXPECT_EQ(BilledTokens(reported, true, 99, bound), reported.tokens);
  // Cut short after 45 deltas: the reported input, at least the delivered output.
  money::TokenCounts cut = BilledTokens(reported, false, 45, bound);
  EXPECT_EQ(cut.input, 120);
  EXPECT_EQ(cut.cached_input, 20);
  EXPECT_EQ(cut.output, 45);
  // No usage at all: the hold's input bound, the delivered output.
  money::TokenCounts none = BilledTokens(Usage{}, false, 7, bound);
  EXPECT_EQ(none.input, 900);
  EXPECT_EQ(none.output, 7);
}


}  // namespace
}  // namespace llmgw::gateway

#include "services/gateway/domain/model_matcher.h"

#include <gtest/gtest.h>

namespace llmgw::gateway {
namespace {

std::shared_ptr<const ModelMatcher> M(const char* json) {
  auto m = ModelMatcher::ParseText(json);
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *m : nullptr;
}

TEST(ModelMatcherTest, StringOperatorsIgnoreCase) {
  EXPECT_TRUE(M(R"({"equals":"gpt-4.1"})")->Matches("GPT-4.1"));
  EXPECT_FALSE(M(R"({"equals":"gpt-4.1"})")->Matches("gpt-4.1-mini"));
  EXPECT_TRUE(M(R"({"starts_with":"claude-sonnet-4-5"})")->Matches("claude-sonnet-4-5-20250929"));
  EXPECT_FALSE(M(R"({"starts_with":"claude-sonnet-4-5"})")->Matches("claude-sonnet-4"));
  EXPECT_TRUE(M(R"({"ends_with":"-latest"})")->Matches("grok-4-LATEST"));
  EXPECT_TRUE(M(R"({"contains":"gemini"})")->Matches("models/Gemini-2.5-pro"));
}

TEST(ModelMatcherTest, RegexSearchesTheIdAsSentWithLookahead) {
  // The catalog's gemini-2.5-pro: any gemini-2.5-pro* except the TTS models.
  auto pro =
      M(R"j({"and":[{"starts_with":"gemini-2.5-pro"},{"regex":"^(?!.*-[tT][tT][sS](?:$|-))"}]})j");
  EXPECT_TRUE(pro->Matches("gemini-2.5-pro"));
  EXPECT_TRUE(pro->Matches("gemini-2.5-pro-preview-06-05"));
  EXPECT_FALSE(pro->Matches("gemini-2.5-pro-preview-tts"));
  auto dated = M(R"({"or":[{"equals":"claude-opus-5"},{"regex":"^claude-opus-5-\\d{8}$"}]})");
  EXPECT_TRUE(dated->Matches("claude-opus-5-20261101"));
  EXPECT_FALSE(dated->Matches("claude-opus-5-2026110"));
  EXPECT_FALSE(M(R"({"regex":"^abc$"})")->Matches("ABC"));  // regex keeps case
}

TEST(ModelMatcherTest, AliasesAreTheEqualsUnderOrOnly) {
  auto grok = M(R"({"or":[{"equals":"grok-4-0709"},{"equals":"Grok-4"},{"equals":"grok-4-latest"},)"
                R"({"and":[{"equals":"x"},{"starts_with":"x"}]},{"equals":"grok-4"}]})");
  EXPECT_EQ(grok->Aliases(), (std::vector<std::string>{"grok-4-0709", "grok-4", "grok-4-latest"}));
  EXPECT_TRUE(M(R"({"starts_with":"claude"})")->Aliases().empty());
}

TEST(ModelMatcherTest, RefusesWhatIsNotAMatcher) {
  for (const char* bad : {"", "[]", R"({"equals":1})", R"({"prefix":"a"})", R"({"or":[]})",
                          R"j({"regex":"("})j", R"({"equals":"a","contains":"b"})"}) {
    EXPECT_FALSE(ModelMatcher::ParseText(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace llmgw::gateway

#include "services/metering/domain/provider_csv.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace llmgw::metering {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kJan31 = 1'738'281'600'000;  // 2025-01-31T00:00:00Z
const std::string kHeader = kProviderCsvHeader;

TEST(ProviderCsv, ParsesRows) {
  std::string text = kHeader +
                     "\n2025-01-31,google,gemini-1.5-flash,120000,20000,3400,0.010020\n"
                     "2025-01-31,XAI,\"grok, beta \"\"2\"\"\",10,0,5,0\n"
                     "\n"
                     "2025-01-30,openai, gpt-4o ,1,1,0,12.5\n";
  CsvParseResult r = ParseProviderUsageCsv(text);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.rows.size(), 3u);
  EXPECT_EQ(r.rows[0],
            (CsvUsageRow{
                2, kJan31, "google", "gemini-1.5-flash", {120000, 20000, 0, 3400, 0}, 10'020'000}));
  EXPECT_EQ(r.rows[1], (CsvUsageRow{3, kJan31, "xai", "grok, beta \"2\"", {10, 0, 0, 5, 0}, 0}));
  EXPECT_EQ(r.rows[2],
            (CsvUsageRow{5, kJan31 - kDayMs, "openai", "gpt-4o", {1, 1, 0, 0, 0}, 12'500'000'000}));
}

TEST(ProviderCsv, SpreadsheetExportsWithBomCrlfAndNoFinalNewline) {
  std::string text =
      "\xEF\xBB\xBF" + kHeader + "\r\n2025-01-31,google,m,1,0,1,1\r\n" + "2025-01-31,xai,m,1,0,1,1";
  CsvParseResult r = ParseProviderUsageCsv(text);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[1].line, 3);
  // Header only: nothing to import, not an error.
  EXPECT_TRUE(ParseProviderUsageCsv(kHeader + "\n").ok());
  EXPECT_TRUE(ParseProviderUsageCsv(kHeader).ok());
  // Header names are case- and blank-insensitive.
  EXPECT_TRUE(ParseProviderUsageCsv("Date, Provider, Model, Input_Tokens, Cached_Input_Tokens, "
                                    "Output_Tokens, Cost_USD\n")
                  .ok());
}

// Each bad file is refused as a whole, naming its first bad line.
TEST(ProviderCsv, BadLinesAreNamed) {
  struct Case {
    std::string body;  // after the header line
    int line;
    const char* message;
  };
  const std::string ok = "2025-01-31,google,m,1,0,1,1\n";
  const Case cases[] = {
      {ok + "2025-01-31,google,m2,1,0,-5,1\n", 3, "output_tokens must be a whole number"},
      {ok + "2025-02-30,google,m2,1,0,1,1\n", 3, "date must be a date YYYY-MM-DD"},
      {ok + "31/01/2025,google,m2,1,0,1,1\n", 3, "date must be a date"},
      {ok + "2025-01-31,azure,m2,1,0,1,1\n", 3,
       "provider must be openai, anthropic, google or xai"},
      {ok + "2025-01-31,google,,1,0,1,1\n", 3, "model must be 1 to 256 bytes"},
      {ok + "2025-01-31,google,m2,1,0,1\n", 3, "expected 7 columns, got 6"},
      {ok + "2025-01-31,google,m2,1,0,1,1,extra\n", 3, "expected 7 columns, got 8"},
      {ok + "2025-01-31,google,m2,1.5,0,1,1\n", 3, "input_tokens must be a whole number"},
      {ok + "2025-01-31,google,m2,,0,1,1\n", 3, "input_tokens must be a whole number"},
      {ok + "2025-01-31,google,m2,1,2,1,1\n", 3, "cannot be larger"},
      {ok + "2025-01-31,google,m2,1,0,1,-1\n", 3, "cost_usd must be a non-negative USD amount"},
      {ok + "2025-01-31,google,m2,1,0,1,0.0000000001\n", 3, "at most 9 decimals"},
      {ok + "2025-01-31,google,m2,1,0,1,1e3\n", 3, "cost_usd"},
      {ok + "2025-01-31,google,\"m2,1,0,1,1\n", 3, "not closed on its line"},
      {ok + "2025-01-31,google,m\"2,1,0,1,1\n", 3, "a quote inside an unquoted field"},
      {ok + "2025-01-31,google,\"m2\"x,1,0,1,1\n", 3, "unexpected text after a quoted field"},
      {ok + "\n" + "2025-01-31,GOOGLE,m,2,0,2,2\n", 4,
       "a second row for 2025-01-31 google m "
       "(first on line 2)"},
      {ok + "2025-01-31,google,bad\x01model,1,0,1,1\n", 3, "without control characters"},
      {ok + "2025-01-31,google,bad\xC3model,1,0,1,1\n", 3, "UTF-8"},
  };
  for (const Case& c : cases) {
    CsvParseResult r = ParseProviderUsageCsv(kHeader + "\n" + c.body);
    EXPECT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.error_line, c.line) << c.body;
    EXPECT_THAT(r.error, HasSubstr("line " + std::to_string(c.line) + ": ")) << c.body;
    EXPECT_THAT(r.error, HasSubstr(c.message)) << c.body;
    EXPECT_TRUE(r.rows.empty());
  }
}

// A message quoting the file stays valid UTF-8, whatever the file holds.
TEST(ProviderCsv, MessagesAreValidUtf8) {
  CsvParseResult r = ParseProviderUsageCsv(kHeader + "\n2025-01-3\xC3,google,m,1,0,1,1\n");
  EXPECT_EQ(r.error_line, 2);
  EXPECT_EQ(r.error, "line 2: date must be a date YYYY-MM-DD, got \"2025-01-3?\"");
  // Cut after 40 bytes in the middle of a character.
  r = ParseProviderUsageCsv(kHeader + "\n2025-01-31,google,m,1,0,1," + std::string(39, '1') +
                            "\xC3\xA9\n");
  EXPECT_EQ(r.error_line, 2);
  EXPECT_THAT(r.error, HasSubstr(std::string(39, '1') + "?\""));
}

TEST(ProviderCsv, TheHeaderIsRequired) {
  for (const std::string& text :
       {std::string(), std::string("2025-01-31,google,m,1,0,1,1\n"),
        std::string("date,provider,model,input_tokens,output_tokens,cost_usd\n")}) {
    CsvParseResult r = ParseProviderUsageCsv(text);
    EXPECT_EQ(r.error_line, 1) << text;
    EXPECT_THAT(r.error, HasSubstr("line 1: the header must be " + kHeader));
  }
}

TEST(ProviderCsv, RowLimit) {
  std::string text = kHeader + "\n";
  for (int i = 0; i <= kMaxCsvRows; ++i) {
    text += "2025-01-31,google,m" + std::to_string(i) + ",1,0,1,1\n";
  }
  CsvParseResult r = ParseProviderUsageCsv(text);
  EXPECT_EQ(r.error_line, kMaxCsvRows + 2);
  EXPECT_THAT(r.error, HasSubstr("at most 50000 rows"));
}

}  // namespace
}  // namespace llmgw::metering

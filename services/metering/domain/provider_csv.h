#pragma once
// CSV import of provider usage, for providers without a usage API (Google, xAI) and for any
// provider's own export. Pure C++.
//
//   date,provider,model,input_tokens,cached_input_tokens,output_tokens,cost_usd
//   2025-01-31,google,gemini-1.5-flash,120000,20000,3400,0.010020
//
// `date` is a UTC day (YYYY-MM-DD); provider one of openai, anthropic, google, xai; input_tokens
// counts every input token, cached_input_tokens is the cached part of it; cost_usd a non-negative
// decimal with at most 9 decimals. RFC 4180 quoting ("a, b" and "" inside quotes); a quoted field
// may not span lines, so an error's line number is the file's line. Blank lines are skipped. One
// row per (date, provider, model). The whole file or nothing: the first bad line is named.

#include <string>
#include <string_view>
#include <vector>

#include "libs/common/money.h"
#include "services/metering/domain/provider_usage.h"

namespace llmgw::metering {

inline constexpr char kProviderCsvHeader[] =
    "date,provider,model,input_tokens,cached_input_tokens,output_tokens,cost_usd";
inline constexpr int kMaxCsvRows = 50'000;

struct CsvUsageRow {
  int line = 0;
  int64_t day_unix_ms = 0;
  std::string provider;
  std::string model;
  TokenUsage tokens;  // input, cached_input, output
  money::Nano cost_nano = 0;
  bool operator==(const CsvUsageRow&) const = default;
};

struct CsvParseResult {
  std::vector<CsvUsageRow> rows;  // empty when error_line != 0
  int error_line = 0;             // 1-based; the header is line 1
  std::string error;              // "line N: …"
  bool ok() const { return error_line == 0; }
};

CsvParseResult ParseProviderUsageCsv(std::string_view text);

}  // namespace llmgw::metering

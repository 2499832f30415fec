#include "services/metering/domain/provider_usage.h"

#include <algorithm>
#include <limits>
#include <map>
#include <tuple>

#include "absl/strings/str_cat.h"

namespace llmgw::metering {

const char* ReportProviderName(ReportProvider p) {
  return p == ReportProvider::kOpenAi ? "openai" : "anthropic";
}

const char* ReportProviderTitle(ReportProvider p) {
  return p == ReportProvider::kOpenAi ? "OpenAI" : "Anthropic";
}

absl::StatusOr<ReportProvider> ParseReportProvider(std::string_view name) {
  if (name == "openai") return ReportProvider::kOpenAi;
  if (name == "anthropic") return ReportProvider::kAnthropic;
  return absl::InvalidArgumentError(
      "provider must be openai or anthropic (the providers with a usage API; import the others "
      "as CSV)");
}

bool IsKnownProvider(std::string_view name) {
  return name == "openai" || name == "anthropic" || name == "google" || name == "xai";
}

absl::Status ValidateAdminKey(std::string_view key) {
  if (key.size() < 16 || key.size() > 512) {
    return absl::InvalidArgumentError("admin_key must be 16 to 512 characters long");
  }
  for (char c : key) {
    if (c < 0x21 || c > 0x7E) {
      return absl::InvalidArgumentError(
          "admin_key must be printable ASCII without blanks (paste the key alone)");
    }
  }
  return absl::OkStatus();
}

std::string AdminKeyPrefix(std::string_view key) {
  return std::string(key.substr(0, std::min<size_t>(12, key.size() / 3)));
}

void TokenUsage::Add(const TokenUsage& o) {
  input += o.input;
  cached_input += o.cached_input;
  cache_write += o.cache_write;
  output += o.output;
  requests += o.requests;
}

void KindCosts::Add(const KindCosts& o) {
  uncached_input += o.uncached_input;
  cached_input += o.cached_input;
  cache_write += o.cache_write;
  output += o.output;
  other += o.other;
}

std::vector<ReportedBucket> MergeBuckets(std::vector<ReportedBucket> buckets) {
  std::map<std::tuple<int64_t, std::string, std::string>, ReportedBucket> by;
  for (ReportedBucket& b : buckets) {
    auto [it, inserted] = by.try_emplace({b.day_unix_ms, b.model, b.api_key_id}, b);
    if (!inserted) {
      it->second.tokens.Add(b.tokens);
      it->second.cost.Add(b.cost);
    }
  }
  std::vector<ReportedBucket> out;
  out.reserve(by.size());
  for (auto& [key, b] : by) out.push_back(std::move(b));
  return out;
}

absl::StatusOr<money::Nano> DecimalToNano(std::string_view text, int scale) {
  auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", std::string(text.substr(0, 40)), "\" is not a decimal amount"));
  };
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  // value = digits × 10^exponent, digits without leading zeros.
  std::string digits;
  int64_t exponent = 0;
  bool any_digit = false;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    any_digit = true;
    if (!digits.empty() || text[i] != '0') digits += text[i];
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      any_digit = true;
      if (!digits.empty() || text[i] != '0') digits += text[i];
      --exponent;
    }
  }
  if (!any_digit) return bad();
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) exp_negative = text[i++] == '-';
    int64_t e = 0;
    bool exp_digit = false;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      exp_digit = true;
      if (e < 100'000) e = e * 10 + (text[i] - '0');
    }
    if (!exp_digit) return bad();
    exponent += exp_negative ? -e : e;
  }
  if (i != text.size()) return bad();
  if (digits.empty()) return money::Nano{0};
  int64_t shift = exponent + scale;  // result = digits × 10^shift
  // Keep the digits above 10^0; round on the first dropped one (half away from zero).
  int64_t keep = static_cast<int64_t>(digits.size()) + shift;
  if (keep > 19) return bad();  // above int64 for sure
  __int128 v = 0;
  bool round_up = false;
  if (keep <= 0) {
    round_up = keep == 0 && digits[0] >= '5';
  } else {
    for (int64_t k = 0; k < keep; ++k) {
      v = v * 10 + (k < static_cast<int64_t>(digits.size()) ? digits[k] - '0' : 0);
    }
    round_up = keep < static_cast<int64_t>(digits.size()) && digits[keep] >= '5';
  }
  if (round_up) ++v;
  if (v > std::numeric_limits<int64_t>::max()) return bad();
  return static_cast<money::Nano>(negative ? -v : v);
}

std::string ModelFamily(std::string_view model) {
  auto all_digits = [](std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  // "-YYYY-MM-DD"
  if (model.size() > 11) {
    std::string_view tail = model.substr(model.size() - 11);
    if (tail[0] == '-' && tail[5] == '-' && tail[8] == '-' && all_digits(tail.substr(1, 4)) &&
        all_digits(tail.substr(6, 2)) && all_digits(tail.substr(9, 2)) && tail[1] == '2') {
      return std::string(model.substr(0, model.size() - 11));
    }
  }
  // "-YYYYMMDD"
  if (model.size() > 9) {
    std::string_view tail = model.substr(model.size() - 9);
    if (tail[0] == '-' && all_digits(tail.substr(1)) && tail[1] == '2' && tail[2] == '0') {
      return std::string(model.substr(0, model.size() - 9));
    }
  }
  return std::string(model);
}

}  // namespace llmgw::metering

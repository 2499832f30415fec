#pragma once
// Validation of what the browser sends: JSON bodies and query parameters. Every rejection is an
// InvalidArgument whose message is safe to show (it never echoes a password).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "libs/common/money.h"
#include "services/dashboard/domain/types.h"

namespace llmgw::dashboard {

// The largest self top-up accepted in one request.
inline constexpr money::Nano kMaxChargeNano = int64_t{1'000'000} * money::kNanoPerUsd;

// `{"amount": <JSON number>}` → nano-USD, without ever going through floating point: the number's
// source text is read with a SAX parser and handed to money::ParseUsd. Accepts 10, 10.5,
// 0.000000001; rejects exponents, negatives, zero, more than 9 decimals, strings, amounts above
// kMaxChargeNano and a body that is not an object with one `amount`.
absl::StatusOr<money::Nano> ParseChargeAmount(std::string_view body);

struct RegisterInput {
  std::string name;
  std::string email;
  std::string password;
};
// `{name,email,password}` as strings; content rules (email syntax, password length) are the
// accounts service's.
absl::StatusOr<RegisterInput> ParseRegisterBody(std::string_view body);

struct LoginInput {
  std::string email;
  std::string password;
};
absl::StatusOr<LoginInput> ParseLoginBody(std::string_view body);

inline constexpr size_t kMaxCredentialNameChars = 100;
// `{name}`: 1..100 characters (UTF-8 code points) after trimming blanks, no control characters.
// Returns the trimmed name.
absl::StatusOr<std::string> ParseCredentialNameBody(std::string_view body);

inline constexpr int32_t kDefaultLimit = 50;
inline constexpr int32_t kMaxLimit = 500;
// `?limit=`: absent → 50; otherwise an integer 1..500.
absl::StatusOr<int32_t> ParseLimit(const std::optional<std::string>& limit);

// `?bucket=`: absent → day; "hour" or "day".
absl::StatusOr<Bucket> ParseBucket(const std::optional<std::string>& bucket);

// `?before=` of GET /api/usage: absent → 0 (from now); otherwise RFC 3339.
absl::StatusOr<int64_t> ParseBefore(const std::optional<std::string>& before);

// GET /api/usage's query: limit and before as above, and the filters `mode` (passthrough |
// reseller), `provider`, `model` (at most 200 characters), `status` (ok = below 400, error = 400
// and above, or one three-digit code), `credential_id` (a UUID), `streaming` (true | false).
// `param(name)` reads one query parameter.
absl::StatusOr<UsageQuery> ParseUsageQuery(
    const std::function<std::optional<std::string>(const char*)>& param);

// 8-4-4-4-12 hex digits.
bool IsUuid(std::string_view s);

}  // namespace llmgw::dashboard

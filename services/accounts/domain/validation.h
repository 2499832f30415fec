#pragma once
// Input rules of registration and credentials. Errors are InvalidArgument naming the field.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace llmgw::accounts {

inline constexpr size_t kMaxNameChars = 200;
inline constexpr size_t kMaxEmailBytes = 254;
inline constexpr size_t kMinPasswordBytes = 8;
inline constexpr size_t kMaxPasswordBytes = 1024;

// The organization name trimmed of surrounding whitespace: 1..200 characters (UTF-8 code
// points), no control characters.
absl::StatusOr<std::string> NormalizeOrganizationName(std::string_view name);
// The email trimmed of surrounding whitespace, case kept: at most 254 bytes, exactly one '@', a
// non-empty local part, a domain with a dot between non-empty labels, no spaces or controls.
absl::StatusOr<std::string> NormalizeEmail(std::string_view email);
// 8..1024 bytes; any content.
absl::Status ValidatePassword(std::string_view password);
// A credential name trimmed; empty becomes "default"; at most 200 characters.
absl::StatusOr<std::string> NormalizeCredentialName(std::string_view name);

inline constexpr int64_t kMaxRateLimit = 1'000'000'000;             // rpm, tpm
inline constexpr int64_t kMaxBudgetNano = 1'000'000'000'000'000'000;  // $1e9
// Every value the patch sets is in range: rpm and tpm 1..1e9, budgets 1..1e18 nano-USD. The
// message names the field.
struct LimitsPatch;
absl::Status ValidateLimitsPatch(const LimitsPatch& patch);

// The case-insensitive key of an email (trimmed, ASCII lower-case), as the unique index sees it.
std::string EmailKey(std::string_view email);
// A canonical textual UUID (8-4-4-4-12 hex digits, either case).
bool IsUuid(std::string_view s);

}  // namespace llmgw::accounts

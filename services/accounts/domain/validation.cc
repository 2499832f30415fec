#include "services/accounts/domain/validation.h"

#include "services/accounts/domain/types.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace llmgw::accounts {
namespace {

size_t CountCodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

bool HasControlOrSpace(std::string_view s, bool reject_space) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7F) return true;
    if (reject_space && c == ' ') return true;
  }
  return false;
}

std::string_view Trim(std::string_view s) {
  absl::string_view t = absl::StripAsciiWhitespace(absl::string_view(s.data(), s.size()));
  return std::string_view(t.data(), t.size());
}

}  // namespace

absl::StatusOr<std::string> NormalizeOrganizationName(std::string_view name) {
  std::string_view t = Trim(name);
  size_t chars = CountCodePoints(t);
  if (chars < 1 || chars > kMaxNameChars) {
    return absl::InvalidArgumentError("name must be 1 to 200 characters");
  }
  if (HasControlOrSpace(t, false)) {
    return absl::InvalidArgumentError("name must not contain control characters");
  }
  return std::string(t);
}

absl::StatusOr<std::string> NormalizeEmail(std::string_view email) {
  std::string_view t = Trim(email);
  auto invalid = [] {
    return absl::InvalidArgumentError("email must be a valid address such as name@example.com");
  };
  if (t.empty() || t.size() > kMaxEmailBytes || HasControlOrSpace(t, true)) return invalid();
  size_t at = t.find('@');
  if (at == std::string_view::npos || t.find('@', at + 1) != std::string_view::npos) {
    return invalid();
  }
  std::string_view local = t.substr(0, at);
  std::string_view domain = t.substr(at + 1);
  if (local.empty() || domain.empty()) return invalid();
  size_t dot = domain.find('.');
  if (dot == std::string_view::npos || domain.front() == '.' || domain.back() == '.' ||
      domain.find("..") != std::string_view::npos) {
    return invalid();
  }
  return std::string(t);
}

absl::Status ValidatePassword(std::string_view password) {
  if (password.size() < kMinPasswordBytes || password.size() > kMaxPasswordBytes) {
    return absl::InvalidArgumentError("password must be 8 to 1024 bytes");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> NormalizeCredentialName(std::string_view name) {
  std::string_view t = Trim(name);
  if (t.empty()) return std::string("default");
  if (CountCodePoints(t) > kMaxNameChars) {
    return absl::InvalidArgumentError("name must be at most 200 characters");
  }
  if (HasControlOrSpace(t, false)) {
    return absl::InvalidArgumentError("name must not contain control characters");
  }
  return std::string(t);
}

std::string EmailKey(std::string_view email) {
  std::string_view t = Trim(email);
  return absl::AsciiStrToLower(absl::string_view(t.data(), t.size()));
}

bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

absl::Status ValidateLimitsPatch(const LimitsPatch& patch) {
  auto check = [](bool set, const std::optional<int64_t>& v, const char* field,
                  int64_t max) -> absl::Status {
    if (!set || !v.has_value()) return absl::OkStatus();
    if (*v < 1 || *v > max) {
      return absl::InvalidArgumentError(absl::StrCat(field, " must be between 1 and ", max));
    }
    return absl::OkStatus();
  };
  const Limits& v = patch.values;
  if (auto s = check(patch.set_rpm, v.rpm, "rpm", kMaxRateLimit); !s.ok()) return s;
  if (auto s = check(patch.set_tpm, v.tpm, "tpm", kMaxRateLimit); !s.ok()) return s;
  if (auto s = check(patch.set_daily, v.daily_budget_nano, "daily_budget", kMaxBudgetNano);
      !s.ok()) {
    return s;
  }
  return check(patch.set_monthly, v.monthly_budget_nano, "monthly_budget", kMaxBudgetNano);
}

}  // namespace llmgw::accounts

#include "libs/common/config.h"

#include <cstdlib>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace llmgw::config {

std::string String(std::string_view name, std::string_view fallback) {
  const char* v = std::getenv(std::string(name).c_str());
  if (v == nullptr || *v == '\0') return std::string(fallback);
  return v;
}

absl::StatusOr<std::string> Required(std::string_view name, std::string_view why) {
  std::string v = String(name);
  if (v.empty())
    return absl::FailedPreconditionError(
        absl::StrCat(std::string(name), " is required: ", std::string(why)));
  return v;
}

absl::StatusOr<int64_t> Int(std::string_view name, int64_t fallback, int64_t min, int64_t max) {
  std::string v = String(name);
  if (v.empty()) return fallback;
  int64_t out = 0;
  if (!absl::SimpleAtoi(v, &out) || out < min || out > max) {
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(name), "=\"", v, "\" is not an integer in [", min, ", ", max, "]"));
  }
  return out;
}

absl::StatusOr<bool> Bool(std::string_view name, bool fallback) {
  std::string v = absl::AsciiStrToLower(String(name));
  if (v.empty()) return fallback;
  if (v == "true" || v == "1" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "0" || v == "no" || v == "off") return false;
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(name), "=\"", v, "\" is not true or false"));
}

absl::StatusOr<std::string> Address(std::string_view name, std::string_view fallback) {
  std::string v = String(name, fallback);
  size_t colon = v.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(v.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(name), "=\"", v, "\" is not an address of the form host:port"));
  }
  if (colon == 0) v = "0.0.0.0" + v;
  return v;
}

absl::StatusOr<std::string> Url(std::string_view name, std::string_view fallback) {
  std::string v = String(name, fallback);
  if (!absl::StartsWith(v, "http://") && !absl::StartsWith(v, "https://")) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(name), "=\"", v, "\" is not an http:// or https:// URL"));
  }
  while (!v.empty() && v.back() == '/') v.pop_back();
  return v;
}

absl::StatusOr<std::string> DatabaseUrl() {
  return Required("LLMGW_DATABASE_URL",
                  "a postgresql:// URL (scripts/run sets it for the local cluster)");
}

absl::StatusOr<std::string> InternalToken() {
  auto t = Required("LLMGW_INTERNAL_TOKEN",
                    "the shared secret of the internal gRPC calls (scripts/run generates one)");
  if (t.ok() && t->size() < 16) {
    return absl::InvalidArgumentError("LLMGW_INTERNAL_TOKEN must be at least 16 characters");
  }
  return t;
}

void ExitOnError(const absl::Status& status, std::string_view service) {
  if (status.ok()) return;
  std::cerr << "llmgw-" << service << ": configuration error: " << status.message() << std::endl;
  std::exit(2);
}

}  // namespace llmgw::config

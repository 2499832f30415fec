#pragma once
// Environment configuration (LLMGW_*). Every bad value is an InvalidArgument naming the variable
// and what was expected; main() prints it and exits 2.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace llmgw::config {

// The value of `name`, or `fallback` when unset or empty.
std::string String(std::string_view name, std::string_view fallback = "");
// FailedPrecondition "LLMGW_X is required: <why>" when unset or empty.
absl::StatusOr<std::string> Required(std::string_view name, std::string_view why);
absl::StatusOr<int64_t> Int(std::string_view name, int64_t fallback, int64_t min, int64_t max);
// true/false/1/0/yes/no/on/off, case-insensitive.
absl::StatusOr<bool> Bool(std::string_view name, bool fallback);
// "host:port" or ":port" (host defaults to 0.0.0.0) — validated, returned as host:port.
absl::StatusOr<std::string> Address(std::string_view name, std::string_view fallback);
// An http:// or https:// URL without a trailing slash.
absl::StatusOr<std::string> Url(std::string_view name, std::string_view fallback);

// The PostgreSQL URL: LLMGW_DATABASE_URL, required by the storage services.
absl::StatusOr<std::string> DatabaseUrl();
// LLMGW_INTERNAL_TOKEN: the shared secret callers of the gRPC services present.
absl::StatusOr<std::string> InternalToken();

// Prints "llmgw-<service>: configuration error: <message>" to stderr and exits 2 when !ok.
void ExitOnError(const absl::Status& status, std::string_view service);
template <typename T>
T ValueOrExit(absl::StatusOr<T> v, std::string_view service) {
  ExitOnError(v.status(), service);
  return *std::move(v);
}

}  // namespace llmgw::config

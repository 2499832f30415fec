#pragma once
// Debian's Abseil (20220623) has no RETURN_IF_ERROR / ASSIGN_OR_RETURN; these are ours.

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define LLMGW_STATUS_CONCAT_INNER_(a, b) a##b
#define LLMGW_STATUS_CONCAT_(a, b) LLMGW_STATUS_CONCAT_INNER_(a, b)

// Returns from the current function with the status when it is not OK.
#define LLMGW_RETURN_IF_ERROR(expr)                                   \
  do {                                                                \
    ::absl::Status llmgw_status_ = ::llmgw::internal::AsStatus(expr); \
    if (!llmgw_status_.ok()) return llmgw_status_;                    \
  } while (false)

// LLMGW_ASSIGN_OR_RETURN(auto x, MakeX()); — binds the value or returns the error.
#define LLMGW_ASSIGN_OR_RETURN(lhs, expr) \
  LLMGW_ASSIGN_OR_RETURN_IMPL_(LLMGW_STATUS_CONCAT_(llmgw_statusor_, __LINE__), lhs, expr)

#define LLMGW_ASSIGN_OR_RETURN_IMPL_(var, lhs, expr) \
  auto var = (expr);                                 \
  if (!var.ok()) return std::move(var).status();     \
  lhs = std::move(var).value()

namespace llmgw::internal {
inline const absl::Status& AsStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& AsStatus(const absl::StatusOr<T>& s) {
  return s.status();
}
}  // namespace llmgw::internal

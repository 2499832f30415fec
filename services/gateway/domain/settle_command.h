#pragma once
// What the gateway owes billing after a reseller request (the settle of its actual cost, or the
// void of its hold), as kept in the settle journal, and how billing's answer to one is judged.
// Pure.

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/common/money.h"

namespace llmgw::gateway {

struct SettleCommand {
  enum class Kind { kSettle, kVoid };
  Kind kind = Kind::kSettle;
  std::string request_id;
  money::Nano provider_cost = 0;  // settles
  std::string description;       // settles: the ledger entry's text (the upstream model)
  bool operator==(const SettleCommand&) const = default;
};

// One journal record (a JSON object), and back. Decode: INVALID_ARGUMENT for anything that is not
// a command Encode wrote (a record from a newer version, or damage the CRC did not catch).
std::string EncodeSettleCommand(const SettleCommand& command);
absl::StatusOr<SettleCommand> DecodeSettleCommand(std::string_view record);

enum class SettleVerdict {
  kDone,     // billing has it (first time or a replay): forget the command
  kRetry,    // billing did not take it (unreachable, slow, overloaded, misconfigured): try again
  kRefused,  // billing will never take it as it is: forget it, with an error log line and metric
};

// Billing is idempotent by request id, so every answer that is not final is retried, for as long
// as it takes. Final: OK; for a void also NOT_FOUND (no hold to release) and FAILED_PRECONDITION
// (already settled: nothing left to release); for a settle NOT_FOUND, FAILED_PRECONDITION and
// INVALID_ARGUMENT / OUT_OF_RANGE are refusals (a hold billing never had, or a cost it rejects).
SettleVerdict JudgeBillingAnswer(SettleCommand::Kind kind, absl::StatusCode code);

}  // namespace llmgw::gateway

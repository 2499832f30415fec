#pragma once
// The operator's top-up command:
//   llmgw-billing topup --org <org-uuid> --amount <USD> [--key <idempotency key>]
//                       [--description <text>]
// Connects with LLMGW_DATABASE_URL, applies the billing migrations, credits the organization
// (idempotent by --key, a random UUID by default) and prints the new balance as one JSON line.

#include <ostream>
#include <string>
#include <vector>

namespace llmgw::billing {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// `args` are the arguments after "topup". Returns the process exit code: 0 done, 2 bad arguments
// or configuration (usage on `err`), 1 the database failed.
int RunTopupCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// The usage text of the binary.
std::string Usage();

}  // namespace llmgw::billing

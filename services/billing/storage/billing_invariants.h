#pragma once
// Test helper: the money invariants of the billing schema, checked with SQL over the whole
// database. Every billing test calls it after its scenario; bench/billing.sh after every run.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/pg/pool.h"

namespace llmgw::billing::test {

// OK, or INTERNAL listing every violation of:
//  - balance == sum(ledger amounts) per organization, and balance >= 0, held >= 0;
//  - held == sum(open hold amounts) per organization;
//  - each ledger entry's balance_after == the running sum of that organization's entries;
//  - exactly one usage entry per settled hold, matching its stored result (-charged,
//    uncollected), and no usage entry without a settled hold;
//  - settled holds: total = provider_cost + margin = charged + uncollected.
//  - at most one ledger entry per request id.
absl::Status CheckInvariants(pg::PgPool& pool);

// Each check by name with the number of rows violating it (0: holds), in one snapshot; for
// reports such as bench/billing.sh's.
struct InvariantResult {
  std::string name;
  int64_t violations = 0;
  std::string first;  // the first violating row's key
};
absl::StatusOr<std::vector<InvariantResult>> InvariantReport(pg::PgPool& pool);

}  // namespace llmgw::billing::test

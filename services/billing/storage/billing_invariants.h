#pragma once
// Test helper: the money invariants of the billing schema, checked with SQL over the whole
// database. Every billing test calls it after its scenario.

#include "absl/status/status.h"
#include "libs/pg/pool.h"

namespace llmgw::billing::test {

// OK, or INTERNAL listing every violation of:
//  - balance == sum(ledger amounts) per organization, and balance >= 0, held >= 0;
//  - held == sum(open hold amounts) per organization;
//  - each ledger entry's balance_after == the running sum of that organization's entries;
//  - exactly one usage entry per settled hold, matching its stored result (-charged,
//    uncollected), and no usage entry without a settled hold;
//  - settled holds: total = provider_cost + margin = charged + uncollected.
absl::Status CheckInvariants(pg::PgPool& pool);

}  // namespace llmgw::billing::test

#pragma once
// Group commit's money rules, pure C++: the outcome of a batch of Hold, Settle and Void calls
// applied in order to the rows they touch, exactly as the same calls made one by one (in that
// order) would leave them. Storage reads and locks the rows, calls PlanBatch and writes the plan
// in one transaction, so a whole batch costs one durable commit.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "services/billing/domain/billing_rules.h"
#include "services/billing/domain/budget_rules.h"

namespace llmgw::billing {

enum class BatchOpKind { kHold, kSettle, kVoid };

// One Hold, Settle or Void call, already validated by the API layer.
struct BatchOp {
  BatchOpKind kind = BatchOpKind::kHold;
  std::string request_id;
  // Hold
  std::string org_id;
  Nano amount = 0;  // what the hold reserves, margin included (HoldAmount)
  int64_t margin_percent = 0;
  int64_t expires_at_unix_ms = 0;
  HoldBudgets budgets;  // a hold with budgets is never batched (GroupCommitter runs it alone)
  // Settle
  Nano provider_cost = 0;
  std::string description;
};

// The answer to one call. Hold: hold_amount, expires_at_unix_ms, replayed. Settle: settlement,
// replayed. Void: only status.
struct OpOutcome {
  absl::Status status;
  bool replayed = false;
  Nano hold_amount = 0;
  int64_t expires_at_unix_ms = 0;
  Settlement settlement;
  int64_t margin_percent = 0;  // holds: the percent recorded on the hold
};

enum class HoldStatus { kOpen, kSettled, kVoided };

// One row of billing.holds. org_id is the database's canonical (lower-case) text.
struct HoldRecord {
  std::string org_id;
  Nano amount = 0;
  int64_t margin_percent = 0;
  int64_t expires_at_unix_ms = 0;
  HoldStatus status = HoldStatus::kOpen;
  Settlement settlement;           // when settled
  bool budget_only = false;        // a pass-through hold: no balance reserved or debited
  std::vector<BudgetRef> budgets;  // the budget counters it reserved against
  bool operator==(const HoldRecord&) const = default;
};

struct OrgFunds {
  Nano balance = 0;
  Nano held = 0;
  bool operator==(const OrgFunds&) const = default;
};

// The rows a batch reads under lock: every hold its request ids name (absent: no such hold) and
// the balances of every organization involved (absent: never topped up). Keyed by request id and
// by lower-case organization id.
struct BatchRows {
  std::map<std::string, HoldRecord> holds;
  std::map<std::string, OrgFunds> balances;
};

// One usage ledger entry a settle writes.
struct UsageEntry {
  std::string org_id;
  std::string request_id;
  Nano amount = 0;  // -charged
  Nano balance_after = 0;
  Nano uncollected = 0;
  std::string description;
  bool operator==(const UsageEntry&) const = default;
};

// What to write: holds created by the batch (in their final state), holds that existed and were
// settled or voided, usage entries in ledger order, and the organizations whose funds changed.
// The final values are in `rows`.
// A budget counter move of one organization.
struct OrgBudgetMove {
  std::string org_id;
  BudgetMove move;
  bool operator==(const OrgBudgetMove&) const = default;
};

struct BatchPlan {
  std::vector<OpOutcome> outcomes;  // one per op, same order
  BatchRows rows;                   // after the batch
  std::vector<std::string> created_holds;
  std::vector<std::string> closed_holds;
  std::vector<UsageEntry> usage;
  std::vector<std::string> changed_orgs;
  std::vector<OrgBudgetMove> budget_moves;  // settles and voids of holds with budgets
};

// Applies `ops` in order to `rows`, with the rules of BillingStore::Hold, Settle and Void:
//  - Hold: a known request id replays the existing open hold (FAILED_PRECONDITION when it belongs
//    to another organization or is no longer open); otherwise RESOURCE_EXHAUSTED unless
//    balance - held >= amount, else held += amount.
//  - Settle: NOT_FOUND without a hold, the stored result when settled (replayed),
//    FAILED_PRECONDITION when voided; otherwise ComputeSettlement on the funds as they stand
//    after the earlier ops of the batch, one usage entry, the hold released.
//  - Void: NOT_FOUND without a hold, OK when voided, FAILED_PRECONDITION when settled; otherwise
//    the hold is released.
//  Holds with budgets are placed by BillingStore::Hold alone (never batched); their settles and
//  voids move the budget counters as PgBillingStore's do, and a budget-only hold's settle debits
//  nothing (BudgetOnlySettlement).
BatchPlan PlanBatch(const std::vector<BatchOp>& ops, BatchRows rows);

// The canonical text of an organization id, as the database prints a uuid (lower case).
std::string CanonicalOrgId(const std::string& org_id);

// Which queued calls the next batch takes (their positions in the queue, ascending), given each
// call's organization ("" when unknown) and the organizations of the batches in flight: in queue
// order, up to `max`, every call whose organization no batch in flight holds, so that batches
// lock disjoint balance rows and commit side by side. A call of an unknown organization is taken
// (at worst it waits on a row lock). When every queued call conflicts, the first `max` are taken
// all the same: that batch waits on the row locks and overlaps its first statements with the
// other batch's commit, which is what one hot organization needs.
std::vector<size_t> PickBatch(const std::vector<std::string_view>& queued_orgs,
                              const std::set<std::string, std::less<>>& busy_orgs, size_t max);

}  // namespace llmgw::billing

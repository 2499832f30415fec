#include "services/billing/domain/batch_rules.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace llmgw::billing {
namespace {

const char* StatusName(HoldStatus s) {
  switch (s) {
    case HoldStatus::kOpen:
      return "open";
    case HoldStatus::kSettled:
      return "settled";
    case HoldStatus::kVoided:
      return "voided";
  }
  return "open";
}

// The batch being planned: the rows as they stand and what changed so far.
class Planner {
 public:
  explicit Planner(BatchRows rows) : rows_(std::move(rows)) {
    for (const auto& [request_id, hold] : rows_.holds) existed_.insert(request_id);
  }

  OpOutcome Apply(const BatchOp& op) {
    switch (op.kind) {
      case BatchOpKind::kHold:
        return Hold(op);
      case BatchOpKind::kSettle:
        return Settle(op);
      case BatchOpKind::kVoid:
        return Void(op);
    }
    return {absl::InvalidArgumentError("unknown batch operation")};
  }

  BatchPlan Finish(std::vector<OpOutcome> outcomes) {
    BatchPlan plan;
    plan.outcomes = std::move(outcomes);
    for (const std::string& id : touched_holds_) {
      (existed_.count(id) ? plan.closed_holds : plan.created_holds).push_back(id);
    }
    plan.changed_orgs.assign(changed_orgs_.begin(), changed_orgs_.end());
    plan.usage = std::move(usage_);
    plan.budget_moves = std::move(budget_moves_);
    plan.rows = std::move(rows_);
    return plan;
  }

 private:
  // As PgBillingStore::Hold.
  OpOutcome Hold(const BatchOp& op) {
    auto existing = rows_.holds.find(op.request_id);
    if (existing != rows_.holds.end()) {
      const HoldRecord& h = existing->second;
      if (h.org_id != op.org_id) {
        return {
            absl::FailedPreconditionError("request_id is already held for another organization")};
      }
      if (h.status != HoldStatus::kOpen) {
        return {absl::FailedPreconditionError(
            absl::StrCat("the hold for this request_id is already ", StatusName(h.status)))};
      }
      OpOutcome replay{absl::OkStatus(), true, h.amount, h.expires_at_unix_ms};
      replay.margin_percent = h.margin_percent;
      return replay;
    }
    const std::string org = CanonicalOrgId(op.org_id);
    auto funds = rows_.balances.find(org);
    if (funds == rows_.balances.end() || funds->second.balance - funds->second.held < op.amount) {
      return {absl::ResourceExhaustedError("insufficient balance for the hold")};
    }
    funds->second.held += op.amount;
    changed_orgs_.insert(org);
    rows_.holds[op.request_id] = HoldRecord{.org_id = org,
                                            .amount = op.amount,
                                            .margin_percent = op.margin_percent,
                                            .expires_at_unix_ms = op.expires_at_unix_ms};
    touched_holds_.insert(op.request_id);
    OpOutcome granted{absl::OkStatus(), false, op.amount, op.expires_at_unix_ms};
    granted.margin_percent = op.margin_percent;
    return granted;
  }

  // As PgBillingStore::Settle.
  OpOutcome Settle(const BatchOp& op) {
    auto found = rows_.holds.find(op.request_id);
    if (found == rows_.holds.end()) return {absl::NotFoundError("no hold for request_id")};
    HoldRecord& h = found->second;
    if (h.status == HoldStatus::kSettled) {
      OpOutcome replay{absl::OkStatus(), true};
      replay.settlement = h.settlement;
      return replay;
    }
    auto funds = rows_.balances.find(h.org_id);
    if (funds == rows_.balances.end()) {
      return {absl::InternalError("the hold's organization has no balance row")};
    }
    OrgFunds& f = funds->second;
    // A voided hold (swept, or a void crossed this settle) reserves nothing any more: the settle
    // charges from the free balance alone.
    const Nano reserved = h.status == HoldStatus::kOpen ? h.amount : 0;
    Settlement s = h.budget_only ? BudgetOnlySettlement(op.provider_cost, f.balance)
                                 : ComputeSettlement(op.provider_cost, h.margin_percent, f.balance,
                                                     f.held, reserved);
    h.status = HoldStatus::kSettled;
    h.settlement = s;
    touched_holds_.insert(op.request_id);
    AddBudgetMoves(h.org_id, SettleBudgetMoves(h.budgets, reserved, s.total));
    if (!h.budget_only) {
      f.balance -= s.charged;
      f.held -= reserved;
      changed_orgs_.insert(h.org_id);
      usage_.push_back(UsageEntry{h.org_id, op.request_id, -s.charged, s.balance_after,
                                  s.uncollected, op.description});
    }
    OpOutcome out{absl::OkStatus(), false};
    out.settlement = s;
    return out;
  }

  // As PgBillingStore::Void.
  OpOutcome Void(const BatchOp& op) {
    auto found = rows_.holds.find(op.request_id);
    if (found == rows_.holds.end()) return {absl::NotFoundError("no hold for request_id")};
    HoldRecord& h = found->second;
    if (h.status == HoldStatus::kVoided) return {absl::OkStatus()};
    if (h.status == HoldStatus::kSettled) {
      return {absl::FailedPreconditionError("the hold is already settled")};
    }
    auto funds = rows_.balances.find(h.org_id);
    if (funds == rows_.balances.end()) {
      return {absl::InternalError("the hold's organization has no balance row")};
    }
    if (!h.budget_only) {
      funds->second.held -= h.amount;
      changed_orgs_.insert(h.org_id);
    }
    h.status = HoldStatus::kVoided;
    touched_holds_.insert(op.request_id);
    AddBudgetMoves(h.org_id, VoidBudgetMoves(h.budgets, h.amount));
    return {absl::OkStatus()};
  }

  void AddBudgetMoves(const std::string& org, std::vector<BudgetMove> moves) {
    for (BudgetMove& m : moves) budget_moves_.push_back({org, std::move(m)});
  }

  BatchRows rows_;
  std::set<std::string> existed_;
  std::set<std::string> touched_holds_;
  std::set<std::string> changed_orgs_;
  std::vector<UsageEntry> usage_;
  std::vector<OrgBudgetMove> budget_moves_;
};

}  // namespace

std::string CanonicalOrgId(const std::string& org_id) { return absl::AsciiStrToLower(org_id); }

BatchPlan PlanBatch(const std::vector<BatchOp>& ops, BatchRows rows) {
  Planner planner(std::move(rows));
  std::vector<OpOutcome> outcomes;
  outcomes.reserve(ops.size());
  for (const BatchOp& op : ops) outcomes.push_back(planner.Apply(op));
  return planner.Finish(std::move(outcomes));
}

std::vector<size_t> PickBatch(const std::vector<std::string_view>& queued_orgs,
                              const std::set<std::string, std::less<>>& busy_orgs, size_t max) {
  std::vector<size_t> picked;
  for (size_t i = 0; i < queued_orgs.size() && picked.size() < max; ++i) {
    if (queued_orgs[i].empty() || !busy_orgs.contains(queued_orgs[i])) picked.push_back(i);
  }
  if (picked.empty()) {
    for (size_t i = 0; i < queued_orgs.size() && i < max; ++i) picked.push_back(i);
  }
  return picked;
}

}  // namespace llmgw::billing

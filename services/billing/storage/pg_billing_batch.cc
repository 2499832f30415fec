// PgBillingStore::ApplyBatch: group commit of Hold, Settle and Void calls. The rules are
// PlanBatch's (domain/batch_rules); this file only reads the rows under lock and writes the plan.

#include <set>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "services/billing/storage/pg_billing_store.h"

namespace llmgw::billing {
namespace {

using nlohmann::json;

// A PostgreSQL array literal of text values: {"a","b"} with " and \ escaped.
std::string TextArray(const std::set<std::string>& values) {
  std::string out = "{";
  for (const std::string& v : values) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char c : v) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

HoldStatus ParseHoldStatus(const std::string& s) {
  if (s == "settled") return HoldStatus::kSettled;
  if (s == "voided") return HoldStatus::kVoided;
  return HoldStatus::kOpen;
}

const char* HoldStatusName(HoldStatus s) {
  if (s == HoldStatus::kSettled) return "settled";
  if (s == HoldStatus::kVoided) return "voided";
  return "open";
}

// The hold row as jsonb_to_recordset reads it (settlement columns null unless settled).
json HoldJson(const std::string& request_id, const HoldRecord& h) {
  json j = {{"request_id", request_id},
            {"org_id", h.org_id},
            {"amount", h.amount},
            {"margin_percent", h.margin_percent},
            {"status", HoldStatusName(h.status)},
            {"expires_ms", h.expires_at_unix_ms}};
  if (h.status == HoldStatus::kSettled) {
    const Settlement& s = h.settlement;
    j.update({{"provider_cost", s.provider_cost},
              {"margin", s.margin},
              {"total", s.total},
              {"charged", s.charged},
              {"uncollected", s.uncollected},
              {"balance_after", s.balance_after}});
  }
  return j;
}

// The hold rows of parameter $n, as HoldJson writes them.
std::string HoldRows(int n) {
  return absl::StrCat("jsonb_to_recordset($", n,
                      "::jsonb) AS x(request_id text, org_id uuid, amount bigint, "
                      "margin_percent integer, status text, expires_ms bigint, "
                      "provider_cost bigint, margin bigint, total bigint, charged bigint, "
                      "uncollected bigint, balance_after bigint)");
}

// Locks and reads the holds the batch names (sorted by request id) and then the balances of
// every organization involved (sorted by org id): Settle's and the sweeper's lock order.
BatchRows LockRows(pqxx::work& tx, const std::vector<BatchOp>& ops) {
  std::set<std::string> request_ids;
  std::set<std::string> orgs;
  for (const BatchOp& op : ops) {
    request_ids.insert(op.request_id);
    if (op.kind == BatchOpKind::kHold) orgs.insert(CanonicalOrgId(op.org_id));
  }
  BatchRows rows;
  // Not prepared: a generic plan made while the table was small (a fresh deployment, a test
  // database) keeps scanning the whole table as it grows, since ANALYZE has not run yet; a
  // custom plan sees the table's size and uses the primary key.
  auto holds = tx.exec_params(
      "SELECT request_id, org_id::text, amount, margin_percent, status, "
      "(extract(epoch FROM expires_at) * 1000)::bigint, provider_cost, margin, total, charged, "
      "uncollected, balance_after, budget_only, budgets::text FROM billing.holds "
      "WHERE request_id = ANY($1::text[]) ORDER BY request_id FOR UPDATE",
      TextArray(request_ids));
  for (const auto& r : holds) {
    HoldRecord h{.org_id = r[1].as<std::string>(),
                 .amount = r[2].as<int64_t>(),
                 .margin_percent = r[3].as<int64_t>(),
                 .expires_at_unix_ms = r[5].as<int64_t>(),
                 .status = ParseHoldStatus(r[4].as<std::string>()),
                 .budget_only = r[12].as<bool>(),
                 .budgets = ParseBudgetRefs(r[13].as<std::string>())};
    if (h.status == HoldStatus::kSettled) {
      h.settlement = Settlement{r[6].as<int64_t>(), r[7].as<int64_t>(),  r[8].as<int64_t>(),
                                r[9].as<int64_t>(), r[10].as<int64_t>(), r[11].as<int64_t>()};
    }
    orgs.insert(h.org_id);
    rows.holds.emplace(r[0].as<std::string>(), std::move(h));
  }
  if (orgs.empty()) return rows;
  tx.conn().prepare(
      "billing_batch_lock_balances",
      "SELECT org_id::text, balance, held FROM billing.balances WHERE org_id = ANY($1::uuid[]) "
      "ORDER BY org_id FOR UPDATE");
  auto balances = tx.exec_prepared("billing_batch_lock_balances", TextArray(orgs));
  for (const auto& r : balances) {
    rows.balances[r[0].as<std::string>()] = {r[1].as<int64_t>(), r[2].as<int64_t>()};
  }
  return rows;
}

// The request ids of the holds the batch closes, as a text[] literal: with it the planner sees how
// many rows the update touches and finds them by the primary key; joined to the recordset alone
// (estimated at 100 rows) it hashes it and scans the whole table.
std::string ClosedHoldIds(const BatchPlan& plan) {
  return TextArray(std::set<std::string>(plan.closed_holds.begin(), plan.closed_holds.end()));
}

json CreatedHoldsJson(const BatchPlan& plan) {
  json rows = json::array();
  for (const std::string& id : plan.created_holds) {
    rows.push_back(HoldJson(id, plan.rows.holds.at(id)));
  }
  return rows;
}

json ClosedHoldsJson(const BatchPlan& plan) {
  json rows = json::array();
  for (const std::string& id : plan.closed_holds) {
    rows.push_back(HoldJson(id, plan.rows.holds.at(id)));
  }
  return rows;
}

// "seq" keeps the batch order, so ledger ids follow balance_after.
json UsageJson(const BatchPlan& plan) {
  json rows = json::array();
  for (size_t i = 0; i < plan.usage.size(); ++i) {
    const UsageEntry& u = plan.usage[i];
    rows.push_back({{"seq", i},
                    {"org_id", u.org_id},
                    {"request_id", u.request_id},
                    {"amount", u.amount},
                    {"balance_after", u.balance_after},
                    {"uncollected", u.uncollected},
                    {"description", u.description}});
  }
  return rows;
}

json FundsJson(const BatchPlan& plan) {
  json rows = json::array();
  for (const std::string& org : plan.changed_orgs) {
    const OrgFunds& f = plan.rows.balances.at(org);
    rows.push_back({{"org_id", org}, {"balance", f.balance}, {"held", f.held}});
  }
  return rows;
}

// How many distinct counters the plan's budget moves touch (BudgetMovesSql updates each once).
size_t BudgetCounters(const BatchPlan& plan) {
  std::set<std::pair<std::string, BudgetRef>> counters;
  for (const OrgBudgetMove& m : plan.budget_moves) counters.insert({m.org_id, m.move.ref});
  return counters.size();
}

json BudgetMovesJson(const BatchPlan& plan) {
  json rows = json::array();
  for (const OrgBudgetMove& m : plan.budget_moves) {
    rows.push_back({{"org_id", m.org_id},
                    {"scope", m.move.ref.scope},
                    {"period", m.move.ref.period},
                    {"period_start", m.move.ref.period_start},
                    {"dr", m.move.reserved_delta},
                    {"ds", m.move.spent_delta}});
  }
  return rows;
}

// Every write of the plan in one statement (one round trip): the holds created (in their final
// state), the holds closed, one usage entry per settle (in batch order) and the funds. False when
// a hold the batch creates already existed (another replica inserted it after our read): the
// caller rolls back.
bool WritePlan(pqxx::work& tx, const BatchPlan& plan) {
  static const std::string kWrite = absl::StrCat(
      "WITH created AS (INSERT INTO billing.holds (request_id, org_id, amount, margin_percent, "
      "status, expires_at, closed_at, provider_cost, margin, total, charged, uncollected, "
      "balance_after) SELECT x.request_id, x.org_id, x.amount, x.margin_percent, x.status, "
      "timestamptz 'epoch' + x.expires_ms * interval '1 millisecond', "
      "CASE WHEN x.status = 'open' THEN NULL ELSE now() END, x.provider_cost, x.margin, x.total, "
      "x.charged, x.uncollected, x.balance_after FROM ",
      HoldRows(1),
      " ON CONFLICT (request_id) DO NOTHING RETURNING 1), "
      "closed AS (UPDATE billing.holds h SET status = x.status, closed_at = now(), "
      "provider_cost = x.provider_cost, margin = x.margin, total = x.total, charged = x.charged, "
      "uncollected = x.uncollected, balance_after = x.balance_after FROM ",
      HoldRows(2),
      " WHERE h.request_id = x.request_id AND h.request_id = ANY($6::text[]) RETURNING 1), "
      "usage AS (INSERT INTO billing.ledger (org_id, type, amount, balance_after, description, "
      "request_id, uncollected) SELECT x.org_id, 'usage', x.amount, x.balance_after, "
      "x.description, x.request_id, x.uncollected FROM jsonb_to_recordset($3::jsonb) AS "
      "x(seq bigint, org_id uuid, request_id text, amount bigint, balance_after bigint, "
      "uncollected bigint, description text) ORDER BY x.seq RETURNING 1), "
      "funds AS (UPDATE billing.balances b SET balance = x.balance, held = x.held, "
      "updated_at = now() FROM jsonb_to_recordset($4::jsonb) AS x(org_id uuid, balance bigint, "
      "held bigint) WHERE b.org_id = x.org_id RETURNING 1), "
      "budgets AS (",
      BudgetMovesSql(5),
      " RETURNING 1) "
      "SELECT (SELECT count(*) FROM created), (SELECT count(*) FROM closed), "
      "(SELECT count(*) FROM usage), (SELECT count(*) FROM funds), "
      "(SELECT count(*) FROM budgets)");
  // Not prepared: a generic plan made while the tables were small would keep joining the
  // recordsets by sequential scans; a fresh plan sees the tables as they are.
  auto counts = tx.exec_params1(kWrite, CreatedHoldsJson(plan).dump(), ClosedHoldsJson(plan).dump(),
                                UsageJson(plan).dump(), FundsJson(plan).dump(),
                                BudgetMovesJson(plan).dump(), ClosedHoldIds(plan));
  return counts[0].as<size_t>() == plan.created_holds.size() &&
         counts[1].as<size_t>() == plan.closed_holds.size() &&
         counts[2].as<size_t>() == plan.usage.size() &&
         counts[3].as<size_t>() == plan.changed_orgs.size() &&
         counts[4].as<size_t>() == BudgetCounters(plan);
}

}  // namespace

absl::StatusOr<std::vector<OpOutcome>> PgBillingStore::ApplyBatch(const std::vector<BatchOp>& ops) {
  if (ops.empty()) return std::vector<OpOutcome>{};
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<std::vector<OpOutcome>> {
    pqxx::work tx(c);
    BatchPlan plan = PlanBatch(ops, LockRows(tx, ops));
    if (plan.created_holds.empty() && plan.closed_holds.empty() && plan.changed_orgs.empty() &&
        plan.budget_moves.empty()) {
      tx.commit();  // only replays and refusals: nothing to write
      return std::move(plan.outcomes);
    }
    if (!WritePlan(tx, plan)) {
      tx.abort();
      return absl::AbortedError("a hold of the batch was created concurrently");
    }
    tx.commit();
    return std::move(plan.outcomes);
  });
}

}  // namespace llmgw::billing

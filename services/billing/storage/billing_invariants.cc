#include "services/billing/storage/billing_invariants.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace llmgw::billing::test {

absl::StatusOr<std::vector<InvariantResult>> InvariantReport(pg::PgPool& pool) {
  struct Check {
    const char* name;
    const char* sql;  // returns violating rows
  };
  static const Check kChecks[] = {
      {"balance != sum(ledger)",
       "SELECT b.org_id FROM billing.balances b LEFT JOIN (SELECT org_id, sum(amount) AS s "
       "FROM billing.ledger GROUP BY org_id) l ON l.org_id = b.org_id "
       "WHERE b.balance <> coalesce(l.s, 0)"},
      {"negative balance or held",
       "SELECT org_id FROM billing.balances WHERE balance < 0 OR held < 0"},
      {"held != sum(open holds)",
       "SELECT b.org_id FROM billing.balances b LEFT JOIN (SELECT org_id, sum(amount) AS s "
       "FROM billing.holds WHERE status = 'open' AND NOT budget_only GROUP BY org_id) h "
       "ON h.org_id = b.org_id WHERE b.held <> coalesce(h.s, 0)"},
      {"balance_after != running sum",
       "SELECT id FROM (SELECT id, balance_after, sum(amount) OVER (PARTITION BY org_id "
       "ORDER BY id) AS running FROM billing.ledger) x WHERE balance_after <> running"},
      {"settled hold without exactly one matching usage entry",
       "SELECT h.request_id FROM billing.holds h WHERE h.status = 'settled' AND "
       "NOT h.budget_only AND (SELECT count(*) FROM billing.ledger l WHERE l.request_id = h.request_id AND "
       "l.type = 'usage' AND l.org_id = h.org_id AND l.amount = -h.charged AND "
       "l.uncollected = h.uncollected AND l.balance_after = h.balance_after) <> 1"},
      {"usage entry without a settled hold",
       "SELECT l.id FROM billing.ledger l WHERE l.type = 'usage' AND NOT EXISTS (SELECT 1 FROM "
       "billing.holds h WHERE h.request_id = l.request_id AND h.status = 'settled')"},
      {"settled arithmetic",
       "SELECT request_id FROM billing.holds WHERE status = 'settled' AND (total <> "
       "provider_cost + margin OR charged < 0 OR uncollected < 0 OR CASE WHEN budget_only "
       "THEN margin <> 0 OR charged <> 0 OR uncollected <> 0 "
       "ELSE total <> charged + uncollected END)"},
      {"budget-only hold with a ledger entry or a charge",
       "SELECT h.request_id FROM billing.holds h WHERE h.budget_only AND (h.charged <> 0 OR "
       "EXISTS (SELECT 1 FROM billing.ledger l WHERE l.request_id = h.request_id))"},
      {"budget counter != its holds (reserved: open amounts, spent: settled totals)",
       "SELECT b.org_id FROM billing.budget_spend b LEFT JOIN (SELECT h.org_id, e->>'scope' AS "
       "scope, e->>'period' AS period, (e->>'period_start')::date AS period_start, "
       "sum(h.amount) FILTER (WHERE h.status = 'open') AS r, "
       "sum(h.total) FILTER (WHERE h.status = 'settled') AS s FROM billing.holds h, "
       "jsonb_array_elements(h.budgets) e GROUP BY 1, 2, 3, 4) x ON x.org_id = b.org_id AND "
       "x.scope = b.scope AND x.period = b.period AND x.period_start = b.period_start "
       "WHERE b.reserved <> coalesce(x.r, 0) OR b.spent <> coalesce(x.s, 0)"},
      {"more than one ledger entry per request id",
       "SELECT request_id FROM billing.ledger WHERE request_id IS NOT NULL GROUP BY request_id "
       "HAVING count(*) > 1"},
  };
  return pool.Run([](pqxx::connection& c) -> absl::StatusOr<std::vector<InvariantResult>> {
    // One snapshot for every check.
    pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(c);
    std::vector<InvariantResult> out;
    for (const Check& check : kChecks) {
      auto rows = tx.exec(check.sql);
      out.push_back(
          {check.name, static_cast<int64_t>(rows.size()), rows.empty() ? "" : rows[0][0].c_str()});
    }
    return out;
  });
}

absl::Status CheckInvariants(pg::PgPool& pool) {
  absl::StatusOr<std::vector<InvariantResult>> report = InvariantReport(pool);
  if (!report.ok()) return report.status();
  std::string problems;
  for (const InvariantResult& r : *report) {
    if (r.violations > 0) {
      absl::StrAppend(&problems, r.name, " (", r.violations, " rows, first ", r.first, "); ");
    }
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("billing invariants violated: ", problems));
}

}  // namespace llmgw::billing::test

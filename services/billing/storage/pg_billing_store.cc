#include "services/billing/storage/pg_billing_store.h"

#include <algorithm>
#include <map>
#include <optional>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace llmgw::billing {
namespace {

// Unix milliseconds <-> timestamptz, exactly (no floating point).
std::string MsToTs(int param) {
  return absl::StrCat("(timestamptz 'epoch' + $", param, "::bigint * interval '1 millisecond')");
}
std::string TsToMs(const std::string& column) {
  return absl::StrCat("(extract(epoch FROM ", column, ") * 1000)::bigint");
}

const std::string& LedgerColumns() {
  static const std::string kColumns = absl::StrCat(
      "id, org_id::text, type, amount, balance_after, description, coalesce(request_id, ''), "
      "uncollected, ",
      TsToMs("created_at"));
  return kColumns;
}

EntryType ParseType(const std::string& s) {
  if (s == "usage") return EntryType::kUsage;
  if (s == "refund") return EntryType::kRefund;
  if (s == "adjustment") return EntryType::kAdjustment;
  return EntryType::kCharge;
}

LedgerEntry ToEntry(const pqxx::row& r) {
  LedgerEntry e;
  e.id = r[0].as<int64_t>();
  e.org_id = r[1].as<std::string>();
  e.type = ParseType(r[2].as<std::string>());
  e.amount = r[3].as<int64_t>();
  e.balance_after = r[4].as<int64_t>();
  e.description = r[5].as<std::string>();
  e.request_id = r[6].as<std::string>();
  e.uncollected = r[7].as<int64_t>();
  e.created_at_unix_ms = r[8].as<int64_t>();
  return e;
}

absl::StatusOr<ChargeResult> ReplayCharge(const pqxx::row& r, const std::string& org_id,
                                          Nano amount) {
  ChargeResult out;
  out.entry = ToEntry(r);
  out.balance = out.entry.balance_after;
  out.replayed = true;
  if (out.entry.org_id != org_id || out.entry.amount != amount) {
    return absl::FailedPreconditionError(
        "idempotency_key was already used for a different organization or amount");
  }
  return out;
}

Settlement StoredSettlement(const pqxx::row& r, int first) {
  Settlement s;
  s.provider_cost = r[first].as<int64_t>();
  s.margin = r[first + 1].as<int64_t>();
  s.total = r[first + 2].as<int64_t>();
  s.charged = r[first + 3].as<int64_t>();
  s.uncollected = r[first + 4].as<int64_t>();
  s.balance_after = r[first + 5].as<int64_t>();
  return s;
}

}  // namespace

namespace {

// The columns of a price row, in ToPriceRow's order.
const std::string& PriceColumns() {
  static const std::string kColumns = absl::StrCat(
      "provider, model, input_nano_per_mtok, cached_input_nano_per_mtok, "
      "cache_write_nano_per_mtok, output_nano_per_mtok, ",
      TsToMs("effective_from"),
      ", max_output_tokens, id, origin, catalog_version, cache_write_1h_nano_per_mtok, "
      "tier_above_input_tokens, tier_input_nano_per_mtok, tier_cached_input_nano_per_mtok, "
      "tier_cache_write_nano_per_mtok, tier_output_nano_per_mtok, "
      "tier_cache_write_1h_nano_per_mtok, match_json, catalog_rank, kind, display_name, "
      "context_window, deprecated, set_by, note");
  return kColumns;
}

PriceRow ToPriceRow(const pqxx::row& r) {
  PriceRow p;
  p.provider = r[0].as<std::string>();
  p.model = r[1].as<std::string>();
  p.input_nano_per_mtok = r[2].as<int64_t>();
  p.cached_input_nano_per_mtok = r[3].as<int64_t>();
  p.cache_write_nano_per_mtok = r[4].as<int64_t>();
  p.output_nano_per_mtok = r[5].as<int64_t>();
  p.effective_from_unix_ms = r[6].as<int64_t>();
  p.max_output_tokens = r[7].as<int64_t>();
  p.id = r[8].as<int64_t>();
  p.origin = r[9].as<std::string>();
  p.catalog_version = r[10].as<std::string>();
  p.cache_write_1h_nano_per_mtok = r[11].as<int64_t>();
  p.tier_above_input_tokens = r[12].as<int64_t>();
  p.tier_input_nano_per_mtok = r[13].as<int64_t>();
  p.tier_cached_input_nano_per_mtok = r[14].as<int64_t>();
  p.tier_cache_write_nano_per_mtok = r[15].as<int64_t>();
  p.tier_output_nano_per_mtok = r[16].as<int64_t>();
  p.tier_cache_write_1h_nano_per_mtok = r[17].as<int64_t>();
  p.match_json = r[18].as<std::string>();
  p.catalog_rank = r[19].as<int>();
  p.kind = r[20].as<std::string>();
  p.display_name = r[21].as<std::string>();
  p.context_window = r[22].as<int64_t>();
  p.deprecated = r[23].as<bool>();
  p.set_by = r[24].as<std::string>();
  p.note = r[25].as<std::string>();
  return p;
}

std::vector<PriceRow> ToPriceRows(const pqxx::result& rows) {
  std::vector<PriceRow> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(ToPriceRow(r));
  return out;
}

// Inserts one row; returns it as stored.
PriceRow InsertPrice(pqxx::work& tx, const PriceRow& p) {
  auto r = tx.exec_params1(
      absl::StrCat(
          "INSERT INTO billing.prices (provider, model, effective_from, input_nano_per_mtok, "
          "cached_input_nano_per_mtok, cache_write_nano_per_mtok, output_nano_per_mtok, "
          "max_output_tokens, origin, catalog_version, cache_write_1h_nano_per_mtok, "
          "tier_above_input_tokens, tier_input_nano_per_mtok, tier_cached_input_nano_per_mtok, "
          "tier_cache_write_nano_per_mtok, tier_output_nano_per_mtok, "
          "tier_cache_write_1h_nano_per_mtok, match_json, catalog_rank, kind, display_name, "
          "context_window, deprecated, set_by, note) VALUES ($1, $2, ",
          MsToTs(3),
          ", $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, "
          "$22, $23, $24, $25) RETURNING ",
          PriceColumns()),
      p.provider, p.model, p.effective_from_unix_ms, p.input_nano_per_mtok,
      p.cached_input_nano_per_mtok, p.cache_write_nano_per_mtok, p.output_nano_per_mtok,
      p.max_output_tokens, p.origin, p.catalog_version, p.cache_write_1h_nano_per_mtok,
      p.tier_above_input_tokens, p.tier_input_nano_per_mtok, p.tier_cached_input_nano_per_mtok,
      p.tier_cache_write_nano_per_mtok, p.tier_output_nano_per_mtok,
      p.tier_cache_write_1h_nano_per_mtok, p.match_json, p.catalog_rank, p.kind, p.display_name,
      p.context_window, p.deprecated, p.set_by, p.note);
  return ToPriceRow(r);
}

}  // namespace

absl::StatusOr<std::vector<PriceRow>> PgBillingStore::ListPrices(int64_t now_unix_ms) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<std::vector<PriceRow>> {
    pqxx::read_transaction tx(c);
    return ToPriceRows(
        tx.exec_params(absl::StrCat("SELECT DISTINCT ON (provider, model, origin) ", PriceColumns(),
                                    " FROM billing.prices WHERE effective_from <= ", MsToTs(1),
                                    " ORDER BY provider, model, origin, effective_from DESC"),
                       now_unix_ms));
  });
}

absl::StatusOr<std::vector<PriceRow>> PgBillingStore::ListScheduledPrices(int64_t now_unix_ms) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<std::vector<PriceRow>> {
    pqxx::read_transaction tx(c);
    return ToPriceRows(tx.exec_params(
        absl::StrCat("SELECT ", PriceColumns(), " FROM billing.prices WHERE effective_from > ",
                     MsToTs(1), " ORDER BY effective_from, provider, model, origin"),
        now_unix_ms));
  });
}

absl::StatusOr<std::vector<PriceRow>> PgBillingStore::ListPriceHistory(const std::string& provider,
                                                                       const std::string& model) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<std::vector<PriceRow>> {
    pqxx::read_transaction tx(c);
    return ToPriceRows(
        tx.exec_params(absl::StrCat("SELECT ", PriceColumns(),
                                    " FROM billing.prices WHERE provider = $1 AND model = $2"
                                    " ORDER BY effective_from, id"),
                       provider, model));
  });
}

absl::StatusOr<std::vector<PriceRow>> PgBillingStore::AddPrices(const std::vector<PriceRow>& rows) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<std::vector<PriceRow>> {
    pqxx::work tx(c);
    std::vector<PriceRow> out;
    out.reserve(rows.size());
    for (const PriceRow& p : rows) out.push_back(InsertPrice(tx, p));
    tx.commit();
    return out;
  });
}

absl::StatusOr<bool> PgBillingStore::LoadCatalog(const CatalogLoad& catalog) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<bool> {
    pqxx::work tx(c);
    // Two replicas starting at once: the second waits here, then finds the version recorded.
    tx.exec("SELECT pg_advisory_xact_lock(hashtext('billing.catalog_versions'))");
    auto recorded = tx.exec_params(
        "INSERT INTO billing.catalog_versions (sha256, source, version, models, price_rows) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING RETURNING sha256",
        catalog.sha256, catalog.source, catalog.version, catalog.models,
        static_cast<int64_t>(catalog.rows.size()));
    if (recorded.empty()) return false;
    for (const PriceRow& p : catalog.rows) InsertPrice(tx, p);
    tx.commit();
    return true;
  });
}

absl::StatusOr<BalanceRow> PgBillingStore::GetBalance(const std::string& org_id) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<BalanceRow> {
    pqxx::read_transaction tx(c);
    auto rows =
        tx.exec_params("SELECT balance, held FROM billing.balances WHERE org_id = $1", org_id);
    if (rows.empty()) return BalanceRow{};
    return BalanceRow{rows[0][0].as<int64_t>(), rows[0][1].as<int64_t>()};
  });
}

absl::StatusOr<ChargeResult> PgBillingStore::Charge(const std::string& org_id,
                                                    const std::string& idempotency_key, Nano amount,
                                                    const std::string& description) {
  const std::string find_key =
      absl::StrCat("SELECT ", LedgerColumns(), " FROM billing.ledger WHERE idempotency_key = $1");
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<ChargeResult> {
    {
      pqxx::work tx(c);
      auto existing = tx.exec_params(find_key, idempotency_key);
      if (!existing.empty()) return ReplayCharge(existing[0], org_id, amount);
      tx.exec_params(
          "INSERT INTO billing.balances (org_id) VALUES ($1) ON CONFLICT (org_id) DO NOTHING",
          org_id);
      auto bal = tx.exec_params(
          "UPDATE billing.balances SET balance = balance + $2, updated_at = now() "
          "WHERE org_id = $1 RETURNING balance",
          org_id, amount);
      Nano balance = bal[0][0].as<int64_t>();
      auto inserted = tx.exec_params(
          absl::StrCat("INSERT INTO billing.ledger (org_id, type, amount, balance_after, "
                       "description, idempotency_key) VALUES ($1, 'charge', $2, $3, $4, $5) "
                       "ON CONFLICT (idempotency_key) DO NOTHING RETURNING ",
                       LedgerColumns()),
          org_id, amount, balance, description, idempotency_key);
      if (!inserted.empty()) {
        ChargeResult out;
        out.balance = balance;
        out.entry = ToEntry(inserted[0]);
        tx.commit();
        return out;
      }
      // A concurrent charge with the same key committed first: undo ours, return theirs.
      tx.abort();
    }
    pqxx::read_transaction tx(c);
    auto existing = tx.exec_params(find_key, idempotency_key);
    if (existing.empty()) return absl::AbortedError("concurrent charge rolled back; retry");
    return ReplayCharge(existing[0], org_id, amount);
  });
}

absl::StatusOr<std::vector<LedgerEntry>> PgBillingStore::ListTransactions(const std::string& org_id,
                                                                          int limit) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<std::vector<LedgerEntry>> {
    pqxx::read_transaction tx(c);
    auto rows = tx.exec_params(absl::StrCat("SELECT ", LedgerColumns(),
                                            " FROM billing.ledger WHERE org_id = $1 "
                                            "ORDER BY id DESC LIMIT $2"),
                               org_id, limit);
    std::vector<LedgerEntry> out;
    out.reserve(rows.size());
    for (const auto& r : rows) out.push_back(ToEntry(r));
    return out;
  });
}

namespace {

// Refuses a hold one of whose budgets cannot take `amount` (BudgetAdmits, in SQL): the counter
// is created with the reservation or updated under its row lock, never read then written.
bool ReserveBudget(pqxx::work& tx, const std::string& org_id, const BudgetCharge& b, Nano amount) {
  auto r = tx.exec_params(
      "INSERT INTO billing.budget_spend AS s (org_id, scope, period, period_start, reserved) "
      "SELECT $1::uuid, $2::text, $3::text, $4::date, $5::bigint WHERE $5::bigint <= $6::bigint "
      "ON CONFLICT (org_id, scope, period, period_start) DO UPDATE "
      "SET reserved = s.reserved + $5::bigint, updated_at = now() "
      "WHERE s.spent + s.reserved < $6::bigint AND s.spent + s.reserved + $5::bigint <= $6::bigint "
      "RETURNING 1",
      org_id, b.ref.scope, b.ref.period, b.ref.period_start, amount, b.limit);
  return !r.empty();
}

std::string BudgetRefsJson(const std::vector<BudgetCharge>& charges) {
  nlohmann::json refs = nlohmann::json::array();
  for (const BudgetCharge& c : charges) {
    refs.push_back(
        {{"scope", c.ref.scope}, {"period", c.ref.period}, {"period_start", c.ref.period_start}});
  }
  return refs.dump();
}

}  // namespace

std::vector<BudgetRef> ParseBudgetRefs(const std::string& json_text) {
  std::vector<BudgetRef> out;
  nlohmann::json refs = nlohmann::json::parse(json_text, nullptr, false);
  if (!refs.is_array()) return out;
  for (const auto& r : refs) {
    out.push_back({r.value("scope", ""), r.value("period", ""), r.value("period_start", "")});
  }
  return out;
}

void ApplyBudgetMoves(pqxx::work& tx, const std::string& org_id,
                      const std::vector<BudgetMove>& moves) {
  if (moves.empty()) return;
  nlohmann::json rows = nlohmann::json::array();
  for (const BudgetMove& m : moves) {
    rows.push_back({{"org_id", org_id},
                    {"scope", m.ref.scope},
                    {"period", m.ref.period},
                    {"period_start", m.ref.period_start},
                    {"dr", m.reserved_delta},
                    {"ds", m.spent_delta}});
  }
  tx.exec_params(BudgetMovesSql(1), rows.dump());
}

std::string BudgetMovesSql(int param) {
  // Summed per counter first: an UPDATE joined to several rows of one counter would apply only
  // one of them. GREATEST: a reservation is never released below zero, whatever happened to the
  // counter.
  return absl::StrCat(
      "UPDATE billing.budget_spend b SET reserved = GREATEST(0, b.reserved + x.dr), "
      "spent = b.spent + x.ds, updated_at = now() FROM (SELECT org_id, scope, period, "
      "period_start, sum(dr)::bigint AS dr, sum(ds)::bigint AS ds FROM jsonb_to_recordset($",
      param,
      "::jsonb) AS y(org_id uuid, scope text, period text, period_start date, dr bigint, "
      "ds bigint) GROUP BY 1, 2, 3, 4) AS x WHERE b.org_id = x.org_id AND b.scope = x.scope AND "
      "b.period = x.period AND b.period_start = x.period_start");
}

namespace {

const std::string& FindHoldSql() {
  static const std::string kSql =
      absl::StrCat("SELECT org_id::text, amount, status, ", TsToMs("expires_at"),
                   ", margin_percent FROM billing.holds WHERE request_id = $1");
  return kSql;
}

// The hold FindHoldSql read, as the answer to a repeated Hold for `org_id`.
absl::StatusOr<HoldResult> ExistingHold(const pqxx::row& r, const std::string& org_id) {
  if (r[0].as<std::string>() != org_id) {
    return absl::FailedPreconditionError("request_id is already held for another organization");
  }
  std::string status = r[2].as<std::string>();
  if (status != "open") {
    return absl::FailedPreconditionError(
        absl::StrCat("the hold for this request_id is already ", status));
  }
  return HoldResult{r[1].as<int64_t>(), r[3].as<int64_t>(), true, r[4].as<int64_t>()};
}

// A hold without budgets as one statement: the balance row is locked with its check (FOR UPDATE
// re-reads the newest row), the hold is inserted only if the funds are there, and `held` is
// raised only if the hold was inserted. Columns: the new hold's expiry (null when none was
// created), and whether the funds were there.
const std::string& PlaceHoldSql() {
  static const std::string kSql = absl::StrCat(
      "WITH funds AS (SELECT org_id FROM billing.balances WHERE org_id = $2::uuid "
      "AND balance - held >= $3::bigint FOR UPDATE), "
      "created AS (INSERT INTO billing.holds (request_id, org_id, amount, margin_percent, status, "
      "expires_at) SELECT $1, org_id, $3::bigint, $4, 'open', ",
      MsToTs(5), " FROM funds ON CONFLICT (request_id) DO NOTHING RETURNING ", TsToMs("expires_at"),
      " AS expires_ms), "
      "granted AS (UPDATE billing.balances SET held = held + $3::bigint, updated_at = now() "
      "WHERE org_id = $2::uuid AND EXISTS (SELECT 1 FROM created) RETURNING 1) "
      "SELECT (SELECT expires_ms FROM created), (SELECT count(*) FROM funds), "
      "(SELECT count(*) FROM granted)");
  return kSql;
}

}  // namespace

absl::StatusOr<HoldResult> PgBillingStore::Hold(const std::string& org_id,
                                                const std::string& request_id, Nano amount,
                                                int64_t margin_percent, int64_t expires_at_unix_ms,
                                                const HoldBudgets& budgets) {
  if (!budgets.budget_only && budgets.charges.empty()) {
    return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<HoldResult> {
      return PlaceHold(c, org_id, request_id, amount, margin_percent, expires_at_unix_ms);
    });
  }
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<HoldResult> {
    {
      pqxx::work tx(c);
      auto existing = tx.exec_params(FindHoldSql(), request_id);
      if (!existing.empty()) return ExistingHold(existing[0], org_id);
      absl::Status refused = ReserveFunds(tx, org_id, amount, budgets);
      if (!refused.ok()) {
        // A concurrent hold for the same request may have won in the meantime.
        existing = tx.exec_params(FindHoldSql(), request_id);
        if (!existing.empty()) return ExistingHold(existing[0], org_id);
        return refused;
      }
      auto inserted = tx.exec_params(
          absl::StrCat("INSERT INTO billing.holds (request_id, org_id, amount, margin_percent, "
                       "status, expires_at, budget_only, budgets) VALUES ($1, $2, $3, $4, 'open', ",
                       MsToTs(5), ", $6, $7::jsonb) ON CONFLICT (request_id) DO NOTHING RETURNING ",
                       TsToMs("expires_at")),
          request_id, org_id, amount, margin_percent, expires_at_unix_ms, budgets.budget_only,
          BudgetRefsJson(budgets.charges));
      if (!inserted.empty()) {
        HoldResult out{amount, inserted[0][0].as<int64_t>(), false, margin_percent};
        tx.commit();
        return out;
      }
      tx.abort();  // a concurrent hold for the same request committed first: release ours
    }
    pqxx::read_transaction tx(c);
    auto existing = tx.exec_params(FindHoldSql(), request_id);
    if (existing.empty()) return absl::AbortedError("concurrent hold rolled back; retry");
    return ExistingHold(existing[0], org_id);
  });
}

absl::StatusOr<HoldResult> PgBillingStore::PlaceHold(pqxx::connection& c, const std::string& org_id,
                                                     const std::string& request_id, Nano amount,
                                                     int64_t margin_percent,
                                                     int64_t expires_at_unix_ms) {
  c.prepare("billing_place_hold", PlaceHoldSql());  // once per connection; a no-op afterwards
  pqxx::nontransaction tx(c);  // the statement commits on its own: one round trip
  pqxx::row r = tx.exec_prepared1("billing_place_hold", request_id, org_id, amount, margin_percent,
                                  expires_at_unix_ms);
  if (!r[0].is_null()) {
    if (r[2].as<int64_t>() != 1) return absl::InternalError("hold created without its funds");
    return HoldResult{amount, r[0].as<int64_t>(), false, margin_percent};
  }
  // Nothing created: the request is held already (a repeat, or a concurrent call that won), or
  // the free balance is short.
  auto existing = tx.exec_params(FindHoldSql(), request_id);
  if (!existing.empty()) return ExistingHold(existing[0], org_id);
  if (r[1].as<int64_t>() == 0) {
    return absl::ResourceExhaustedError("insufficient balance for the hold");
  }
  // The conflicting hold was rolled back after ours gave way: Run tries again.
  return absl::AbortedError("concurrent hold rolled back; retry");
}

absl::Status PgBillingStore::ReserveFunds(pqxx::work& tx, const std::string& org_id, Nano amount,
                                          const HoldBudgets& budgets) {
  if (budgets.budget_only) {
    // No balance to reserve, but its row is locked all the same: every change of an
    // organization's budget counters happens under its balance row lock (Settle's, Void's and
    // the sweeper's order too), so counters never deadlock.
    tx.exec_params(
        "INSERT INTO billing.balances (org_id) VALUES ($1) ON CONFLICT (org_id) DO NOTHING",
        org_id);
    tx.exec_params("SELECT 1 FROM billing.balances WHERE org_id = $1 FOR UPDATE", org_id);
  } else {
    // The balance check and the reservation are one statement: no read-then-write race.
    auto granted = tx.exec_params(
        "UPDATE billing.balances SET held = held + $2, updated_at = now() "
        "WHERE org_id = $1 AND balance - held >= $2",
        org_id, amount);
    if (granted.affected_rows() == 0) {
      return absl::ResourceExhaustedError("insufficient balance for the hold");
    }
  }
  for (const BudgetCharge& b : budgets.charges) {  // sorted: one lock order for every hold
    if (!ReserveBudget(tx, org_id, b, amount)) {
      return absl::ResourceExhaustedError(absl::StrCat("budget_exceeded: the ", b.ref.period,
                                                       " budget of ", b.ref.scope, " is spent"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<BudgetSpendRow>> PgBillingStore::ListBudgets(const std::string& org_id,
                                                                        int64_t now_unix_ms) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<std::vector<BudgetSpendRow>> {
    pqxx::read_transaction tx(c);
    auto rows = tx.exec_params(
        "SELECT scope, period, period_start::text, spent, reserved FROM billing.budget_spend "
        "WHERE org_id = $1 AND ((period = 'day' AND period_start = $2::date) OR "
        "(period = 'month' AND period_start = $3::date)) ORDER BY scope, period",
        org_id, PeriodStart("day", now_unix_ms), PeriodStart("month", now_unix_ms));
    std::vector<BudgetSpendRow> out;
    for (const auto& r : rows) {
      out.push_back({{r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>()},
                     r[3].as<int64_t>(),
                     r[4].as<int64_t>()});
    }
    return out;
  });
}

namespace {

// Locks and reads the hold a settle closes.
constexpr const char* kLockSettledHoldSql =
    "SELECT org_id::text, amount, status, margin_percent, provider_cost, margin, total, charged, "
    "uncollected, balance_after, budget_only, budgets::text FROM billing.holds "
    "WHERE request_id = $1 FOR UPDATE";

// A settlement within its hold (SettlementWithinHold) in one statement: the balance is debited
// only if it covers everything held (checked on the row this statement locks), and the ledger
// entry and the hold get the balance it leaves. No row: it did not cover it (SettleFromFunds).
// The balance row is locked for this statement and the commit only: a hold of the same
// organization waits on no more than that.
constexpr const char* kSettleWithinHoldSql =
    "WITH funds AS (UPDATE billing.balances SET balance = balance - $5::bigint, "
    "held = held - $8::bigint, updated_at = now() WHERE org_id = $2::uuid AND balance >= held "
    "RETURNING balance), "
    "entry AS (INSERT INTO billing.ledger (org_id, type, amount, balance_after, description, "
    "request_id, uncollected) SELECT $2::uuid, 'usage', -$5::bigint, f.balance, $7::text, $1, 0 "
    "FROM funds f RETURNING 1), "
    "closed AS (UPDATE billing.holds h SET status = 'settled', closed_at = now(), "
    "provider_cost = $3::bigint, margin = $4::bigint, total = $6::bigint, charged = $5::bigint, "
    "uncollected = 0, balance_after = f.balance FROM funds f WHERE h.request_id = $1 "
    "RETURNING 1) "
    "SELECT f.balance, (SELECT count(*) FROM entry), (SELECT count(*) FROM closed) FROM funds f";

// A settlement's writes as one statement: the balance and its ledger entry (unless the hold is
// budget-only, $10), and the hold, settled with the result a repeat returns.
constexpr const char* kWriteSettlementSql =
    "WITH funds AS (UPDATE billing.balances SET balance = balance - $5::bigint, "
    "held = held - $9::bigint, updated_at = now() WHERE org_id = $2::uuid AND NOT $10::boolean "
    "RETURNING 1), "
    "entry AS (INSERT INTO billing.ledger (org_id, type, amount, balance_after, description, "
    "request_id, uncollected) SELECT $2::uuid, 'usage', -$5::bigint, $7::bigint, $11::text, $1, "
    "$6::bigint WHERE NOT $10::boolean RETURNING 1) "
    "UPDATE billing.holds SET status = 'settled', closed_at = now(), provider_cost = $3::bigint, "
    "margin = $4::bigint, total = $8::bigint, charged = $5::bigint, uncollected = $6::bigint, "
    "balance_after = $7::bigint WHERE request_id = $1";

// The full settle, for what SettlementWithinHold does not cover (a cost beyond the hold, a hold
// the sweeper voided, a budget-only hold, a balance short of what is held): the balance row is
// locked and read, ComputeSettlement decides, one statement writes. `h` is the hold as
// kLockSettledHoldSql read it.
Settlement SettleFromFunds(pqxx::work& tx, const std::string& request_id, const pqxx::row& h,
                           Nano provider_cost, const std::string& description, Nano hold_amount) {
  const std::string org_id = h[0].as<std::string>();
  const bool budget_only = h[10].as<bool>();
  // balance and held are read under the balance row lock, held till commit: the settle may
  // spend its own reservation plus the free balance, never what other open holds reserve.
  pqxx::row bal = tx.exec_prepared1("billing_settle_lock_funds", org_id);
  const Nano balance = bal[0].as<int64_t>();
  Settlement s = budget_only ? BudgetOnlySettlement(provider_cost, balance)
                             : ComputeSettlement(provider_cost, h[3].as<int64_t>(), balance,
                                                 bal[1].as<int64_t>(), hold_amount);
  tx.exec_prepared("billing_settle_write", request_id, org_id, s.provider_cost, s.margin, s.charged,
                   s.uncollected, s.balance_after, s.total, hold_amount, budget_only, description);
  return s;
}

}  // namespace

absl::StatusOr<SettleResult> PgBillingStore::Settle(const std::string& request_id,
                                                    Nano provider_cost,
                                                    const std::string& description) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<SettleResult> {
    c.prepare("billing_settle_lock_hold", kLockSettledHoldSql);  // once per connection
    c.prepare("billing_settle_within_hold", kSettleWithinHoldSql);
    c.prepare("billing_settle_lock_funds",
              "SELECT balance, held FROM billing.balances WHERE org_id = $1 FOR UPDATE");
    c.prepare("billing_settle_write", kWriteSettlementSql);
    pqxx::work tx(c);
    // The row lock orders Settle, Void and the sweeper on one hold: exactly one of them wins.
    auto rows = tx.exec_prepared("billing_settle_lock_hold", request_id);
    if (rows.empty()) return absl::NotFoundError("no hold for request_id");
    const pqxx::row h = rows[0];
    const std::string status = h[2].as<std::string>();
    if (status == "settled") return SettleResult{StoredSettlement(h, 4), true};
    const std::string org_id = h[0].as<std::string>();
    // A voided hold reserves nothing any more: the settle charges from the free balance alone
    // (a late settle after the sweeper, e.g. billing was down longer than the hold's TTL).
    const Nano hold_amount = status == "open" ? h[1].as<int64_t>() : 0;
    std::optional<Settlement> s;
    if (status == "open" && !h[10].as<bool>()) {
      s = SettlementWithinHold(provider_cost, h[3].as<int64_t>(), hold_amount);
    }
    if (s) {
      auto done =
          tx.exec_prepared("billing_settle_within_hold", request_id, org_id, s->provider_cost,
                           s->margin, s->charged, s->total, description, hold_amount);
      if (done.empty()) {
        s.reset();  // the balance does not cover what is held: the full rules decide
      } else if (done[0][1].as<int64_t>() != 1 || done[0][2].as<int64_t>() != 1) {
        return absl::InternalError("settle wrote an incomplete settlement");  // rolled back
      } else {
        s->balance_after = done[0][0].as<int64_t>();
      }
    }
    if (!s) s = SettleFromFunds(tx, request_id, h, provider_cost, description, hold_amount);
    ApplyBudgetMoves(
        tx, org_id,
        SettleBudgetMoves(ParseBudgetRefs(h[11].as<std::string>()), hold_amount, s->total));
    tx.commit();
    return SettleResult{*s, false};
  });
}

absl::Status PgBillingStore::Void(const std::string& request_id) {
  return pool_.Run([&](pqxx::connection& c) -> absl::Status {
    pqxx::work tx(c);
    auto hold = tx.exec_params(
        "SELECT org_id::text, amount, status, budget_only, budgets::text FROM billing.holds "
        "WHERE request_id = $1 FOR UPDATE",
        request_id);
    if (hold.empty()) return absl::NotFoundError("no hold for request_id");
    std::string status = hold[0][2].as<std::string>();
    if (status == "voided") return absl::OkStatus();
    if (status == "settled") return absl::FailedPreconditionError("the hold is already settled");
    const std::string org_id = hold[0][0].as<std::string>();
    const Nano amount = hold[0][1].as<int64_t>();
    // A budget-only hold reserved no balance; its row is locked all the same (ReserveFunds).
    tx.exec_params(
        "UPDATE billing.balances SET held = held - $2, updated_at = now() WHERE org_id = $1",
        org_id, hold[0][3].as<bool>() ? 0 : amount);
    tx.exec_params(
        "UPDATE billing.holds SET status = 'voided', closed_at = now() WHERE request_id = $1",
        request_id);
    ApplyBudgetMoves(tx, org_id,
                     VoidBudgetMoves(ParseBudgetRefs(hold[0][4].as<std::string>()), amount));
    tx.commit();
    return absl::OkStatus();
  });
}

absl::StatusOr<int> PgBillingStore::SweepExpired(int64_t cutoff_unix_ms, int limit) {
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<int> {
    pqxx::work tx(c);
    // SKIP LOCKED: holds being settled (or swept by another replica) are left to that owner.
    auto voided = tx.exec_params(
        absl::StrCat("WITH expired AS (SELECT request_id FROM billing.holds "
                     "WHERE status = 'open' AND expires_at <= ",
                     MsToTs(1),
                     " ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED) "
                     "UPDATE billing.holds h SET status = 'voided', closed_at = now() "
                     "FROM expired e WHERE h.request_id = e.request_id "
                     "RETURNING h.org_id::text, h.amount, h.budget_only, h.budgets::text"),
        cutoff_unix_ms, limit);
    // Release per organization in a fixed order so concurrent sweepers cannot deadlock; budget
    // counters after their organization's balance row (ReserveFunds' order).
    std::map<std::string, Nano> per_org;
    std::map<std::string, std::vector<BudgetMove>> moves;
    for (const auto& r : voided) {
      const std::string org = r[0].as<std::string>();
      const Nano amount = r[1].as<int64_t>();
      per_org[org] += r[2].as<bool>() ? 0 : amount;
      for (BudgetMove& m : VoidBudgetMoves(ParseBudgetRefs(r[3].as<std::string>()), amount)) {
        moves[org].push_back(std::move(m));
      }
    }
    for (const auto& [org, amount] : per_org) {
      tx.exec_params(
          "UPDATE billing.balances SET held = held - $2, updated_at = now() WHERE org_id = $1", org,
          amount);
      if (auto m = moves.find(org); m != moves.end()) ApplyBudgetMoves(tx, org, m->second);
    }
    tx.commit();
    return static_cast<int>(voided.size());
  });
}

}  // namespace llmgw::billing

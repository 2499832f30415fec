#pragma once
// BillingStore on PostgreSQL (schema `billing`). Each call (and each batch) is one transaction; the
// budget check is a single guarded UPDATE and settle/void/sweep lock the hold row, so replicas
// never race.

#include <string>
#include <vector>

#include "libs/pg/migrate.h"
#include "libs/pg/pool.h"
#include "services/billing/storage/billing_store.h"

namespace llmgw::billing {

class PgBillingStore final : public BillingStore {
 public:
  explicit PgBillingStore(pg::PgPool& pool) : pool_(pool) {}

  // BillingStore
  absl::StatusOr<std::vector<PriceRow>> ListPrices(int64_t now_unix_ms) override;
  absl::StatusOr<std::vector<PriceRow>> ListScheduledPrices(int64_t now_unix_ms) override;
  absl::StatusOr<std::vector<PriceRow>> ListPriceHistory(const std::string& provider,
                                                         const std::string& model) override;
  absl::StatusOr<std::vector<PriceRow>> AddPrices(const std::vector<PriceRow>& rows) override;
  absl::StatusOr<bool> LoadCatalog(const CatalogLoad& catalog) override;
  absl::StatusOr<BalanceRow> GetBalance(const std::string& org_id) override;
  absl::StatusOr<ChargeResult> Charge(const std::string& org_id, const std::string& idempotency_key,
                                      Nano amount, const std::string& description) override;
  absl::StatusOr<std::vector<LedgerEntry>> ListTransactions(const std::string& org_id,
                                                            int limit) override;
  absl::StatusOr<HoldResult> Hold(const std::string& org_id, const std::string& request_id,
                                  Nano amount, int64_t margin_percent, int64_t expires_at_unix_ms,
                                  const HoldBudgets& budgets = {}) override;
  absl::StatusOr<std::vector<BudgetSpendRow>> ListBudgets(const std::string& org_id,
                                                          int64_t now_unix_ms) override;
  absl::StatusOr<SettleResult> Settle(const std::string& request_id, Nano provider_cost,
                                      const std::string& description) override;
  absl::Status Void(const std::string& request_id) override;
  absl::StatusOr<int> SweepExpired(int64_t cutoff_unix_ms, int limit) override;
  // Per batch a constant number of statements: lock the named holds (FOR UPDATE, sorted by
  // request id), then the balances involved (sorted by org id), the same order as Settle and the
  // sweeper; PlanBatch decides; the writes are set-based (jsonb_to_recordset). ABORTED when a hold
  // the batch creates was inserted concurrently (another replica): nothing is written.
  absl::StatusOr<std::vector<OpOutcome>> ApplyBatch(const std::vector<BatchOp>& ops) override;

 private:
  // Hold without budgets: one statement in its own transaction (PlaceHoldSql).
  absl::StatusOr<HoldResult> PlaceHold(pqxx::connection& c, const std::string& org_id,
                                       const std::string& request_id, Nano amount,
                                       int64_t margin_percent, int64_t expires_at_unix_ms);
  // Reserves `amount` from the balance (unless budget-only) and from every budget, or says why
  // not (RESOURCE_EXHAUSTED); the caller rolls back then.
  absl::Status ReserveFunds(pqxx::work& tx, const std::string& org_id, Nano amount,
                            const HoldBudgets& budgets);

  pg::PgPool& pool_;
};

// The budget counters a hold's `budgets` column names.
std::vector<BudgetRef> ParseBudgetRefs(const std::string& json_text);
// Moves one organization's counters (one statement).
void ApplyBudgetMoves(pqxx::work& tx, const std::string& org_id,
                      const std::vector<BudgetMove>& moves);
// The UPDATE of budget counters from the jsonb array parameter $param of rows
// {org_id, scope, period, period_start, dr, ds}, summed per counter: one row per counter.
std::string BudgetMovesSql(int param);

// The billing schema's migrations (generated from storage/migrations by llmgw_embed_migrations).
const std::vector<pg::Migration>& billingMigrations();

}  // namespace llmgw::billing

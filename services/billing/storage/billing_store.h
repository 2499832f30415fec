#pragma once
// The storage billing needs: prices, balances, holds and the ledger. Every mutating call is one
// database transaction; implementations must make races between replicas impossible.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/billing/domain/batch_rules.h"
#include "services/billing/domain/billing_rules.h"
#include "services/billing/domain/budget_rules.h"

namespace llmgw::billing {

// One dated row of the price book (migrations 001 and 002). Prices in nano-USD per 1M tokens; a
// kind priced 0 is billed at the input price (a one-hour cache write at the cache write price).
struct PriceRow {
  std::string provider;
  std::string model;
  Nano input_nano_per_mtok = 0;
  Nano cached_input_nano_per_mtok = 0;
  Nano cache_write_nano_per_mtok = 0;
  Nano output_nano_per_mtok = 0;
  int64_t effective_from_unix_ms = 0;
  int64_t max_output_tokens = 0;
  int64_t id = 0;
  std::string origin = "seed";  // seed | catalog | override
  std::string catalog_version;  // catalog rows: "<source> <version>"
  Nano cache_write_1h_nano_per_mtok = 0;
  // Above tier_above_input_tokens (0: no tier) the whole request is billed at the tier prices.
  int64_t tier_above_input_tokens = 0;
  Nano tier_input_nano_per_mtok = 0;
  Nano tier_cached_input_nano_per_mtok = 0;
  Nano tier_cache_write_nano_per_mtok = 0;
  Nano tier_output_nano_per_mtok = 0;
  Nano tier_cache_write_1h_nano_per_mtok = 0;
  std::string match_json;  // catalog rows: the model matcher
  int catalog_rank = 0;
  std::string kind = "chat";  // chat | embedding | other
  std::string display_name;
  int64_t context_window = 0;
  bool deprecated = false;
  std::string set_by;  // overrides
  std::string note;
  bool operator==(const PriceRow&) const = default;
};

// One catalog file to load: its identity and the rows it adds (CatalogPriceRows).
struct CatalogLoad {
  std::string sha256;
  std::string source;
  std::string version;
  int models = 0;
  std::vector<PriceRow> rows;
};

struct BalanceRow {
  Nano balance = 0;
  Nano held = 0;
  bool operator==(const BalanceRow&) const = default;
};

enum class EntryType { kCharge, kUsage, kRefund, kAdjustment };

struct LedgerEntry {
  int64_t id = 0;
  std::string org_id;
  EntryType type = EntryType::kCharge;
  Nano amount = 0;  // signed
  Nano balance_after = 0;
  std::string description;
  std::string request_id;  // usage entries
  Nano uncollected = 0;
  int64_t created_at_unix_ms = 0;
};

struct ChargeResult {
  Nano balance = 0;  // the balance right after this charge
  LedgerEntry entry;
  bool replayed = false;  // a repeat of an earlier charge with the same key
};

struct HoldResult {
  Nano amount = 0;
  int64_t expires_at_unix_ms = 0;
  bool replayed = false;       // the hold already existed
  int64_t margin_percent = 0;  // recorded on the hold (a replay: the first call's)
};

// One budget counter of the current period.
struct BudgetSpendRow {
  BudgetRef ref;
  Nano spent = 0;
  Nano reserved = 0;
};

struct SettleResult {
  Settlement settlement;
  bool replayed = false;  // already settled earlier: nothing changed
};

class BillingStore {
 public:
  virtual ~BillingStore() = default;

  // The row in effect at `now_unix_ms` for each (provider, model, origin), ordered by provider,
  // model, origin.
  virtual absl::StatusOr<std::vector<PriceRow>> ListPrices(int64_t now_unix_ms) = 0;
  // Rows that take effect after `now_unix_ms` (scheduled price changes), oldest first.
  virtual absl::StatusOr<std::vector<PriceRow>> ListScheduledPrices(int64_t now_unix_ms) = 0;
  // Every row of one model, all origins, oldest first.
  virtual absl::StatusOr<std::vector<PriceRow>> ListPriceHistory(const std::string& provider,
                                                                 const std::string& model) = 0;
  // Adds rows (operator overrides) in one transaction and returns them with their ids.
  // ALREADY_EXISTS when a row of the same (provider, model, origin) starts at the same instant.
  virtual absl::StatusOr<std::vector<PriceRow>> AddPrices(const std::vector<PriceRow>& rows) = 0;
  // Records the catalog and adds its rows, once per catalog content (sha256): false when it was
  // loaded before (nothing changes). Safe to run from several replicas at once.
  virtual absl::StatusOr<bool> LoadCatalog(const CatalogLoad& catalog) = 0;
  // 0/0 for an organization never topped up.
  virtual absl::StatusOr<BalanceRow> GetBalance(const std::string& org_id) = 0;
  // Credits `amount` with a charge entry. A repeat of `idempotency_key` returns the first result
  // and changes nothing; FAILED_PRECONDITION when the key was used for another org or amount.
  virtual absl::StatusOr<ChargeResult> Charge(const std::string& org_id,
                                              const std::string& idempotency_key, Nano amount,
                                              const std::string& description) = 0;
  // Newest first.
  virtual absl::StatusOr<std::vector<LedgerEntry>> ListTransactions(const std::string& org_id,
                                                                    int limit) = 0;
  // Reserves exactly `amount` (already including the margin) for request_id, guarded so that
  // held never exceeds balance. RESOURCE_EXHAUSTED when balance - held < amount. A repeat of
  // request_id returns the existing hold (FAILED_PRECONDITION if it belongs to another org).
  // `margin_percent` is recorded and used by Settle. Every budget of `budgets` reserves `amount`
  // in the same transaction, guarded by BudgetAdmits: RESOURCE_EXHAUSTED "budget_exceeded: …"
  // naming the first budget that cannot (nothing is reserved then). A budget-only hold touches no
  // balance.
  virtual absl::StatusOr<HoldResult> Hold(const std::string& org_id, const std::string& request_id,
                                          Nano amount, int64_t margin_percent,
                                          int64_t expires_at_unix_ms,
                                          const HoldBudgets& budgets = {}) = 0;
  // The organization's budget counters whose period contains `now_unix_ms`.
  virtual absl::StatusOr<std::vector<BudgetSpendRow>> ListBudgets(const std::string& org_id,
                                                                  int64_t now_unix_ms) = 0;
  // Debits provider_cost + margin (at the hold's margin), releases the hold, writes one usage
  // entry; the hold's budgets count the total as spent (a budget-only hold: only that). The debit is capped at the hold's amount plus the free balance (never what the org's
  // other open holds reserve); the rest of the total is recorded as uncollected. A hold already
  // voided (the sweeper released it, or a void crossed this settle) still charges: from the free
  // balance only. A repeat returns the first result. NOT_FOUND: no hold.
  virtual absl::StatusOr<SettleResult> Settle(const std::string& request_id, Nano provider_cost,
                                              const std::string& description) = 0;
  // Releases an open hold. Idempotent; NOT_FOUND: no hold; FAILED_PRECONDITION: settled.
  virtual absl::Status Void(const std::string& request_id) = 0;
  // Voids up to `limit` open holds whose expiry is <= cutoff; returns how many. Safe to run from
  // several replicas at once. HoldSweeper passes now - kHoldSweepGraceSeconds.
  virtual absl::StatusOr<int> SweepExpired(int64_t cutoff_unix_ms, int limit) = 0;
  // Group commit: applies Hold, Settle and Void calls in order in ONE transaction, each with the
  // result it would have had if called alone in that order (PlanBatch). An error means nothing
  // was written: the caller then runs the calls one by one (GroupCommitter does). UNIMPLEMENTED
  // by default.
  virtual absl::StatusOr<std::vector<OpOutcome>> ApplyBatch(const std::vector<BatchOp>& ops) {
    return absl::UnimplementedError("this store has no batched path");
  }
};

}  // namespace llmgw::billing

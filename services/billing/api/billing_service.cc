#include "services/billing/api/billing_service.h"

#include "libs/common/status_macros.h"
#include "services/billing/domain/price_catalog.h"
#include "services/billing/storage/group_committer.h"

namespace llmgw::billing {
namespace {

v1::TransactionType ToProtoType(EntryType t) {
  switch (t) {
    case EntryType::kCharge:
      return v1::TRANSACTION_TYPE_CHARGE;
    case EntryType::kUsage:
      return v1::TRANSACTION_TYPE_USAGE;
    case EntryType::kRefund:
      return v1::TRANSACTION_TYPE_REFUND;
    case EntryType::kAdjustment:
      return v1::TRANSACTION_TYPE_ADJUSTMENT;
  }
  return v1::TRANSACTION_TYPE_UNSPECIFIED;
}

}  // namespace

void ToProto(const LedgerEntry& e, v1::Transaction* out) {
  out->set_id(std::to_string(e.id));
  out->set_type(ToProtoType(e.type));
  out->set_amount_nano(e.amount);
  out->set_balance_after_nano(e.balance_after);
  out->set_description(e.description);
  out->set_created_at_unix_ms(e.created_at_unix_ms);
  out->set_request_id(e.request_id);
  out->set_uncollected_nano(e.uncollected);
}

void ToProto(const PriceRow& p, v1::ModelPrice* out) {
  out->set_provider(p.provider);
  out->set_model(p.model);
  out->set_input_nano_per_mtok(p.input_nano_per_mtok);
  out->set_cached_input_nano_per_mtok(p.cached_input_nano_per_mtok);
  out->set_cache_write_nano_per_mtok(p.cache_write_nano_per_mtok);
  out->set_output_nano_per_mtok(p.output_nano_per_mtok);
  out->set_effective_from_unix_ms(p.effective_from_unix_ms);
  out->set_max_output_tokens(p.max_output_tokens);
  out->set_cache_write_1h_nano_per_mtok(p.cache_write_1h_nano_per_mtok);
  out->set_tier_above_input_tokens(p.tier_above_input_tokens);
  out->set_tier_input_nano_per_mtok(p.tier_input_nano_per_mtok);
  out->set_tier_cached_input_nano_per_mtok(p.tier_cached_input_nano_per_mtok);
  out->set_tier_cache_write_nano_per_mtok(p.tier_cache_write_nano_per_mtok);
  out->set_tier_output_nano_per_mtok(p.tier_output_nano_per_mtok);
  out->set_tier_cache_write_1h_nano_per_mtok(p.tier_cache_write_1h_nano_per_mtok);
  out->set_price_id(p.id);
  out->set_source(p.origin);
  out->set_catalog_version(p.catalog_version);
  out->set_match_json(p.match_json);
  out->set_catalog_rank(p.catalog_rank);
  out->set_kind(p.kind);
  out->set_display_name(p.display_name);
  out->set_context_window(p.context_window);
  out->set_deprecated(p.deprecated);
  out->set_set_by(p.set_by);
  out->set_note(p.note);
}

PriceRow FromProto(const v1::ModelPrice& p) {
  PriceRow r;
  r.provider = p.provider();
  r.model = p.model();
  r.input_nano_per_mtok = p.input_nano_per_mtok();
  r.cached_input_nano_per_mtok = p.cached_input_nano_per_mtok();
  r.cache_write_nano_per_mtok = p.cache_write_nano_per_mtok();
  r.output_nano_per_mtok = p.output_nano_per_mtok();
  r.effective_from_unix_ms = p.effective_from_unix_ms();
  r.max_output_tokens = p.max_output_tokens();
  r.cache_write_1h_nano_per_mtok = p.cache_write_1h_nano_per_mtok();
  r.tier_above_input_tokens = p.tier_above_input_tokens();
  r.tier_input_nano_per_mtok = p.tier_input_nano_per_mtok();
  r.tier_cached_input_nano_per_mtok = p.tier_cached_input_nano_per_mtok();
  r.tier_cache_write_nano_per_mtok = p.tier_cache_write_nano_per_mtok();
  r.tier_output_nano_per_mtok = p.tier_output_nano_per_mtok();
  r.tier_cache_write_1h_nano_per_mtok = p.tier_cache_write_1h_nano_per_mtok();
  if (!p.kind().empty()) r.kind = p.kind();
  r.display_name = p.display_name();
  r.context_window = p.context_window();
  return r;
}

BillingService::BillingService(BillingStore& store, grpcutil::HandlerEnv env,
                               BillingServiceOptions options, const Clock& clock,
                               BillingMetrics* metrics)
    : store_(store), env_(std::move(env)), options_(options), clock_(clock), metrics_(metrics) {}

grpc::ServerUnaryReactor* BillingService::ListPrices(grpc::CallbackServerContext* ctx,
                                                     const v1::ListPricesRequest* req,
                                                     v1::ListPricesResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "ListPrices", [this, resp]() -> absl::Status {
    const int64_t now = clock_.NowUnixMs();
    LLMGW_ASSIGN_OR_RETURN(std::vector<PriceRow> prices, store_.ListPrices(now));
    LLMGW_ASSIGN_OR_RETURN(std::vector<PriceRow> scheduled, store_.ListScheduledPrices(now));
    for (const PriceRow& p : prices) ToProto(p, resp->add_prices());
    for (const PriceRow& p : scheduled) ToProto(p, resp->add_prices());
    resp->set_margin_percent(static_cast<int32_t>(options_.margin_percent));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* BillingService::SetPrices(grpc::CallbackServerContext* ctx,
                                                    const v1::SetPricesRequest* req,
                                                    v1::SetPricesResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "SetPrices", [this, req, resp]() -> absl::Status {
    if (req->prices().empty()) return absl::InvalidArgumentError("prices must not be empty");
    std::vector<PriceRow> rows;
    for (const v1::ModelPrice& p : req->prices()) {
      PriceRow row = FromProto(p);
      LLMGW_ASSIGN_OR_RETURN(
          row, MakeOverride(std::move(row), req->set_by(), req->note(), clock_.NowUnixMs()));
      rows.push_back(std::move(row));
    }
    LLMGW_ASSIGN_OR_RETURN(std::vector<PriceRow> stored, store_.AddPrices(rows));
    for (const PriceRow& p : stored) ToProto(p, resp->add_prices());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* BillingService::ListPriceHistory(grpc::CallbackServerContext* ctx,
                                                           const v1::ListPriceHistoryRequest* req,
                                                           v1::ListPriceHistoryResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "ListPriceHistory", [this, req, resp]() -> absl::Status {
    if (req->provider().empty() || req->model().empty()) {
      return absl::InvalidArgumentError("provider and model are required");
    }
    LLMGW_ASSIGN_OR_RETURN(std::vector<PriceRow> rows,
                           store_.ListPriceHistory(req->provider(), req->model()));
    for (const PriceRow& p : rows) ToProto(p, resp->add_prices());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* BillingService::GetBalance(grpc::CallbackServerContext* ctx,
                                                     const v1::GetBalanceRequest* req,
                                                     v1::GetBalanceResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "GetBalance", [this, req, resp]() -> absl::Status {
    LLMGW_RETURN_IF_ERROR(ValidateOrgId(req->organization_id()));
    LLMGW_ASSIGN_OR_RETURN(BalanceRow b, store_.GetBalance(req->organization_id()));
    resp->set_balance_nano(b.balance);
    resp->set_held_nano(b.held);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* BillingService::Charge(grpc::CallbackServerContext* ctx,
                                                 const v1::ChargeRequest* req,
                                                 v1::ChargeResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "Charge", [this, req, resp]() -> absl::Status {
    LLMGW_RETURN_IF_ERROR(ValidateOrgId(req->organization_id()));
    LLMGW_RETURN_IF_ERROR(ValidateKey("idempotency_key", req->idempotency_key()));
    LLMGW_RETURN_IF_ERROR(ValidateChargeAmount(req->amount_nano()));
    LLMGW_RETURN_IF_ERROR(ValidateDescription(req->description()));
    LLMGW_ASSIGN_OR_RETURN(ChargeResult r,
                           store_.Charge(req->organization_id(), req->idempotency_key(),
                                         req->amount_nano(), req->description()));
    if (metrics_ && !r.replayed) metrics_->topups_nano.Increment(r.entry.amount);
    resp->set_balance_nano(r.balance);
    ToProto(r.entry, resp->mutable_transaction());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* BillingService::ListTransactions(grpc::CallbackServerContext* ctx,
                                                           const v1::ListTransactionsRequest* req,
                                                           v1::ListTransactionsResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "ListTransactions", [this, req, resp]() -> absl::Status {
    LLMGW_RETURN_IF_ERROR(ValidateOrgId(req->organization_id()));
    LLMGW_ASSIGN_OR_RETURN(int limit, ListLimit(req->limit()));
    LLMGW_ASSIGN_OR_RETURN(std::vector<LedgerEntry> entries,
                           store_.ListTransactions(req->organization_id(), limit));
    for (const LedgerEntry& e : entries) ToProto(e, resp->add_transactions());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* BillingService::ServeMoneyCall(
    grpc::CallbackServerContext* ctx, const char* method,
    std::function<absl::StatusOr<BatchOp>()> make_op,
    std::function<absl::Status(const OpOutcome&)> answer, bool alone) {
  if (options_.group_commit == nullptr || alone) {
    return grpcutil::ServeUnary(ctx, env_, method, [this, make_op, answer]() -> absl::Status {
      LLMGW_ASSIGN_OR_RETURN(BatchOp op, make_op());
      return answer(RunAlone(store_, op));
    });
  }
  return grpcutil::ServeUnaryDeferred(
      ctx, env_, method, [this, make_op, answer](std::function<void(const absl::Status&)> finish) {
        absl::StatusOr<BatchOp> op = make_op();
        if (!op.ok()) {
          finish(op.status());
          return;
        }
        options_.group_commit->Submit(std::move(*op),
                                      [answer, finish](const OpOutcome& o) { finish(answer(o)); });
      });
}

grpc::ServerUnaryReactor* BillingService::Hold(grpc::CallbackServerContext* ctx,
                                               const v1::HoldRequest* req, v1::HoldResponse* resp) {
  auto make_op = [this, req]() -> absl::StatusOr<BatchOp> {
    LLMGW_RETURN_IF_ERROR(ValidateOrgId(req->organization_id()));
    LLMGW_RETURN_IF_ERROR(ValidateKey("request_id", req->request_id()));
    // A budget-only (pass-through) hold reserves the bound itself: no margin.
    const int64_t margin = req->budget_only() ? 0 : options_.margin_percent;
    LLMGW_ASSIGN_OR_RETURN(Nano amount, HoldAmount(req->provider_cost_bound_nano(), margin));
    const int64_t now = clock_.NowUnixMs();
    std::vector<BudgetRequest> requested;
    for (const v1::BudgetLimit& b : req->budgets()) {
      requested.push_back({b.scope(), b.period(), b.limit_nano()});
    }
    HoldBudgets budgets{.budget_only = req->budget_only()};
    LLMGW_ASSIGN_OR_RETURN(budgets.charges, BudgetCharges(requested, now));
    return BatchOp{
        .kind = BatchOpKind::kHold,
        .request_id = req->request_id(),
        .org_id = req->organization_id(),
        .amount = amount,
        .margin_percent = margin,
        .expires_at_unix_ms =
            now + std::chrono::duration_cast<std::chrono::milliseconds>(options_.hold_ttl).count(),
        .budgets = std::move(budgets)};
  };
  auto answer = [this, resp](const OpOutcome& r) -> absl::Status {
    if (metrics_) {
      if (r.status.ok() && !r.replayed) metrics_->holds_granted.Increment();
      if (r.status.code() == absl::StatusCode::kResourceExhausted) {
        metrics_->holds_refused.Increment();
      }
    }
    if (!r.status.ok()) return r.status;
    resp->set_held_nano(r.hold_amount);
    resp->set_expires_at_unix_ms(r.expires_at_unix_ms);
    resp->set_margin_percent(r.margin_percent);
    return absl::OkStatus();
  };
  // Holds with budgets are placed one by one: their guarded counters are not planned in batches.
  const bool alone = req->budgets_size() > 0 || req->budget_only();
  return ServeMoneyCall(ctx, "Hold", make_op, answer, alone);
}

grpc::ServerUnaryReactor* BillingService::ListBudgets(grpc::CallbackServerContext* ctx,
                                                      const v1::ListBudgetsRequest* req,
                                                      v1::ListBudgetsResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "ListBudgets", [this, req, resp]() -> absl::Status {
    LLMGW_RETURN_IF_ERROR(ValidateOrgId(req->organization_id()));
    LLMGW_ASSIGN_OR_RETURN(std::vector<BudgetSpendRow> rows,
                           store_.ListBudgets(req->organization_id(), clock_.NowUnixMs()));
    for (const BudgetSpendRow& r : rows) {
      v1::BudgetSpend* b = resp->add_budgets();
      b->set_scope(r.ref.scope);
      b->set_period(r.ref.period);
      b->set_period_start(r.ref.period_start);
      b->set_spent_nano(r.spent);
      b->set_reserved_nano(r.reserved);
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* BillingService::Settle(grpc::CallbackServerContext* ctx,
                                                 const v1::SettleRequest* req,
                                                 v1::SettleResponse* resp) {
  auto make_op = [req]() -> absl::StatusOr<BatchOp> {
    LLMGW_RETURN_IF_ERROR(ValidateKey("request_id", req->request_id()));
    LLMGW_RETURN_IF_ERROR(ValidateProviderCost(req->provider_cost_nano()));
    LLMGW_RETURN_IF_ERROR(ValidateDescription(req->description()));
    return BatchOp{.kind = BatchOpKind::kSettle,
                   .request_id = req->request_id(),
                   .provider_cost = req->provider_cost_nano(),
                   .description = req->description()};
  };
  auto answer = [this, resp](const OpOutcome& r) -> absl::Status {
    if (!r.status.ok()) return r.status;
    const Settlement& s = r.settlement;
    if (metrics_) {
      if (r.replayed) {
        metrics_->settles_replayed.Increment();
      } else {
        metrics_->settles.Increment();
        metrics_->charged_nano.Increment(s.charged);
        metrics_->uncollected_nano.Increment(s.uncollected);
      }
    }
    resp->set_provider_cost_nano(s.provider_cost);
    resp->set_margin_nano(s.margin);
    resp->set_total_nano(s.total);
    resp->set_charged_nano(s.charged);
    resp->set_uncollected_nano(s.uncollected);
    resp->set_balance_after_nano(s.balance_after);
    return absl::OkStatus();
  };
  return ServeMoneyCall(ctx, "Settle", make_op, answer);
}

grpc::ServerUnaryReactor* BillingService::Void(grpc::CallbackServerContext* ctx,
                                               const v1::VoidRequest* req, v1::VoidResponse*) {
  auto make_op = [req]() -> absl::StatusOr<BatchOp> {
    LLMGW_RETURN_IF_ERROR(ValidateKey("request_id", req->request_id()));
    return BatchOp{.kind = BatchOpKind::kVoid, .request_id = req->request_id()};
  };
  auto answer = [this](const OpOutcome& r) -> absl::Status {
    if (!r.status.ok()) return r.status;
    if (metrics_) metrics_->voids.Increment();
    return absl::OkStatus();
  };
  return ServeMoneyCall(ctx, "Void", make_op, answer);
}

}  // namespace llmgw::billing

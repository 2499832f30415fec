#include "services/billing/api/billing_service.h"

#include <atomic>
#include <memory>

#include "absl/strings/str_cat.h"
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

void BillingService::Dispatch(BatchOp op, bool alone, std::function<void(const OpOutcome&)> done) {
  if (options_.group_commit != nullptr && !alone) {
    options_.group_commit->Submit(std::move(op), std::move(done));
    return;
  }
  // Database calls block: on the worker pool, never on gRPC's threads.
  boost::asio::post(*env_.pool, [this, op = std::move(op), done = std::move(done)] {
    OpOutcome out;
    try {
      out = RunAlone(store_, op);
    } catch (const std::exception&) {
      out.status = absl::InternalError("internal error");
    }
    done(out);
  });
}

grpc::ServerUnaryReactor* BillingService::ServeMoneyCall(
    grpc::CallbackServerContext* ctx, const char* method, absl::StatusOr<BatchOp> op, bool alone,
    std::function<absl::Status(const OpOutcome&)> answer) {
  return grpcutil::ServeUnaryDeferred(
      ctx, env_, method,
      [this, op = std::move(op), alone, answer](std::function<void(const absl::Status&)> finish) {
        if (!op.ok()) {
          finish(op.status());
          return;
        }
        Dispatch(*op, alone, [answer, finish](const OpOutcome& o) { finish(answer(o)); });
      });
}

absl::StatusOr<BatchOp> BillingService::HoldOp(const v1::HoldRequest& req) const {
  LLMGW_RETURN_IF_ERROR(ValidateOrgId(req.organization_id()));
  LLMGW_RETURN_IF_ERROR(ValidateKey("request_id", req.request_id()));
  // A budget-only (pass-through) hold reserves the bound itself: no margin.
  const int64_t margin = req.budget_only() ? 0 : options_.margin_percent;
  LLMGW_ASSIGN_OR_RETURN(Nano amount, HoldAmount(req.provider_cost_bound_nano(), margin));
  const int64_t now = clock_.NowUnixMs();
  std::vector<BudgetRequest> requested;
  for (const v1::BudgetLimit& b : req.budgets()) {
    requested.push_back({b.scope(), b.period(), b.limit_nano()});
  }
  HoldBudgets budgets{.budget_only = req.budget_only()};
  LLMGW_ASSIGN_OR_RETURN(budgets.charges, BudgetCharges(requested, now));
  return BatchOp{
      .kind = BatchOpKind::kHold,
      .request_id = req.request_id(),
      .org_id = req.organization_id(),
      .amount = amount,
      .margin_percent = margin,
      .expires_at_unix_ms =
          now + std::chrono::duration_cast<std::chrono::milliseconds>(options_.hold_ttl).count(),
      .budgets = std::move(budgets)};
}

// Holds with budgets are placed one by one: their guarded counters are not planned in batches.
bool BillingService::HoldRunsAlone(const v1::HoldRequest& req) {
  return req.budgets_size() > 0 || req.budget_only();
}

absl::Status BillingService::AnswerHold(const OpOutcome& r, v1::HoldResponse* resp) {
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
}

absl::StatusOr<BatchOp> BillingService::SettleOp(const v1::SettleRequest& req) {
  LLMGW_RETURN_IF_ERROR(ValidateKey("request_id", req.request_id()));
  LLMGW_RETURN_IF_ERROR(ValidateProviderCost(req.provider_cost_nano()));
  LLMGW_RETURN_IF_ERROR(ValidateDescription(req.description()));
  return BatchOp{.kind = BatchOpKind::kSettle,
                 .request_id = req.request_id(),
                 .provider_cost = req.provider_cost_nano(),
                 .description = req.description()};
}

absl::Status BillingService::AnswerSettle(const OpOutcome& r, v1::SettleResponse* resp) {
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
}

absl::StatusOr<BatchOp> BillingService::VoidOp(const v1::VoidRequest& req) {
  LLMGW_RETURN_IF_ERROR(ValidateKey("request_id", req.request_id()));
  return BatchOp{.kind = BatchOpKind::kVoid, .request_id = req.request_id()};
}

absl::Status BillingService::AnswerVoid(const OpOutcome& r) {
  if (!r.status.ok()) return r.status;
  if (metrics_) metrics_->voids.Increment();
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* BillingService::Hold(grpc::CallbackServerContext* ctx,
                                               const v1::HoldRequest* req, v1::HoldResponse* resp) {
  return ServeMoneyCall(ctx, "Hold", HoldOp(*req), HoldRunsAlone(*req),
                        [this, resp](const OpOutcome& o) { return AnswerHold(o, resp); });
}

grpc::ServerUnaryReactor* BillingService::Settle(grpc::CallbackServerContext* ctx,
                                                 const v1::SettleRequest* req,
                                                 v1::SettleResponse* resp) {
  return ServeMoneyCall(ctx, "Settle", SettleOp(*req), false,
                        [this, resp](const OpOutcome& o) { return AnswerSettle(o, resp); });
}

grpc::ServerUnaryReactor* BillingService::Void(grpc::CallbackServerContext* ctx,
                                               const v1::VoidRequest* req, v1::VoidResponse*) {
  return ServeMoneyCall(ctx, "Void", VoidOp(*req), false,
                        [this](const OpOutcome& o) { return AnswerVoid(o); });
}

grpc::ServerUnaryReactor* BillingService::Batch(grpc::CallbackServerContext* ctx,
                                                const v1::BatchRequest* req,
                                                v1::BatchResponse* resp) {
  return grpcutil::ServeUnaryDeferred(
      ctx, env_, "Batch", [this, req, resp](std::function<void(const absl::Status&)> finish) {
        const int n = req->calls_size();
        if (n == 0 || n > kMaxBatchCalls) {
          finish(absl::InvalidArgumentError(
              absl::StrCat("a batch has 1 to ", kMaxBatchCalls, " calls, not ", n)));
          return;
        }
        // Every result exists before any call runs: calls finish on several threads, each
        // writing only its own result; the last one to finish answers the batch.
        for (int i = 0; i < n; ++i) resp->add_results();
        auto left = std::make_shared<std::atomic<int>>(n);
        auto start = std::chrono::steady_clock::now();
        std::function<void()> one_done = [left, finish] {
          if (left->fetch_sub(1, std::memory_order_acq_rel) == 1) finish(absl::OkStatus());
        };
        for (int i = 0; i < n; ++i) {
          ServeBatchCall(req->calls(i), resp->mutable_results(i), start, one_done);
        }
      });
}

void BillingService::ServeBatchCall(const v1::BatchCall& call, v1::BatchResult* result,
                                    std::chrono::steady_clock::time_point start,
                                    std::function<void()> done) {
  // The call's status into its result, and into the metrics under its own method's name.
  auto record = [this, result, start, done](const char* method, const absl::Status& s) {
    result->set_code(static_cast<int32_t>(s.code()));
    result->set_message(std::string(s.message()));
    if (env_.metrics) {
      env_.metrics->Observe(
          method, static_cast<int>(s.code()),
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    done();
  };
  auto run = [this, record](const char* method, absl::StatusOr<BatchOp> op, bool alone,
                            std::function<absl::Status(const OpOutcome&)> answer) {
    if (!op.ok()) {
      record(method, op.status());
      return;
    }
    Dispatch(std::move(*op), alone,
             [record, method, answer](const OpOutcome& o) { record(method, answer(o)); });
  };
  switch (call.call_case()) {
    case v1::BatchCall::kHold:
      run("Hold", HoldOp(call.hold()), HoldRunsAlone(call.hold()),
          [this, result](const OpOutcome& o) {
            v1::HoldResponse r;
            absl::Status s = AnswerHold(o, &r);
            if (s.ok()) *result->mutable_hold() = std::move(r);
            return s;
          });
      return;
    case v1::BatchCall::kSettle:
      run("Settle", SettleOp(call.settle()), false, [this, result](const OpOutcome& o) {
        v1::SettleResponse r;
        absl::Status s = AnswerSettle(o, &r);
        if (s.ok()) *result->mutable_settle() = std::move(r);
        return s;
      });
      return;
    case v1::BatchCall::kVoidHold:
      run("Void", VoidOp(call.void_hold()), false, [this, result](const OpOutcome& o) {
        absl::Status s = AnswerVoid(o);
        if (s.ok()) result->mutable_void_hold();
        return s;
      });
      return;
    case v1::BatchCall::CALL_NOT_SET:
      break;
  }
  record("Batch", absl::InvalidArgumentError("a batch call is a hold, a settle or a void"));
}

}  // namespace llmgw::billing

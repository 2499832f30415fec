#pragma once
// The BillingService gRPC transport: validates requests with the domain rules, applies the margin,
// calls the BillingStore and translates results to protos. Every RPC requires the internal token.
//
// In-process use (tests of other services):
//   auto pool = pg::PgPool::Create({.url = url, .size = 8});
//   pg::ApplyMigrations(**pool, "billing", billing::billingMigrations());
//   billing::PgBillingStore store(**pool);
//   boost::asio::thread_pool workers(4);
//   billing::BillingService service(store, {token, &workers, nullptr});
//   auto server = grpcutil::GrpcServer::Start("127.0.0.1:0", {&service});

#include <chrono>
#include <cstdint>
#include <functional>

#include "libs/common/clock.h"
#include "libs/grpc/server.h"
#include "llmgw/billing/v1/billing.grpc.pb.h"
#include "services/billing/api/billing_metrics.h"
#include "services/billing/storage/billing_store.h"
#include "services/billing/storage/group_committer.h"

namespace llmgw::billing {

struct BillingServiceOptions {
  int64_t margin_percent = kDefaultMarginPercent;         // LLMGW_MARGIN_PERCENT, 0..1000
  std::chrono::seconds hold_ttl{kDefaultHoldTtlSeconds};  // LLMGW_HOLD_TTL_SECONDS
  // Set: Hold, Settle and Void are group-committed through it (LLMGW_BILLING_GROUP_COMMIT, on by
  // default); null: one transaction and one commit per call. Must outlive the service.
  GroupCommitter* group_commit = nullptr;
};

class BillingService final : public llmgw::billing::v1::BillingService::CallbackService {
 public:
  // `store`, `clock` and `metrics` (optional) must outlive the service.
  BillingService(BillingStore& store, grpcutil::HandlerEnv env, BillingServiceOptions options = {},
                 const Clock& clock = SystemClock::Get(), BillingMetrics* metrics = nullptr);

  // BillingService::CallbackService
  grpc::ServerUnaryReactor* ListPrices(grpc::CallbackServerContext* ctx,
                                       const v1::ListPricesRequest* req,
                                       v1::ListPricesResponse* resp) override;
  grpc::ServerUnaryReactor* SetPrices(grpc::CallbackServerContext* ctx,
                                      const v1::SetPricesRequest* req,
                                      v1::SetPricesResponse* resp) override;
  grpc::ServerUnaryReactor* ListPriceHistory(grpc::CallbackServerContext* ctx,
                                             const v1::ListPriceHistoryRequest* req,
                                             v1::ListPriceHistoryResponse* resp) override;
  grpc::ServerUnaryReactor* GetBalance(grpc::CallbackServerContext* ctx,
                                       const v1::GetBalanceRequest* req,
                                       v1::GetBalanceResponse* resp) override;
  grpc::ServerUnaryReactor* Charge(grpc::CallbackServerContext* ctx, const v1::ChargeRequest* req,
                                   v1::ChargeResponse* resp) override;
  grpc::ServerUnaryReactor* ListTransactions(grpc::CallbackServerContext* ctx,
                                             const v1::ListTransactionsRequest* req,
                                             v1::ListTransactionsResponse* resp) override;
  grpc::ServerUnaryReactor* Hold(grpc::CallbackServerContext* ctx, const v1::HoldRequest* req,
                                 v1::HoldResponse* resp) override;
  grpc::ServerUnaryReactor* ListBudgets(grpc::CallbackServerContext* ctx,
                                        const v1::ListBudgetsRequest* req,
                                        v1::ListBudgetsResponse* resp) override;
  grpc::ServerUnaryReactor* Settle(grpc::CallbackServerContext* ctx, const v1::SettleRequest* req,
                                   v1::SettleResponse* resp) override;
  grpc::ServerUnaryReactor* Void(grpc::CallbackServerContext* ctx, const v1::VoidRequest* req,
                                 v1::VoidResponse* resp) override;
  grpc::ServerUnaryReactor* Batch(grpc::CallbackServerContext* ctx, const v1::BatchRequest* req,
                                  v1::BatchResponse* resp) override;

  static constexpr int kMaxBatchCalls = 1000;

 private:
  // Hold, Settle and Void, as their own RPCs: `op` is the validated request, `answer` fills the
  // response from its outcome; in between the call runs alone or in a group commit (Dispatch).
  grpc::ServerUnaryReactor* ServeMoneyCall(grpc::CallbackServerContext* ctx, const char* method,
                                           absl::StatusOr<BatchOp> op, bool alone,
                                           std::function<absl::Status(const OpOutcome&)> answer);
  // One call of a Batch, answered into `result`; `done` runs once it is.
  void ServeBatchCall(const v1::BatchCall& call, v1::BatchResult* result,
                      std::chrono::steady_clock::time_point start, std::function<void()> done);
  // Runs `op` in the group commit, or alone on the worker pool (`alone`, or no group commit);
  // `done` gets its outcome, on whichever thread ran it.
  void Dispatch(BatchOp op, bool alone, std::function<void(const OpOutcome&)> done);

  // Each money call's request → call (validation), and outcome → response (with its metrics).
  absl::StatusOr<BatchOp> HoldOp(const v1::HoldRequest& req) const;
  static bool HoldRunsAlone(const v1::HoldRequest& req);
  absl::Status AnswerHold(const OpOutcome& r, v1::HoldResponse* resp);
  static absl::StatusOr<BatchOp> SettleOp(const v1::SettleRequest& req);
  absl::Status AnswerSettle(const OpOutcome& r, v1::SettleResponse* resp);
  static absl::StatusOr<BatchOp> VoidOp(const v1::VoidRequest& req);
  absl::Status AnswerVoid(const OpOutcome& r);

  BillingStore& store_;
  grpcutil::HandlerEnv env_;
  BillingServiceOptions options_;
  const Clock& clock_;
  BillingMetrics* metrics_;
};

// Copies a ledger entry into its proto.
void ToProto(const LedgerEntry& entry, v1::Transaction* out);
void ToProto(const PriceRow& row, v1::ModelPrice* out);
// The fields an operator sets (not id, origin, set_by, note).
PriceRow FromProto(const v1::ModelPrice& price);

}  // namespace llmgw::billing

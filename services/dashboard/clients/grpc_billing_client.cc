#include "services/dashboard/clients/grpc_billing_client.h"

namespace llmgw::dashboard {
namespace {

namespace pb = ::llmgw::billing::v1;
using Stub = pb::BillingService::Stub;

TransactionType FromProto(pb::TransactionType t) {
  switch (t) {
    case pb::TRANSACTION_TYPE_CHARGE:
      return TransactionType::kCharge;
    case pb::TRANSACTION_TYPE_USAGE:
      return TransactionType::kUsage;
    case pb::TRANSACTION_TYPE_REFUND:
      return TransactionType::kRefund;
    case pb::TRANSACTION_TYPE_ADJUSTMENT:
      return TransactionType::kAdjustment;
    default:
      return TransactionType::kUnspecified;
  }
}

Transaction FromProto(const pb::Transaction& t) {
  return Transaction{t.id(),          FromProto(t.type()),
                     t.amount_nano(), t.balance_after_nano(),
                     t.description(), t.created_at_unix_ms()};
}

}  // namespace

GrpcBillingClient::GrpcBillingClient(std::shared_ptr<grpc::Channel> channel,
                                     std::string internal_token, std::chrono::milliseconds timeout)
    : stub_(pb::BillingService::NewStub(channel)),
      opts_{std::move(internal_token), timeout, "billing"} {}

absl::StatusOr<Balance> GrpcBillingClient::GetBalance(const std::string& org_id) {
  pb::GetBalanceRequest req;
  req.set_organization_id(org_id);
  pb::GetBalanceResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::GetBalance, opts_, req, &resp);
  if (!s.ok()) return s;
  return Balance{resp.balance_nano(), resp.held_nano()};
}

absl::StatusOr<ChargeResult> GrpcBillingClient::Charge(const std::string& org_id,
                                                       const std::string& idempotency_key,
                                                       money::Nano amount_nano,
                                                       const std::string& description) {
  pb::ChargeRequest req;
  req.set_organization_id(org_id);
  req.set_idempotency_key(idempotency_key);
  req.set_amount_nano(amount_nano);
  req.set_description(description);
  pb::ChargeResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::Charge, opts_, req, &resp);
  if (!s.ok()) return s;
  return ChargeResult{resp.balance_nano(), FromProto(resp.transaction())};
}

absl::StatusOr<std::vector<Transaction>> GrpcBillingClient::ListTransactions(
    const std::string& org_id, int32_t limit) {
  pb::ListTransactionsRequest req;
  req.set_organization_id(org_id);
  req.set_limit(limit);
  pb::ListTransactionsResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::ListTransactions, opts_, req, &resp);
  if (!s.ok()) return s;
  std::vector<Transaction> out;
  out.reserve(resp.transactions_size());
  for (const pb::Transaction& t : resp.transactions()) out.push_back(FromProto(t));
  return out;
}

absl::StatusOr<std::vector<BudgetSpend>> GrpcBillingClient::ListBudgets(
    const std::string& org_id) {
  pb::ListBudgetsRequest req;
  req.set_organization_id(org_id);
  pb::ListBudgetsResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::ListBudgets, opts_, req, &resp);
  if (!s.ok()) return s;
  std::vector<BudgetSpend> out;
  for (const pb::BudgetSpend& b : resp.budgets()) {
    out.push_back({b.scope(), b.period(), b.spent_nano(), b.reserved_nano()});
  }
  return out;
}

}  // namespace llmgw::dashboard

#include "services/gateway/clients/billing_client.h"

#include <utility>

#include "libs/grpc/internal_token.h"
#include "libs/grpc/status.h"

namespace llmgw::gateway {
namespace {

namespace v1 = billing::v1;

// Owns everything one in-flight call needs until its callback runs.
template <typename Req, typename Resp, typename Result>
struct Call {
  grpc::ClientContext ctx;
  Req req;
  Resp resp;
  BillingHolds::Done<Result> done;
};

// Starts the call through `start(ctx, req, resp, callback)`; `convert(resp)` makes the result.
template <typename Req, typename Resp, typename Result, typename Start, typename Convert>
void Run(std::unique_ptr<Call<Req, Resp, Result>> call, Start start, Convert convert) {
  auto* c = call.release();
  start(&c->ctx, &c->req, &c->resp, [c, convert](grpc::Status status) {
    std::unique_ptr<Call<Req, Resp, Result>> owned(c);
    if (!status.ok()) {
      owned->done(grpcutil::FromGrpc(status));
      return;
    }
    owned->done(convert(owned->resp));
  });
}

}  // namespace

GrpcBillingClient::GrpcBillingClient(std::shared_ptr<grpc::Channel> channel,
                                     std::string internal_token, Deadlines deadlines)
    : stub_(v1::BillingService::NewStub(std::move(channel))),
      internal_token_(std::move(internal_token)),
      deadlines_(deadlines) {}

void GrpcBillingClient::Hold(HoldOrder order, Done<absl::StatusOr<HoldReceipt>> done) {
  using C = Call<v1::HoldRequest, v1::HoldResponse, absl::StatusOr<HoldReceipt>>;
  auto call = std::make_unique<C>();
  grpcutil::PrepareClientContext(call->ctx, internal_token_, deadlines_.hold);
  call->req.set_organization_id(std::move(order.organization_id));
  call->req.set_request_id(std::move(order.request_id));
  call->req.set_provider_cost_bound_nano(order.provider_cost_bound);
  call->req.set_budget_only(order.budget_only);
  for (BudgetSpec& b : order.budgets) {
    v1::BudgetLimit* limit = call->req.add_budgets();
    limit->set_scope(std::move(b.scope));
    limit->set_period(std::move(b.period));
    limit->set_limit_nano(b.limit);
  }
  call->done = std::move(done);
  Run(
      std::move(call),
      [this](auto* ctx, auto* req, auto* resp, auto cb) {
        stub_->async()->Hold(ctx, req, resp, std::move(cb));
      },
      [](const v1::HoldResponse& r) -> absl::StatusOr<HoldReceipt> {
        return HoldReceipt{r.held_nano(), r.expires_at_unix_ms(), r.margin_percent()};
      });
}

void GrpcBillingClient::Settle(std::string request_id, money::Nano provider_cost,
                               std::string description, Done<absl::StatusOr<SettleReceipt>> done) {
  using C = Call<v1::SettleRequest, v1::SettleResponse, absl::StatusOr<SettleReceipt>>;
  auto call = std::make_unique<C>();
  grpcutil::PrepareClientContext(call->ctx, internal_token_, deadlines_.settle);
  call->req.set_request_id(std::move(request_id));
  call->req.set_provider_cost_nano(provider_cost);
  call->req.set_description(std::move(description));
  call->done = std::move(done);
  Run(
      std::move(call),
      [this](auto* ctx, auto* req, auto* resp, auto cb) {
        stub_->async()->Settle(ctx, req, resp, std::move(cb));
      },
      [](const v1::SettleResponse& r) -> absl::StatusOr<SettleReceipt> {
        return SettleReceipt{r.provider_cost_nano(), r.margin_nano(),      r.total_nano(),
                             r.charged_nano(),       r.uncollected_nano(), r.balance_after_nano()};
      });
}

void GrpcBillingClient::Void(std::string request_id, Done<absl::Status> done) {
  using C = Call<v1::VoidRequest, v1::VoidResponse, absl::Status>;
  auto call = std::make_unique<C>();
  grpcutil::PrepareClientContext(call->ctx, internal_token_, deadlines_.void_hold);
  call->req.set_request_id(std::move(request_id));
  call->done = std::move(done);
  Run(
      std::move(call),
      [this](auto* ctx, auto* req, auto* resp, auto cb) {
        stub_->async()->Void(ctx, req, resp, std::move(cb));
      },
      [](const v1::VoidResponse&) { return absl::OkStatus(); });
}

}  // namespace llmgw::gateway

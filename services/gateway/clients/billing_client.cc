#include "services/gateway/clients/billing_client.h"

#include <algorithm>
#include <utility>

#include "libs/grpc/internal_token.h"
#include "libs/grpc/status.h"

namespace llmgw::gateway {
namespace {

namespace v1 = billing::v1;

// What is left of a deadline, for grpc::ClientContext (0 when it has passed: the RPC fails with
// DEADLINE_EXCEEDED at once).
std::chrono::milliseconds Remaining(std::chrono::steady_clock::time_point deadline) {
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now()));
}

// Owns everything one in-flight RPC needs until its callback runs.
template <typename Req, typename Resp>
struct Rpc {
  grpc::ClientContext ctx;
  Req req;
  Resp resp;
};

// Sends one call as the RPC of its kind through `start(ctx, req, resp, callback)`; `wrap(resp,
// result)` puts the response into the call's result.
template <typename Req, typename Resp, typename Start, typename Wrap>
void SendOne(const std::string& token, std::chrono::steady_clock::time_point deadline, Req req,
             GrpcBillingClient::CallDone done, Start start, Wrap wrap) {
  auto* rpc = new Rpc<Req, Resp>;
  grpcutil::PrepareClientContext(rpc->ctx, token, Remaining(deadline));
  rpc->req = std::move(req);
  start(&rpc->ctx, &rpc->req, &rpc->resp, [rpc, done = std::move(done), wrap](grpc::Status status) {
    absl::StatusOr<v1::BatchResult> result = v1::BatchResult();
    if (status.ok()) {
      wrap(std::move(rpc->resp), *result);
    } else {
      result = grpcutil::FromGrpc(status);
    }
    delete rpc;  // before `done`: after it the client may be gone
    done(std::move(result));
  });
}

// Gives each call of a batch its own result, or the status of the RPC that carried them all.
void AnswerBatch(const grpc::Status& status, v1::BatchResponse& resp,
                 std::vector<GrpcBillingClient::PendingCall>& calls) {
  const bool answered = status.ok() && resp.results_size() == static_cast<int>(calls.size());
  const absl::Status failed =
      status.ok() ? absl::InternalError("billing answered a batch with a wrong number of results")
                  : grpcutil::FromGrpc(status);
  for (size_t i = 0; i < calls.size(); ++i) {
    if (answered) {
      calls[i].done(std::move(*resp.mutable_results(static_cast<int>(i))));
    } else {
      calls[i].done(failed);
    }
  }
}

}  // namespace

absl::Status BatchResultStatus(const v1::BatchResult& result) {
  if (result.code() == 0) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(result.code()), result.message());
}

GrpcBillingClient::GrpcBillingClient(std::shared_ptr<grpc::Channel> channel,
                                     std::string internal_token, Deadlines deadlines,
                                     Coalescing coalescing)
    : stub_(v1::BillingService::NewStub(std::move(channel))),
      internal_token_(std::move(internal_token)),
      deadlines_(deadlines),
      coalescing_(coalescing) {}

GrpcBillingClient::GrpcBillingClient(std::shared_ptr<grpc::Channel> channel,
                                     std::string internal_token, Deadlines deadlines)
    : GrpcBillingClient(std::move(channel), std::move(internal_token), deadlines, Coalescing{}) {}

GrpcBillingClient::GrpcBillingClient(std::shared_ptr<grpc::Channel> channel,
                                     std::string internal_token)
    : GrpcBillingClient(std::move(channel), std::move(internal_token), Deadlines{}, Coalescing{}) {}

GrpcBillingClient::~GrpcBillingClient() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_.wait(lock, [this] { return callbacks_pending_ == 0; });
}

void GrpcBillingClient::CallbackDone() {
  std::lock_guard<std::mutex> lock(mu_);
  if (--callbacks_pending_ == 0) idle_.notify_all();
}

void GrpcBillingClient::Hold(HoldOrder order, Done<absl::StatusOr<HoldReceipt>> done) {
  PendingCall call{.deadline = std::chrono::steady_clock::now() + deadlines_.hold};
  v1::HoldRequest* req = call.call.mutable_hold();
  req->set_organization_id(std::move(order.organization_id));
  req->set_request_id(std::move(order.request_id));
  req->set_provider_cost_bound_nano(order.provider_cost_bound);
  req->set_budget_only(order.budget_only);
  for (BudgetSpec& b : order.budgets) {
    v1::BudgetLimit* limit = req->add_budgets();
    limit->set_scope(std::move(b.scope));
    limit->set_period(std::move(b.period));
    limit->set_limit_nano(b.limit);
  }
  call.done = [done = std::move(done)](absl::StatusOr<v1::BatchResult> r) {
    if (!r.ok()) return done(r.status());
    if (absl::Status s = BatchResultStatus(*r); !s.ok()) return done(s);
    const v1::HoldResponse& h = r->hold();
    done(HoldReceipt{h.held_nano(), h.expires_at_unix_ms(), h.margin_percent()});
  };
  Submit(std::move(call));
}

void GrpcBillingClient::Settle(std::string request_id, money::Nano provider_cost,
                               std::string description, Done<absl::StatusOr<SettleReceipt>> done) {
  PendingCall call{.deadline = std::chrono::steady_clock::now() + deadlines_.settle};
  v1::SettleRequest* req = call.call.mutable_settle();
  req->set_request_id(std::move(request_id));
  req->set_provider_cost_nano(provider_cost);
  req->set_description(std::move(description));
  call.done = [done = std::move(done)](absl::StatusOr<v1::BatchResult> r) {
    if (!r.ok()) return done(r.status());
    if (absl::Status s = BatchResultStatus(*r); !s.ok()) return done(s);
    const v1::SettleResponse& s = r->settle();
    done(SettleReceipt{s.provider_cost_nano(), s.margin_nano(), s.total_nano(), s.charged_nano(),
                       s.uncollected_nano(), s.balance_after_nano()});
  };
  Submit(std::move(call));
}

void GrpcBillingClient::Void(std::string request_id, Done<absl::Status> done) {
  PendingCall call{.deadline = std::chrono::steady_clock::now() + deadlines_.void_hold};
  call.call.mutable_void_hold()->set_request_id(std::move(request_id));
  call.done = [done = std::move(done)](absl::StatusOr<v1::BatchResult> r) {
    done(r.ok() ? BatchResultStatus(*r) : r.status());
  };
  Submit(std::move(call));
}

void GrpcBillingClient::Submit(PendingCall call) {
  const size_t lane = call.call.has_hold() ? kHoldLane : kSettleLane;
  std::vector<PendingCall> batch, expired;
  bool queued = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (coalescing_.max_in_flight > 0 && !batch_unsupported_) {
      lanes_[lane].queue.push_back(std::move(call));
      queued = true;
      batch = TakeQueued(lanes_[lane], expired);
    }
  }
  if (!queued) {
    SendAlone(std::move(call));
    return;
  }
  FailExpired(expired);
  // Empty: it goes with the lane's next batch, when one of its RPCs comes back.
  if (!batch.empty()) SendBatch(lane, std::move(batch));
}

void GrpcBillingClient::FailExpired(std::vector<PendingCall>& expired) {
  for (PendingCall& c : expired) {
    c.done(absl::DeadlineExceededError("billing call waited past its deadline"));
  }
}

std::vector<GrpcBillingClient::PendingCall> GrpcBillingClient::TakeQueued(
    Lane& lane, std::vector<PendingCall>& expired) {
  std::vector<PendingCall> batch;
  if (lane.queue.empty() || lane.in_flight >= coalescing_.max_in_flight) return batch;
  const size_t max = static_cast<size_t>(std::max(1, coalescing_.max_calls));
  const auto now = std::chrono::steady_clock::now();
  while (!lane.queue.empty() && batch.size() < max) {
    PendingCall& c = lane.queue.front();
    (c.deadline <= now ? expired : batch).push_back(std::move(c));
    lane.queue.pop_front();
  }
  if (batch.empty()) return batch;
  ++lane.in_flight;
  ++callbacks_pending_;
  return batch;
}

void GrpcBillingClient::SendBatch(size_t lane, std::vector<PendingCall> calls) {
  struct BatchRpc {
    grpc::ClientContext ctx;
    v1::BatchRequest req;
    v1::BatchResponse resp;
    std::vector<PendingCall> calls;
  };
  auto* rpc = new BatchRpc;
  // The batch waits as long as its most impatient call still may.
  auto deadline = calls.front().deadline;
  for (PendingCall& c : calls) {
    deadline = std::min(deadline, c.deadline);
    rpc->req.add_calls()->Swap(&c.call);  // the request owns the call now; no copy
  }
  rpc->calls = std::move(calls);
  grpcutil::PrepareClientContext(rpc->ctx, internal_token_, Remaining(deadline));
  stub_->async()->Batch(&rpc->ctx, &rpc->req, &rpc->resp, [this, lane, rpc](grpc::Status status) {
    std::unique_ptr<BatchRpc> owned(rpc);
    const bool unimplemented = status.error_code() == grpc::StatusCode::UNIMPLEMENTED;
    std::vector<PendingCall> next, expired;
    std::vector<PendingCall> stranded;
    {
      std::lock_guard<std::mutex> lock(mu_);
      --lanes_[lane].in_flight;
      if (unimplemented) {
        // An older billing: this batch's calls, and whatever queued behind it, one RPC each.
        batch_unsupported_ = true;
        for (Lane& l : lanes_) {
          for (PendingCall& c : l.queue) stranded.push_back(std::move(c));
          l.queue.clear();
        }
      } else {
        next = TakeQueued(lanes_[lane], expired);
      }
    }
    if (!next.empty()) SendBatch(lane, std::move(next));  // before answering: no added wait
    FailExpired(expired);
    if (unimplemented) {
      for (size_t i = 0; i < owned->calls.size(); ++i) {  // their calls back from the request
        owned->calls[i].call.Swap(owned->req.mutable_calls(static_cast<int>(i)));
        SendAlone(std::move(owned->calls[i]));
      }
      for (PendingCall& c : stranded) SendAlone(std::move(c));
    } else {
      AnswerBatch(status, owned->resp, owned->calls);
    }
    owned.reset();
    CallbackDone();
  });
}

void GrpcBillingClient::SendAlone(PendingCall call) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++callbacks_pending_;
  }
  v1::BillingService::Stub* stub = stub_.get();
  auto done = [this, done = std::move(call.done)](absl::StatusOr<v1::BatchResult> r) {
    done(std::move(r));
    CallbackDone();
  };
  switch (call.call.call_case()) {
    case v1::BatchCall::kHold:
      SendOne<v1::HoldRequest, v1::HoldResponse>(
          internal_token_, call.deadline, std::move(*call.call.mutable_hold()), done,
          [stub](auto* ctx, auto* req, auto* resp, auto cb) {
            stub->async()->Hold(ctx, req, resp, std::move(cb));
          },
          [](v1::HoldResponse resp, v1::BatchResult& out) {
            *out.mutable_hold() = std::move(resp);
          });
      return;
    case v1::BatchCall::kSettle:
      SendOne<v1::SettleRequest, v1::SettleResponse>(
          internal_token_, call.deadline, std::move(*call.call.mutable_settle()), done,
          [stub](auto* ctx, auto* req, auto* resp, auto cb) {
            stub->async()->Settle(ctx, req, resp, std::move(cb));
          },
          [](v1::SettleResponse resp, v1::BatchResult& out) {
            *out.mutable_settle() = std::move(resp);
          });
      return;
    case v1::BatchCall::kVoidHold:
      SendOne<v1::VoidRequest, v1::VoidResponse>(
          internal_token_, call.deadline, std::move(*call.call.mutable_void_hold()), done,
          [stub](auto* ctx, auto* req, auto* resp, auto cb) {
            stub->async()->Void(ctx, req, resp, std::move(cb));
          },
          [](v1::VoidResponse, v1::BatchResult& out) { out.mutable_void_hold(); });
      return;
    case v1::BatchCall::CALL_NOT_SET:
      break;
  }
  done(absl::InternalError("empty billing call"));
}

}  // namespace llmgw::gateway

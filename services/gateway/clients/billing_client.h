#pragma once
// BillingHolds over the billing gRPC service (callback API: no thread blocks on a call).
//
// Calls are coalesced on the wire: a call made while fewer than `max_in_flight` Batch RPCs are
// out goes at once (alone, when the gateway is quiet: no added wait); calls made while all are
// out wait for the first to come back and then go together in one Batch RPC. A busy gateway
// thus sends its holds, settles and voids dozens to a round trip instead of one RPC each, which
// is most of what a call costs billing and the gateway in CPU. Every call keeps its own answer
// and status, and its own deadline, counted from when it was made: a batch waits as long as its
// most impatient call still may, and a call whose deadline passed while it queued fails with
// DEADLINE_EXCEEDED without being sent. Holds (a request waits on them) and settles and voids
// (the settle queue's background work) go in separate lanes, each with its own RPCs in flight,
// so a backlog of settles never delays a request's hold. A billing that does not know Batch
// (UNIMPLEMENTED: an older version during a rolling upgrade) gets one RPC per call from then on.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "llmgw/billing/v1/billing.grpc.pb.h"
#include "services/gateway/clients/hold_ledger.h"

namespace llmgw::gateway {

class GrpcBillingClient final : public BillingHolds {
 public:
  struct Deadlines {
    // A hold sits before the upstream call: short, the client waits on it.
    std::chrono::milliseconds hold = std::chrono::seconds(2);
    std::chrono::milliseconds settle = std::chrono::seconds(5);
    std::chrono::milliseconds void_hold = std::chrono::seconds(5);
  };
  struct Coalescing {
    // Batch RPCs out at once per lane (holds; settles and voids); 0: no coalescing, one Hold,
    // Settle or Void RPC per call.
    int max_in_flight = 4;
    // Calls per Batch RPC (billing takes up to 1,000).
    int max_calls = 500;
  };
  GrpcBillingClient(std::shared_ptr<grpc::Channel> channel, std::string internal_token,
                    Deadlines deadlines, Coalescing coalescing);
  GrpcBillingClient(std::shared_ptr<grpc::Channel> channel, std::string internal_token,
                    Deadlines deadlines);
  GrpcBillingClient(std::shared_ptr<grpc::Channel> channel, std::string internal_token);
  // Waits until every RPC in flight has been answered (each within its deadline): their
  // callbacks use the client.
  ~GrpcBillingClient() override;
  GrpcBillingClient(const GrpcBillingClient&) = delete;
  GrpcBillingClient& operator=(const GrpcBillingClient&) = delete;

  // BillingHolds
  void Hold(HoldOrder order, Done<absl::StatusOr<HoldReceipt>> done) override;
  void Settle(std::string request_id, money::Nano provider_cost, std::string description,
              Done<absl::StatusOr<SettleReceipt>> done) override;
  void Void(std::string request_id, Done<absl::Status> done) override;

  // One call's way to billing and back: its result (code 0 and the response) or the status of
  // the RPC that carried it.
  using CallDone = std::function<void(absl::StatusOr<billing::v1::BatchResult>)>;
  struct PendingCall {
    billing::v1::BatchCall call;
    std::chrono::steady_clock::time_point deadline;
    CallDone done;
  };

 private:
  struct Lane {
    std::deque<PendingCall> queue;  // waiting for one of the lane's Batch RPCs to come back
    int in_flight = 0;              // the lane's Batch RPCs out
  };
  static constexpr size_t kHoldLane = 0, kSettleLane = 1;

  void Submit(PendingCall call);
  // Sends `calls` as one Batch RPC of `lane`; when it returns, sends what queued meanwhile in the
  // lane and answers them.
  void SendBatch(size_t lane, std::vector<PendingCall> calls);
  // Sends one call as its own RPC (Hold, Settle or Void).
  void SendAlone(PendingCall call);
  // Under mu_: the lane's queued calls for its next Batch RPC, counted in flight (empty when none
  // are queued or max_in_flight are out); the queued calls whose deadline has passed go to
  // `expired`.
  std::vector<PendingCall> TakeQueued(Lane& lane, std::vector<PendingCall>& expired);
  // Answers calls whose deadline passed while they queued (not under mu_).
  static void FailExpired(std::vector<PendingCall>& expired);
  // The last thing an RPC's callback does.
  void CallbackDone();

  std::unique_ptr<billing::v1::BillingService::Stub> stub_;
  std::string internal_token_;
  Deadlines deadlines_;
  Coalescing coalescing_;
  std::mutex mu_;
  std::condition_variable idle_;
  Lane lanes_[2];
  int callbacks_pending_ = 0;  // RPCs of any kind whose callback has not finished
  bool batch_unsupported_ = false;
};

// The status a batched call got: OK, or its own code and message.
absl::Status BatchResultStatus(const billing::v1::BatchResult& result);

}  // namespace llmgw::gateway

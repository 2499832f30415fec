#pragma once
// Group commit for Hold, Settle and Void: calls are queued, and committer threads take what is
// queued as one batch (BillingStore::ApplyBatch: one transaction, one durable commit), then
// answer every call with its own outcome. While one batch commits the next one queues, so the
// batch grows with the load and the commit cost is shared. A committer takes the calls of
// organizations no other batch in flight holds (PickBatch), so batches over many organizations
// lock disjoint balance rows and commit side by side; a settle or void names only its request,
// so the committer remembers the organization of the holds it placed (RecentHoldOrgs). When a batch
// fails (any SQL error, a concurrent replica creating the same hold, a deadlock) nothing of it was
// written and its calls run one by one on the single-call path, so one bad call cannot fail the
// others.
//
//   GroupCommitter committer(store, {.committers = 2});
//   committer.Start();
//   committer.Submit(op, [](const OpOutcome& o) { ... });  // called on a committer thread

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "services/billing/storage/billing_store.h"

namespace llmgw::billing {

class GroupCommitter {
 public:
  using Done = std::function<void(const OpOutcome&)>;
  struct Options {
    // Batches in flight at once: with two, one batch's statements overlap the other's commit.
    int committers = 2;
    size_t max_batch = 1000;
    // Batches this small run call by call (RunEachAlone), where a hold is one round trip.
    size_t alone_up_to = 2;
    // Called after every batch with its size and whether it fell back to one by one.
    std::function<void(size_t ops, bool fell_back)> on_batch;
  };
  GroupCommitter(BillingStore& store, Options options);
  ~GroupCommitter();  // Stop()

  // Calls submitted before Start wait in the queue for it.
  void Start();
  // Answers everything queued, then stops the threads. Calls submitted afterwards run one by one
  // on the caller's thread.
  void Stop();
  // Queues one call; `done` runs exactly once, on a committer thread, after its batch committed
  // (or failed). `done` must not block.
  void Submit(BatchOp op, Done done);
  // Submit and wait.
  OpOutcome Run(BatchOp op);

 private:
  struct Pending {
    BatchOp op;
    Done done;
    std::string org;  // canonical; "" when unknown (a settle of a hold placed elsewhere)
  };
  // The organization of recently placed holds by request id: a fixed table of slots (a newer
  // hold takes an older one's slot), so memory stays bounded whatever the traffic. A hint for
  // scheduling only: the batch reads the hold's organization from the database.
  class RecentHoldOrgs {
   public:
    void Remember(const std::string& request_id, const std::string& org);
    std::string Find(const std::string& request_id) const;  // "" when not remembered

   private:
    struct Slot {
      size_t hash = 0;
      uint32_t org = 0;  // index into orgs_ + 1; 0: empty
    };
    static constexpr size_t kSlots = size_t{1} << 18;
    static constexpr size_t kMaxOrgs = size_t{1} << 20;
    std::vector<Slot> slots_ = std::vector<Slot>(kSlots);
    std::vector<std::string> orgs_;
    std::unordered_map<std::string, uint32_t> org_index_;
  };
  void Loop(size_t committer);
  // Under mu_: moves the calls PickBatch chooses from queue_ into `batch`.
  void TakeBatch(size_t committer, std::vector<Pending>& batch);
  void Commit(std::vector<Pending>& batch);

  BillingStore& store_;
  Options options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  bool accepting_ = true;  // until Stop
  std::vector<std::thread> threads_;
  // Per committer: the organizations of its batch in flight.
  std::vector<std::set<std::string, std::less<>>> busy_;
  RecentHoldOrgs hold_orgs_;
};

// One call on the single-call path (BillingStore::Hold, Settle or Void) as an OpOutcome.
OpOutcome RunAlone(BillingStore& store, const BatchOp& op);
// Each call on the single-call path, holds first; outcomes in the calls' order.
std::vector<OpOutcome> RunEachAlone(BillingStore& store, const std::vector<BatchOp>& ops);

}  // namespace llmgw::billing

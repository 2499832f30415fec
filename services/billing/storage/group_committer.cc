#include "services/billing/storage/group_committer.h"

#include <future>

#include "libs/common/log.h"
#include "libs/common/thread.h"

namespace llmgw::billing {

OpOutcome RunAlone(BillingStore& store, const BatchOp& op) {
  OpOutcome out;
  switch (op.kind) {
    case BatchOpKind::kHold: {
      absl::StatusOr<HoldResult> r =
          store.Hold(op.org_id, op.request_id, op.amount, op.margin_percent, op.expires_at_unix_ms,
                     op.budgets);
      out.status = r.status();
      if (r.ok()) {
        out.replayed = r->replayed;
        out.hold_amount = r->amount;
        out.expires_at_unix_ms = r->expires_at_unix_ms;
        out.margin_percent = r->margin_percent;
      }
      break;
    }
    case BatchOpKind::kSettle: {
      absl::StatusOr<SettleResult> r =
          store.Settle(op.request_id, op.provider_cost, op.description);
      out.status = r.status();
      if (r.ok()) {
        out.replayed = r->replayed;
        out.settlement = r->settlement;
      }
      break;
    }
    case BatchOpKind::kVoid:
      out.status = store.Void(op.request_id);
      break;
  }
  return out;
}

std::vector<OpOutcome> RunEachAlone(BillingStore& store, const std::vector<BatchOp>& ops) {
  std::vector<OpOutcome> out(ops.size());
  // Holds first: a request waits for its hold, while settles and voids have no one waiting on the
  // request path. Calls of one batch are concurrent, so any order is one they could have had.
  for (bool holds : {true, false}) {
    for (size_t i = 0; i < ops.size(); ++i) {
      if ((ops[i].kind == BatchOpKind::kHold) == holds) out[i] = RunAlone(store, ops[i]);
    }
  }
  return out;
}

GroupCommitter::GroupCommitter(BillingStore& store, Options options)
    : store_(store), options_(std::move(options)) {}

GroupCommitter::~GroupCommitter() { Stop(); }

void GroupCommitter::RecentHoldOrgs::Remember(const std::string& request_id,
                                              const std::string& org) {
  if (orgs_.size() >= kMaxOrgs) {  // a bound on memory, not a limit on organizations
    orgs_.clear();
    org_index_.clear();
    slots_.assign(kSlots, Slot{});
  }
  auto [it, added] = org_index_.try_emplace(org, static_cast<uint32_t>(orgs_.size() + 1));
  if (added) orgs_.push_back(org);
  const size_t hash = std::hash<std::string>{}(request_id);
  slots_[hash % kSlots] = Slot{hash, it->second};
}

std::string GroupCommitter::RecentHoldOrgs::Find(const std::string& request_id) const {
  const size_t hash = std::hash<std::string>{}(request_id);
  const Slot& slot = slots_[hash % kSlots];
  if (slot.org == 0 || slot.hash != hash) return "";
  return orgs_[slot.org - 1];
}

void GroupCommitter::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!accepting_ || !threads_.empty()) return;
  const size_t committers = static_cast<size_t>(std::max(1, options_.committers));
  busy_.assign(committers, {});
  for (size_t i = 0; i < committers; ++i) {
    threads_.emplace_back([this, i] {
      threads::NameThisThread("billing-commit");
      Loop(i);
    });
  }
}

void GroupCommitter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    accepting_ = false;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  // Never started: what was queued is answered here.
  std::vector<Pending> rest;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (Pending& p : queue_) rest.push_back(std::move(p));
    queue_.clear();
  }
  if (!rest.empty()) Commit(rest);
}

void GroupCommitter::Submit(BatchOp op, Done done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (accepting_) {
      std::string org;
      if (op.kind == BatchOpKind::kHold) {
        org = CanonicalOrgId(op.org_id);
        hold_orgs_.Remember(op.request_id, org);
      } else {
        org = hold_orgs_.Find(op.request_id);
      }
      queue_.push_back({std::move(op), std::move(done), std::move(org)});
      cv_.notify_one();
      return;
    }
  }
  done(RunAlone(store_, op));
}

OpOutcome GroupCommitter::Run(BatchOp op) {
  std::promise<OpOutcome> result;
  std::future<OpOutcome> future = result.get_future();
  Submit(std::move(op), [&result](const OpOutcome& o) { result.set_value(o); });
  return future.get();
}

void GroupCommitter::Loop(size_t committer) {
  std::vector<Pending> batch;
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return !queue_.empty() || !accepting_; });
    if (queue_.empty()) return;  // stopped and drained
    TakeBatch(committer, batch);
    lock.unlock();
    Commit(batch);
    lock.lock();
    busy_[committer].clear();
    // Calls left queued because they conflicted with this batch can go now.
    if (!queue_.empty()) cv_.notify_one();
  }
}

void GroupCommitter::TakeBatch(size_t committer, std::vector<Pending>& batch) {
  std::set<std::string, std::less<>> busy;
  for (size_t i = 0; i < busy_.size(); ++i) {
    if (i != committer) busy.insert(busy_[i].begin(), busy_[i].end());
  }
  std::vector<std::string_view> orgs;
  orgs.reserve(queue_.size());
  for (const Pending& p : queue_) orgs.push_back(p.org);
  std::vector<size_t> picked = PickBatch(orgs, busy, options_.max_batch);
  batch.clear();
  std::deque<Pending> rest;
  size_t next = 0;
  for (size_t i = 0; i < queue_.size(); ++i) {
    if (next < picked.size() && picked[next] == i) {
      if (!queue_[i].org.empty()) busy_[committer].insert(queue_[i].org);
      batch.push_back(std::move(queue_[i]));
      ++next;
    } else {
      rest.push_back(std::move(queue_[i]));
    }
  }
  queue_.swap(rest);
}

void GroupCommitter::Commit(std::vector<Pending>& batch) {
  std::vector<BatchOp> ops;
  ops.reserve(batch.size());
  for (const Pending& p : batch) ops.push_back(p.op);
  // A batch of one or two runs call by call: the one-call paths are exact by definition and
  // take fewer round trips (a hold is one statement) than a batch's five and its fresh plan.
  absl::StatusOr<std::vector<OpOutcome>> outcomes =
      ops.size() <= options_.alone_up_to ? RunEachAlone(store_, ops) : store_.ApplyBatch(ops);
  const bool fell_back = !outcomes.ok();  // nothing of the batch was written
  if (fell_back) {
    // ABORTED (a concurrent replica) and UNIMPLEMENTED (no batched path) are expected.
    if (outcomes.status().code() != absl::StatusCode::kAborted &&
        outcomes.status().code() != absl::StatusCode::kUnimplemented) {
      log::Warn("billing batch failed, running its calls one by one",
                {{"ops", ops.size()}, {"error", std::string(outcomes.status().message())}});
    }
    outcomes.emplace();
    outcomes->reserve(ops.size());
    for (const BatchOp& op : ops) outcomes->push_back(RunAlone(store_, op));
  }
  if (options_.on_batch) options_.on_batch(ops.size(), fell_back);
  for (size_t i = 0; i < batch.size(); ++i) batch[i].done((*outcomes)[i]);
}

}  // namespace llmgw::billing

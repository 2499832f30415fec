// llmgw-billing-load: holds + settles per second against a running llmgw-billing.
//
// Tops up --orgs organizations, then --workers concurrent workers each loop Hold → Settle (unique
// request ids, asynchronous calls) for --seconds, spreading requests over the orgs (--orgs 1: one
// hot org, every hold on the same balance row). Prints one JSON line: pairs/s and Hold/Settle
// latency percentiles (µs), and checks the ledger arithmetic from the outside: final balance =
// top-up − sum of charged totals. With --database-url it then checks the money invariants over the
// whole billing schema (balance = Σ ledger, held = Σ open holds, none negative, one ledger entry
// per request id, …) and prints each with its count of violating rows.
//
//   LLMGW_INTERNAL_TOKEN=… llmgw-billing-load --addr 127.0.0.1:50053 --orgs 100 --workers 16
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "libs/common/crypto.h"
#include "libs/grpc/internal_token.h"
#include "libs/pg/pool.h"
#include "llmgw/billing/v1/billing.grpc.pb.h"
#include "services/billing/storage/billing_invariants.h"
#include "services/gateway/clients/billing_client.h"

namespace pb = llmgw::billing::v1;
using Clock = std::chrono::steady_clock;

int64_t Pct(std::vector<int64_t>& v, double p) {
  if (v.empty()) return 0;
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p / 100 * v.size()));
  std::nth_element(v.begin(), v.begin() + i, v.end());
  return v[i];
}

// {"name":violations,...} over the billing schema at `url`, or {"error":"..."}.
std::string InvariantsJson(const std::string& url) {
  auto pool = llmgw::pg::PgPool::Create({.url = url, .size = 1});
  if (!pool.ok()) return "{\"error\":\"database unreachable\"}";
  auto report = llmgw::billing::test::InvariantReport(**pool);
  if (!report.ok()) return "{\"error\":\"invariant queries failed\"}";
  std::string out = "{";
  for (const auto& r : *report) {
    absl::StrAppend(&out, out.size() > 1 ? "," : "", "\"", r.name, "\":", r.violations);
  }
  return out + "}";
}

struct Options {
  std::string addr = "127.0.0.1:50053";
  std::string database_url;
  int orgs = 1, workers = 16, seconds = 5;
  bool coalesce = true;
  std::string token;
};

// The flags, or nullopt (after printing the usage) when one is unknown.
std::optional<Options> ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--addr") {
      o.addr = v;
    } else if (a == "--orgs") {
      o.orgs = std::atoi(v.c_str());
    } else if (a == "--workers") {
      o.workers = std::atoi(v.c_str());
    } else if (a == "--seconds") {
      o.seconds = std::atoi(v.c_str());
    } else if (a == "--database-url") {
      o.database_url = v;
    } else if (a == "--coalesce") {
      o.coalesce = v != "0";
    } else {
      std::fprintf(stderr,
                   "usage: llmgw-billing-load [--addr H:P] [--orgs N] [--workers N] [--seconds N] "
                   "[--coalesce 1|0] [--database-url URL]\n");
      return std::nullopt;
    }
  }
  const char* tok = std::getenv("LLMGW_INTERNAL_TOKEN");
  o.token = tok ? tok : "";
  return o;
}

constexpr int64_t kTopUp = 1'000'000 * 1'000'000'000LL;  // $1M: never the limit here

void PrepareContext(grpc::ClientContext& c, const Options& o) {
  llmgw::grpcutil::PrepareClientContext(c, o.token, std::chrono::seconds(10));
}

// `o.orgs` new organizations, each topped up with kTopUp; empty when a top-up failed.
std::vector<std::string> TopUpOrgs(pb::BillingService::Stub& stub, const Options& o) {
  std::vector<std::string> org_ids;
  for (int i = 0; i < o.orgs; ++i) {
    org_ids.push_back(llmgw::crypto::RandomUuid());
    pb::ChargeRequest req;
    req.set_organization_id(org_ids.back());
    req.set_idempotency_key(llmgw::crypto::RandomUuid());
    req.set_amount_nano(kTopUp);
    pb::ChargeResponse resp;
    grpc::ClientContext c;
    PrepareContext(c, o);
    grpc::Status s = stub.Charge(&c, req, &resp);
    if (!s.ok()) {
      std::fprintf(stderr, "charge failed: %s\n", s.error_message().c_str());
      return {};
    }
  }
  return org_ids;
}

struct LoadResult {
  int64_t pairs = 0, errors = 0;
  double seconds = 0;
  std::vector<int64_t> hold_us, settle_us;
  std::vector<int64_t> charged_per_org;
};

// Every worker is a chain of asynchronous calls: Hold, then its Settle, then the next Hold, each
// started from the previous call's callback; no thread per worker, so the load client's own CPU
// stays small beside billing's and PostgreSQL's. The calls go through the gateway's own billing
// client: --coalesce 1 (the gateway's default) sends concurrent calls together in Batch RPCs,
// --coalesce 0 one Hold or Settle RPC per call.
LoadResult RunLoad(const Options& o, const std::vector<std::string>& org_ids) {
  llmgw::gateway::GrpcBillingClient client(
      llmgw::grpcutil::MakeChannel(o.addr), o.token,
      {.hold = std::chrono::seconds(10), .settle = std::chrono::seconds(10)},
      {.max_in_flight = o.coalesce ? 4 : 0});
  std::atomic<bool> stop{false};
  std::atomic<int64_t> pairs{0}, errors{0};
  std::atomic<int> running{o.workers};
  std::mutex mu;
  std::condition_variable all_done;
  LoadResult out;
  std::vector<std::atomic<int64_t>> charged(o.orgs);
  struct Worker {
    int index = 0;
    int64_t n = 0;
    std::vector<int64_t> h, s;
  };
  std::vector<Worker> pool(o.workers);
  for (int w = 0; w < o.workers; ++w) pool[w].index = w;
  auto micros = [](Clock::duration d) {
    return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  };
  std::function<void(Worker*)> next_hold = [&](Worker* wk) {
    if (stop) {
      std::lock_guard<std::mutex> lock(mu);
      out.hold_us.insert(out.hold_us.end(), wk->h.begin(), wk->h.end());
      out.settle_us.insert(out.settle_us.end(), wk->s.begin(), wk->s.end());
      if (--running == 0) all_done.notify_all();
      return;
    }
    const int org = static_cast<int>((wk->n++ * o.workers + wk->index) % o.orgs);
    std::string rid = llmgw::crypto::RandomUuid();
    const auto t0 = Clock::now();
    auto settled = [&, wk, org, t0](Clock::time_point t1,
                                    absl::StatusOr<llmgw::gateway::SettleReceipt> r) {
      if (!r.ok()) {
        ++errors;
        return next_hold(wk);
      }
      charged[org] += r->charged;
      wk->h.push_back(micros(t1 - t0));
      wk->s.push_back(micros(Clock::now() - t1));
      ++pairs;
      next_hold(wk);
    };
    client.Hold({.organization_id = org_ids[org], .request_id = rid, .provider_cost_bound = 50'000},
                [&, wk, rid, settled](absl::StatusOr<llmgw::gateway::HoldReceipt> held) {
                  if (!held.ok()) {
                    ++errors;
                    return next_hold(wk);
                  }
                  const auto t1 = Clock::now();
                  client.Settle(rid, 12'345, "",
                                [settled, t1](absl::StatusOr<llmgw::gateway::SettleReceipt> r) {
                                  settled(t1, std::move(r));
                                });
                });
  };
  const auto start = Clock::now();
  for (Worker& wk : pool) next_hold(&wk);
  std::this_thread::sleep_for(std::chrono::seconds(o.seconds));
  stop = true;
  {
    std::unique_lock<std::mutex> lock(mu);
    all_done.wait(lock, [&] { return running == 0; });
  }
  out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  out.pairs = pairs;
  out.errors = errors;
  for (auto& c : charged) out.charged_per_org.push_back(c);
  return out;
}

// Organizations whose balance is not the top-up minus what their settles charged, or that still
// hold something.
int BalanceMismatches(pb::BillingService::Stub& stub, const Options& o,
                      const std::vector<std::string>& org_ids, const LoadResult& r) {
  int mismatches = 0;
  for (int i = 0; i < o.orgs; ++i) {
    pb::GetBalanceRequest req;
    req.set_organization_id(org_ids[i]);
    pb::GetBalanceResponse resp;
    grpc::ClientContext c;
    PrepareContext(c, o);
    if (!stub.GetBalance(&c, req, &resp).ok() ||
        resp.balance_nano() != kTopUp - r.charged_per_org[i] || resp.held_nano() != 0) {
      ++mismatches;
    }
  }
  return mismatches;
}

int main(int argc, char** argv) {
  std::optional<Options> o = ParseOptions(argc, argv);
  if (!o) return 2;
  auto stub = pb::BillingService::NewStub(llmgw::grpcutil::MakeChannel(o->addr));
  const std::vector<std::string> org_ids = TopUpOrgs(*stub, *o);
  if (org_ids.empty()) return 1;
  LoadResult r = RunLoad(*o, org_ids);
  const int mismatches = BalanceMismatches(*stub, *o, org_ids, r);
  std::printf(
      "{\"orgs\":%d,\"workers\":%d,\"coalesce\":%s,\"pairs\":%lld,\"pairs_per_s\":%.0f,"
      "\"errors\":%lld,\"hold_us\":{\"p50\":%lld,\"p99\":%lld},"
      "\"settle_us\":{\"p50\":%lld,\"p99\":%lld},\"balance_mismatches\":%d,\"invariants\":%s}\n",
      o->orgs, o->workers, o->coalesce ? "true" : "false", static_cast<long long>(r.pairs),
      r.pairs / r.seconds, static_cast<long long>(r.errors),
      static_cast<long long>(Pct(r.hold_us, 50)), static_cast<long long>(Pct(r.hold_us, 99)),
      static_cast<long long>(Pct(r.settle_us, 50)), static_cast<long long>(Pct(r.settle_us, 99)),
      mismatches, o->database_url.empty() ? "null" : InvariantsJson(o->database_url).c_str());
  return 0;
}

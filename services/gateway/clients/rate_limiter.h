#pragma once
// Where the rate limits' state lives (domain/rate_limit.h decides).
//
// LocalRateLimiter: in this process (one gateway, LLMGW_REDIS_URL unset).
// RedisRateLimiter: in a shared Redis (several replicas), one Lua script per check, atomically
// over every scope and both dimensions, timed by the Redis server's clock so replicas with skewed
// clocks agree. Redis unreachable or failing: each replica decides alone at its share of every
// limit (limit / replicas, rounded up), marks the decisions `fallback`, logs one line when it
// starts and one when Redis is back, and shows it in llmgw_gateway_rate_limit_fallback.
//
// Redis keys: "llmgw:rl:<scope key>:r" (requests) and ":t" (tokens), each a TAT in µs of Redis
// time, set with a PX expiry one second past the TAT: an idle key vanishes once it is equivalent
// to no key.

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/common/clock.h"
#include "services/gateway/domain/rate_limit.h"

namespace llmgw::gateway {

class RateLimiter {
 public:
  using Done = std::function<void(RateDecision)>;
  virtual ~RateLimiter() = default;
  // Asynchronous: `done` exactly once, on any thread (possibly before returning). Never fails: a
  // backend error makes the implementation decide locally (fallback = true). Scopes without any
  // limit cost nothing (no lock, no Redis round trip).
  virtual void Acquire(std::vector<LimitScope> scopes, int64_t token_bound, Done done) = 0;
  // Fire and forget: corrects the token reservation of an admitted request.
  virtual void Correct(std::vector<LimitScope> scopes, int64_t reserved_tokens,
                       int64_t actual_tokens) = 0;
};

// llmgw_gateway_rate_limit_checks_total{backend="redis|local|fallback",result="allowed|refused"}
// (checks of requests with at least one limit) and llmgw_gateway_rate_limit_fallback (1 while
// Redis is unreachable and the replica decides alone).
class RateLimiterMetrics {
 public:
  enum class Backend { kRedis = 0, kLocal = 1, kFallback = 2 };
  explicit RateLimiterMetrics(prometheus::Registry& registry);
  void CountCheck(Backend backend, bool allowed);
  void SetFallback(bool on) { fallback_.Set(on ? 1 : 0); }

 private:
  std::array<std::array<prometheus::Counter*, 2>, 3> checks_{};
  prometheus::Gauge& fallback_;
};

class LocalRateLimiter final : public RateLimiter {
 public:
  // `share_divisor` N > 1 enforces limit / N (rounded up, at least 1): the fallback's share.
  // `metrics` (may be null) counts checks as backend "local".
  explicit LocalRateLimiter(int64_t share_divisor = 1, const Clock& clock = SystemClock::Get(),
                            std::unique_ptr<RateLimiterMetrics> metrics = nullptr);

  // RateLimiter: both decide inline, on the calling thread.
  void Acquire(std::vector<LimitScope> scopes, int64_t token_bound, Done done) override;
  void Correct(std::vector<LimitScope> scopes, int64_t reserved_tokens,
               int64_t actual_tokens) override;

  RateDecision Decide(const std::vector<LimitScope>& scopes, int64_t token_bound);
  size_t KeyCount() const;  // scopes with state now (idle ones are forgotten as it goes)

 private:
  std::vector<LimitScope> Shares(const std::vector<LimitScope>& scopes) const;
  void MaybeEvict(int64_t now_us);  // under mu_

  const int64_t share_divisor_;
  const Clock& clock_;
  const std::unique_ptr<RateLimiterMetrics> metrics_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, ScopeTats> tats_;
  size_t ops_since_sweep_ = 0;
};

struct RedisEndpoint {
  std::string host;
  int port = 6379;
  int db = 0;
  std::string username;  // Redis 6 ACL user; empty: AUTH with the password alone
  std::string password;  // never logged
};
// "redis://[[user]:password@]host[:port][/db]". Errors never repeat the password.
absl::StatusOr<RedisEndpoint> ParseRedisUrl(const std::string& url);

struct RateLimiterOptions {
  std::string redis_url;  // LLMGW_REDIS_URL; empty: LocalRateLimiter
  // LLMGW_RATE_LIMIT_REPLICAS: how many gateway replicas share Redis. When Redis is unreachable a
  // replica enforces limit / replicas (rounded up, at least 1).
  int64_t replicas = 2;
  int connections = 2;  // worker threads, one blocking Redis connection each
  std::chrono::milliseconds connect_timeout{100};
  std::chrono::milliseconds command_timeout{50};
  // After a failure Redis is tried again after retry_min, doubled per failure up to retry_max;
  // in between every check is decided locally without waiting.
  std::chrono::milliseconds retry_min{100};
  std::chrono::milliseconds retry_max{5'000};
  size_t max_queue = 10'000;  // checks waiting for a worker beyond this are decided locally
  prometheus::Registry* registry = nullptr;  // the metrics above when set
};

class RedisRateLimiter final : public RateLimiter {
 public:
  // Starts the workers; connects lazily (an unreachable Redis at start means fallback).
  static absl::StatusOr<std::unique_ptr<RedisRateLimiter>> Start(const RateLimiterOptions& o);
  ~RedisRateLimiter() override;  // stops the workers; queued checks are decided locally
  RedisRateLimiter(const RedisRateLimiter&) = delete;
  RedisRateLimiter& operator=(const RedisRateLimiter&) = delete;

  // RateLimiter
  void Acquire(std::vector<LimitScope> scopes, int64_t token_bound, Done done) override;
  void Correct(std::vector<LimitScope> scopes, int64_t reserved_tokens,
               int64_t actual_tokens) override;

  bool InFallback() const { return fallback_.load(); }

 private:
  struct Job {
    bool correct = false;
    bool probe = false;  // the one check that tries Redis again while in fallback
    std::vector<LimitScope> scopes;
    int64_t token_bound = 0;                         // Acquire
    int64_t reserved_tokens = 0, actual_tokens = 0;  // Correct
    Done done;
  };
  class Connection;

  RedisRateLimiter(const RateLimiterOptions& o, RedisEndpoint endpoint);
  void Work(int index);
  // Queues `job` for a worker, or decides it locally (fallback, or the queue full).
  void Submit(Job job);
  // Whether a new job goes to Redis: always while it answers; in fallback, one probe (`probe`
  // set) once the retry time has come.
  bool ClaimRedis(bool& probe);
  void Run(Job& job, Connection& conn);
  void RunLocally(Job& job);
  void EnterFallback(const std::string& error);
  void LeaveFallback();
  void Count(RateLimiterMetrics::Backend backend, const RateDecision& d);

  const RateLimiterOptions options_;
  const RedisEndpoint endpoint_;
  std::unique_ptr<RateLimiterMetrics> metrics_;
  LocalRateLimiter local_;  // the fallback, at the local share

  std::atomic<bool> fallback_{false};
  std::atomic<int64_t> retry_at_ms_{0};  // steady clock
  std::mutex state_mu_;                  // fallback transitions and backoff_
  std::chrono::milliseconds backoff_{0};

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

// options.redis_url empty: a LocalRateLimiter; else a RedisRateLimiter (error: a malformed URL).
absl::StatusOr<std::unique_ptr<RateLimiter>> MakeRateLimiter(const RateLimiterOptions& options);

}  // namespace llmgw::gateway

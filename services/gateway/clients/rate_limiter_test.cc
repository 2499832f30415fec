#include "services/gateway/clients/rate_limiter.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <future>
#include <map>
#include <random>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace llmgw::gateway {
namespace {

using std::chrono::milliseconds;

LimitScope Scope(std::string key, int64_t rpm, int64_t tpm) { return {std::move(key), {rpm, tpm}}; }

RateDecision AcquireSync(RateLimiter& limiter, std::vector<LimitScope> scopes, int64_t tokens) {
  std::promise<RateDecision> p;
  std::atomic<int> calls{0};
  limiter.Acquire(std::move(scopes), tokens, [&](RateDecision d) {
    ++calls;
    p.set_value(std::move(d));
  });
  RateDecision d = p.get_future().get();
  EXPECT_EQ(calls.load(), 1);
  return d;
}

// A key no other test (or earlier run on the same Redis) uses.
std::string UniqueKey(absl::string_view kind) {
  static std::mt19937_64 rng(std::random_device{}());
  return absl::StrCat(kind, ":test-", rng());
}

// ---- LocalRateLimiter ----

TEST(LocalRateLimiterTest, DecidesInlineAndRefusesPastTheLimit) {
  FakeClock clock;
  LocalRateLimiter limiter(1, clock);
  const std::vector<LimitScope> scopes = {Scope("cred:a", 60, 0)};
  int admitted = 0;
  for (int i = 0; i < 100; ++i) {
    bool called = false;
    limiter.Acquire(scopes, 0, [&](RateDecision d) {
      called = true;
      admitted += d.allowed;
      EXPECT_FALSE(d.fallback);
    });
    ASSERT_TRUE(called);  // before Acquire returned
  }
  EXPECT_EQ(admitted, 60);
  clock.Advance(milliseconds(1000));
  EXPECT_TRUE(limiter.Decide(scopes, 0).allowed);
  EXPECT_FALSE(limiter.Decide(scopes, 0).allowed);
}

TEST(LocalRateLimiterTest, ShareDivisorEnforcesTheLocalShare) {
  FakeClock clock;
  LocalRateLimiter limiter(2, clock);
  int admitted = 0;
  for (int i = 0; i < 100; ++i) admitted += limiter.Decide({Scope("k", 61, 0)}, 0).allowed;
  EXPECT_EQ(admitted, 31);
  RateDecision d = limiter.Decide({Scope("t", 0, 1000)}, 400);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.limit_tokens, 500);
  EXPECT_EQ(d.remaining_tokens, 100);
  EXPECT_FALSE(limiter.Decide({Scope("t", 0, 1000)}, 200).allowed);
}

TEST(LocalRateLimiterTest, CorrectionRefundsTokens) {
  FakeClock clock;
  LocalRateLimiter limiter(1, clock);
  const std::vector<LimitScope> scopes = {Scope("cred:a", 0, 1000), Scope("org:o", 100, 5000)};
  ASSERT_TRUE(limiter.Decide(scopes, 800).allowed);
  EXPECT_FALSE(limiter.Decide(scopes, 800).allowed);
  limiter.Correct(scopes, 800, 100);
  RateDecision d = limiter.Decide(scopes, 800);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining_tokens, 100);
  limiter.Correct(scopes, 800, 900);  // overcharge: 100 more
  EXPECT_FALSE(limiter.Decide(scopes, 1).allowed);
}

TEST(LocalRateLimiterTest, ForgetsIdleKeys) {
  FakeClock clock;
  LocalRateLimiter limiter(1, clock);
  for (int i = 0; i < 3000; ++i) {
    ASSERT_TRUE(limiter.Decide({Scope(absl::StrCat("cred:", i), 10, 0)}, 0).allowed);
  }
  EXPECT_EQ(limiter.KeyCount(), 3000u);
  clock.Advance(milliseconds(6'001));  // one request of 10 rpm is 6 s
  for (int i = 0; i < 4000; ++i) limiter.Decide({Scope("hot", 1'000'000'000, 0)}, 0);
  EXPECT_EQ(limiter.KeyCount(), 1u);
}

TEST(LocalRateLimiterTest, UnlimitedScopesKeepNoState) {
  LocalRateLimiter limiter;
  RateDecision d = AcquireSync(limiter, {Scope("cred:a", 0, 0), Scope("org:o", 0, 0)}, 1000);
  EXPECT_TRUE(d.allowed);
  EXPECT_FALSE(d.limits_requests);
  EXPECT_FALSE(d.limits_tokens);
  EXPECT_EQ(limiter.KeyCount(), 0u);
}

TEST(RateLimiterMetricsTest, CountsLocalChecks) {
  prometheus::Registry registry;
  auto limiter = MakeRateLimiter({.registry = &registry});
  ASSERT_TRUE(limiter.ok());
  AcquireSync(**limiter, {Scope("cred:a", 1, 0)}, 0);
  AcquireSync(**limiter, {Scope("cred:a", 1, 0)}, 0);
  AcquireSync(**limiter, {Scope("cred:a", 0, 0)}, 0);  // no limit: not a check
  std::map<std::string, double> got;
  for (const auto& family : registry.Collect()) {
    if (family.name != "llmgw_gateway_rate_limit_checks_total") continue;
    for (const auto& m : family.metric) {
      std::string labels;
      for (const auto& l : m.label) labels += l.name + "=" + l.value + ",";
      got[labels] = m.counter.value;
    }
  }
  EXPECT_EQ(got["backend=local,result=allowed,"], 1);
  EXPECT_EQ(got["backend=local,result=refused,"], 1);
  EXPECT_EQ(got["backend=redis,result=allowed,"], 0);
}

// ---- Redis URL ----

TEST(ParseRedisUrlTest, Forms) {
  auto a = ParseRedisUrl("redis://127.0.0.1:26379");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 26379);
  EXPECT_EQ(a->db, 0);
  auto b = ParseRedisUrl("redis://user:p%40ss:w@redis.internal/3");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "redis.internal");
  EXPECT_EQ(b->port, 6379);
  EXPECT_EQ(b->db, 3);
  EXPECT_EQ(b->username, "user");
  EXPECT_EQ(b->password, "p%40ss:w");
  auto c = ParseRedisUrl("redis://:secret@[::1]:7000/");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->port, 7000);
  EXPECT_EQ(c->username, "");
  EXPECT_EQ(c->password, "secret");
  for (const char* bad :
       {"http://h:1", "redis://:secret@h:99999", "redis://:secret@h:1/x", "redis://:secret@"}) {
    auto r = ParseRedisUrl(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(r.status().message()).find("secret"), std::string::npos);
  }
}

// ---- RedisRateLimiter on a real redis-server ----

const char* TestRedisUrl() { return std::getenv("LLMGW_TEST_REDIS_URL"); }

#define LLMGW_REQUIRE_REDIS()                                                                 \
  if (TestRedisUrl() == nullptr) {                                                            \
    GTEST_SKIP() << "LLMGW_TEST_REDIS_URL is not set: run the tests through ./scripts/test, " \
                    "which starts a throwaway Redis";                                         \
  }

std::unique_ptr<RedisRateLimiter> StartRedisLimiter(std::string url, int connections = 2,
                                                    prometheus::Registry* registry = nullptr) {
  RateLimiterOptions o;
  o.redis_url = std::move(url);
  o.connections = connections;
  o.replicas = 2;
  // Generous timeouts: a loaded test machine must not look like an unreachable Redis. (A killed
  // server is noticed at once anyway: connection refused or reset.)
  o.connect_timeout = milliseconds(2'000);
  o.command_timeout = milliseconds(2'000);
  o.retry_min = milliseconds(20);
  o.retry_max = milliseconds(100);
  o.registry = registry;
  auto limiter = RedisRateLimiter::Start(o);
  EXPECT_TRUE(limiter.ok()) << limiter.status();
  return limiter.ok() ? *std::move(limiter) : nullptr;
}

TEST(RedisRateLimiterTest, TwoReplicasShareOneLimit) {
  LLMGW_REQUIRE_REDIS();
  auto a = StartRedisLimiter(TestRedisUrl());
  auto b = StartRedisLimiter(TestRedisUrl());
  const std::vector<LimitScope> scopes = {Scope(UniqueKey("cred"), 60, 0)};
  int admitted = 0, refused = 0;
  for (int i = 0; i < 200; ++i) {
    RateDecision d = AcquireSync(i % 2 == 0 ? *a : *b, scopes, 0);
    ASSERT_FALSE(d.fallback) << i;
    EXPECT_TRUE(d.limits_requests);
    EXPECT_EQ(d.limit_requests, 60);
    if (d.allowed) {
      ++admitted;
    } else {
      ++refused;
      EXPECT_EQ(d.remaining_requests, 0);
      EXPECT_GT(d.retry_after_ms, 0);
      EXPECT_LE(d.retry_after_ms, 1000);
      EXPECT_EQ(d.refused_by, scopes[0].key + "/requests");
    }
  }
  // 60 at once, plus one if a second of Redis time passed during the run.
  EXPECT_GE(admitted, 60);
  EXPECT_LE(admitted, 61);
  EXPECT_EQ(admitted + refused, 200);
}

TEST(RedisRateLimiterTest, ConcurrentChecksOnTwoReplicasShareOneLimit) {
  LLMGW_REQUIRE_REDIS();
  auto a = StartRedisLimiter(TestRedisUrl(), 4);
  auto b = StartRedisLimiter(TestRedisUrl(), 4);
  const std::vector<LimitScope> scopes = {Scope(UniqueKey("cred"), 60, 0),
                                          Scope(UniqueKey("org"), 1000, 0)};
  std::atomic<int> admitted{0}, fallback{0}, pending{200};
  std::promise<void> all_done;
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        (i % 2 == 0 ? *a : *b).Acquire(scopes, 0, [&](RateDecision d) {
          admitted += d.allowed;
          fallback += d.fallback;
          if (--pending == 0) all_done.set_value();
        });
      }
    });
  }
  for (std::thread& t : callers) t.join();
  all_done.get_future().wait();
  EXPECT_EQ(fallback.load(), 0);
  EXPECT_GE(admitted.load(), 60);
  EXPECT_LE(admitted.load(), 61);
}

TEST(RedisRateLimiterTest, TokensReservedAndCorrectedAcrossReplicas) {
  LLMGW_REQUIRE_REDIS();
  // One worker each: a Correct and the check after it run in order.
  auto a = StartRedisLimiter(TestRedisUrl(), 1);
  auto b = StartRedisLimiter(TestRedisUrl(), 1);
  const std::vector<LimitScope> scopes = {Scope(UniqueKey("cred"), 0, 1000)};
  RateDecision first = AcquireSync(*a, scopes, 800);
  ASSERT_TRUE(first.allowed);
  EXPECT_EQ(first.remaining_tokens, 200);
  EXPECT_EQ(first.reset_tokens_ms, 48'000);
  EXPECT_FALSE(AcquireSync(*b, scopes, 300).allowed);
  a->Correct(scopes, 800, 100);  // 700 back
  AcquireSync(*a, scopes, 0);    // after the correction (same worker, in order)
  RateDecision second = AcquireSync(*b, scopes, 300);
  EXPECT_TRUE(second.allowed);
  EXPECT_GE(second.remaining_tokens, 599);  // 600, or one more if a few ms passed
  EXPECT_LE(second.remaining_tokens, 601);
  EXPECT_FALSE(second.fallback);
  // Overcharge: used 1000 of 300 reserved pushes past the window; nothing fits.
  b->Correct(scopes, 300, 1000);
  AcquireSync(*b, scopes, 0);
  auto c = StartRedisLimiter(TestRedisUrl(), 1);
  RateDecision third = AcquireSync(*c, scopes, 1);
  EXPECT_FALSE(third.allowed);
  EXPECT_EQ(third.remaining_tokens, 0);
  // A bound above the tpm: refused without asking Redis, never retryable.
  RateDecision never = AcquireSync(*a, scopes, 1001);
  EXPECT_FALSE(never.allowed);
  EXPECT_TRUE(never.exceeds_limit);
  EXPECT_EQ(never.retry_after_ms, 0);
}

TEST(RedisRateLimiterTest, AllOrNothingAcrossScopes) {
  LLMGW_REQUIRE_REDIS();
  auto a = StartRedisLimiter(TestRedisUrl());
  const std::string cred = UniqueKey("cred"), org = UniqueKey("org"), other = UniqueKey("org");
  const std::vector<LimitScope> both = {Scope(cred, 10, 0), Scope(org, 2, 100)};
  EXPECT_TRUE(AcquireSync(*a, both, 10).allowed);
  EXPECT_TRUE(AcquireSync(*a, both, 10).allowed);
  for (int i = 0; i < 5; ++i) {
    RateDecision r = AcquireSync(*a, both, 10);
    EXPECT_FALSE(r.allowed);
    EXPECT_EQ(r.refused_by, org + "/requests");
    EXPECT_EQ(r.limit_requests, 2);
    EXPECT_EQ(r.remaining_tokens, 80);
  }
  // The credential was charged for the two admitted requests only.
  RateDecision d = AcquireSync(*a, {Scope(cred, 10, 0), Scope(other, 100, 0)}, 0);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.limit_requests, 10);
  EXPECT_EQ(d.remaining_requests, 7);
  // Tokens refusing while requests admit: the organization's request count is not charged.
  const std::string org2 = UniqueKey("org");
  EXPECT_TRUE(AcquireSync(*a, {Scope(org2, 3, 100)}, 95).allowed);
  EXPECT_FALSE(AcquireSync(*a, {Scope(org2, 3, 100)}, 10).allowed);
  RateDecision after = AcquireSync(*a, {Scope(org2, 3, 100)}, 5);
  EXPECT_TRUE(after.allowed);
  EXPECT_EQ(after.remaining_requests, 1);
}

TEST(RedisRateLimiterTest, UnlimitedRequestsNeverReachRedis) {
  // Nothing listens on port 1: a round trip would fail and fall back.
  auto a = StartRedisLimiter("redis://127.0.0.1:1");
  RateDecision d = AcquireSync(*a, {Scope("cred:a", 0, 0)}, 100);
  EXPECT_TRUE(d.allowed);
  EXPECT_FALSE(d.fallback);
  EXPECT_FALSE(a->InFallback());
  // A limited one does, and is decided locally at the share (2 replicas: 1 of 2 rpm).
  RateDecision first = AcquireSync(*a, {Scope("cred:a", 2, 0)}, 0);
  EXPECT_TRUE(first.allowed);
  EXPECT_TRUE(first.fallback);
  EXPECT_EQ(first.limit_requests, 1);
  EXPECT_TRUE(a->InFallback());
  RateDecision second = AcquireSync(*a, {Scope("cred:a", 2, 0)}, 0);
  EXPECT_FALSE(second.allowed);
  EXPECT_TRUE(second.fallback);
}

// The value of a key and its remaining time to live in ms (-2: no such key).
std::pair<std::string, long long> KeyAndTtl(const std::string& url, const std::string& key) {
  auto ep = ParseRedisUrl(url);
  redisContext* c = redisConnect(ep->host.c_str(), ep->port);
  std::pair<std::string, long long> out{"", -3};
  if (c == nullptr || c->err != 0) return out;
  if (auto* r = static_cast<redisReply*>(redisCommand(c, "GET %s", key.c_str()))) {
    if (r->type == REDIS_REPLY_STRING) out.first.assign(r->str, r->len);
    freeReplyObject(r);
  }
  if (auto* r = static_cast<redisReply*>(redisCommand(c, "PTTL %s", key.c_str()))) {
    if (r->type == REDIS_REPLY_INTEGER) out.second = r->integer;
    freeReplyObject(r);
  }
  redisFree(c);
  return out;
}

TEST(RedisRateLimiterTest, KeysExpireOnceTheBucketIsFull) {
  LLMGW_REQUIRE_REDIS();
  auto a = StartRedisLimiter(TestRedisUrl());
  const std::string cred = UniqueKey("cred");
  ASSERT_TRUE(AcquireSync(*a, {Scope(cred, 60, 1000)}, 500).allowed);
  // Requests: 1 s of TAT, tokens: 30 s; each key lives one second past it.
  auto [req_tat, req_ttl] = KeyAndTtl(TestRedisUrl(), "llmgw:rl:" + cred + ":r");
  auto [tok_tat, tok_ttl] = KeyAndTtl(TestRedisUrl(), "llmgw:rl:" + cred + ":t");
  EXPECT_GT(req_ttl, 1'000);
  EXPECT_LE(req_ttl, 2'000);
  EXPECT_GT(tok_ttl, 30'000);
  EXPECT_LE(tok_ttl, 31'000);
  int64_t req_us = 0, tok_us = 0;
  ASSERT_TRUE(absl::SimpleAtoi(req_tat, &req_us)) << req_tat;
  ASSERT_TRUE(absl::SimpleAtoi(tok_tat, &tok_us)) << tok_tat;
  EXPECT_EQ(tok_us - req_us, 29'000'000);
  // Refusals write nothing.
  ASSERT_FALSE(AcquireSync(*a, {Scope(cred, 60, 1000)}, 600).allowed);
  EXPECT_EQ(KeyAndTtl(TestRedisUrl(), "llmgw:rl:" + cred + ":t").first, tok_tat);
  // A refund down to nothing deletes the token key.
  a->Correct({Scope(cred, 60, 1000)}, 500, 0);
  AcquireSync(*a, {Scope(cred, 0, 0), Scope(UniqueKey("org"), 1, 0)}, 0);  // after the Correct
  for (int i = 0; i < 100 && KeyAndTtl(TestRedisUrl(), "llmgw:rl:" + cred + ":t").second != -2;
       ++i) {
    std::this_thread::sleep_for(milliseconds(10));  // two workers: the Correct may still run
  }
  EXPECT_EQ(KeyAndTtl(TestRedisUrl(), "llmgw:rl:" + cred + ":t").second, -2);
}

// A private redis-server this test may kill: started in the foreground as a child process.
class RedisProcess {
 public:
  explicit RedisProcess(int port) : port_(port) {}
  ~RedisProcess() { Stop(); }
  bool Start() {
    pid_ = fork();
    if (pid_ == 0) {
      const std::string port = std::to_string(port_);
      execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--logfile", "/dev/null", nullptr);
      _exit(127);
    }
    for (int i = 0; i < 500; ++i) {  // up to 5 s for it to answer PING
      timeval tv{0, 100'000};
      redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
      bool up = false;
      if (c != nullptr && c->err == 0) {
        auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
        up = r != nullptr && r->type == REDIS_REPLY_STATUS;
        if (r != nullptr) freeReplyObject(r);
      }
      if (c != nullptr) redisFree(c);
      if (up) return true;
      std::this_thread::sleep_for(milliseconds(10));
    }
    return false;
  }
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  int port_;
  pid_t pid_ = -1;
};

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

double FallbackGauge(prometheus::Registry& registry) {
  for (const auto& family : registry.Collect()) {
    if (family.name == "llmgw_gateway_rate_limit_fallback") return family.metric.at(0).gauge.value;
  }
  return -1;
}

TEST(RedisRateLimiterTest, FallsBackToTheLocalShareAndRecovers) {
  LLMGW_REQUIRE_REDIS();
  signal(SIGPIPE, SIG_IGN);  // as the gateway does (libs/common/signals): a dead peer's socket
  const int port = FreePort();
  RedisProcess redis(port);
  ASSERT_TRUE(redis.Start());
  prometheus::Registry registry;
  auto a = StartRedisLimiter(absl::StrCat("redis://127.0.0.1:", port), 2, &registry);
  int admitted = 0;
  for (int i = 0; i < 20; ++i) {
    RateDecision d = AcquireSync(*a, {Scope("cred:shared", 10, 0)}, 0);
    ASSERT_FALSE(d.fallback);
    admitted += d.allowed;
  }
  EXPECT_EQ(admitted, 10);
  EXPECT_EQ(FallbackGauge(registry), 0);

  redis.Stop();
  // Redis gone: a fresh key gets this replica's share, 10 / 2 replicas = 5, decided locally.
  admitted = 0;
  for (int i = 0; i < 20; ++i) {
    RateDecision d = AcquireSync(*a, {Scope("cred:alone", 10, 0)}, 0);
    EXPECT_TRUE(d.fallback);
    if (d.allowed) {
      EXPECT_EQ(d.limit_requests, 5);
    }
    admitted += d.allowed;
  }
  EXPECT_EQ(admitted, 5);
  EXPECT_TRUE(a->InFallback());
  EXPECT_EQ(FallbackGauge(registry), 1);

  ASSERT_TRUE(redis.Start());  // same port, empty
  // Back within the backoff (at most 100 ms here): the first check after it reaches Redis.
  RateDecision back;
  for (int i = 0; i < 500; ++i) {
    back = AcquireSync(*a, {Scope("cred:after", 10, 0)}, 0);
    if (!back.fallback) break;
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_FALSE(back.fallback);
  EXPECT_TRUE(back.allowed);
  EXPECT_EQ(back.limit_requests, 10);
  EXPECT_EQ(back.remaining_requests, 9);
  EXPECT_FALSE(a->InFallback());
  EXPECT_EQ(FallbackGauge(registry), 0);
  std::map<std::string, double> got;
  for (const auto& family : registry.Collect()) {
    if (family.name != "llmgw_gateway_rate_limit_checks_total") continue;
    for (const auto& m : family.metric)
      got[m.label[0].value + "/" + m.label[1].value] = m.counter.value;
  }
  EXPECT_GE(got["fallback/allowed"], 5);  // and "cred:after" while the backoff ran
  EXPECT_GE(got["fallback/refused"], 15);
  EXPECT_EQ(got["redis/allowed"], 11);
  EXPECT_EQ(got["redis/refused"], 10);
}

}  // namespace
}  // namespace llmgw::gateway

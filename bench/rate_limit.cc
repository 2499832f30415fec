// llmgw-bench-rate-limit REDIS_URL [checks]: what a rate-limit check adds to a request at one
// connection, side by side in one run: no limit (the interface call alone), the in-process
// limiter, the Redis limiter with one connection, and the floor under it, a bare Redis PING
// round trip on the same kind of connection. Each row is a credential and an organization scope,
// both with rpm and tpm (high enough that every check is admitted, so each one writes), over
// 1,000 credentials. Acquire's latency is the time from the call to its callback. Rows are
// interleaved over 5 rounds; the median round's p50/p99/p99.9 are printed. Figures, never a test.

#include <hiredis/hiredis.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <map>
#include <string>
#include <vector>

#include "services/gateway/clients/rate_limiter.h"

namespace {

using llmgw::gateway::LimitScope;
using llmgw::gateway::RateDecision;
using llmgw::gateway::RateLimiter;
using Clock = std::chrono::steady_clock;

struct Percentiles {
  double p50, p99, p999;
};

Percentiles Summarize(std::vector<double> us) {
  std::sort(us.begin(), us.end());
  auto at = [&](double q) {
    return us[std::min(us.size() - 1, static_cast<size_t>(q * us.size()))];
  };
  return {at(0.50), at(0.99), at(0.999)};
}

std::vector<LimitScope> Scopes(int i, bool limited) {
  const int64_t rpm = limited ? 1'000'000'000 : 0, tpm = limited ? 1'000'000'000'000 : 0;
  return {{"cred:bench-" + std::to_string(i % 1000), {rpm, tpm}}, {"org:bench", {rpm, tpm}}};
}

std::vector<double> TimeAcquire(RateLimiter& limiter, int n, bool limited, int& refused) {
  std::vector<double> us;
  us.reserve(n);
  for (int i = 0; i < n; ++i) {
    std::promise<RateDecision> p;
    auto f = p.get_future();
    const auto start = Clock::now();
    limiter.Acquire(Scopes(i, limited), 1000, [&p](RateDecision d) { p.set_value(std::move(d)); });
    RateDecision d = f.get();
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    refused += !d.allowed || d.fallback;
  }
  return us;
}

std::vector<double> TimePing(redisContext* c, int n) {
  std::vector<double> us;
  us.reserve(n);
  for (int i = 0; i < n; ++i) {
    const auto start = Clock::now();
    auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    if (r != nullptr) freeReplyObject(r);
  }
  return us;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s redis://127.0.0.1:PORT [checks per row]\n", argv[0]);
    return 2;
  }
  const int n = argc > 2 ? std::atoi(argv[2]) : 20'000;
  llmgw::gateway::LocalRateLimiter local;
  llmgw::gateway::RateLimiterOptions o;
  o.redis_url = argv[1];
  o.connections = 1;
  auto redis = llmgw::gateway::RedisRateLimiter::Start(o);
  auto endpoint = llmgw::gateway::ParseRedisUrl(argv[1]);
  if (!redis.ok() || !endpoint.ok()) {
    std::fprintf(stderr, "bad Redis URL\n");
    return 2;
  }
  redisContext* ping = redisConnect(endpoint->host.c_str(), endpoint->port);
  if (ping == nullptr || ping->err != 0) {
    std::fprintf(stderr, "cannot connect to Redis\n");
    return 1;
  }
  const std::vector<std::string> rows = {"no limit", "local", "redis PING (floor)", "redis"};
  std::map<std::string, std::vector<Percentiles>> rounds;
  int refused = 0;
  TimeAcquire(**redis, 1000, true, refused);  // warm-up: connection, script cache
  for (int round = 0; round < 5; ++round) {
    rounds["no limit"].push_back(Summarize(TimeAcquire(local, n, false, refused)));
    rounds["local"].push_back(Summarize(TimeAcquire(local, n, true, refused)));
    rounds["redis PING (floor)"].push_back(Summarize(TimePing(ping, n)));
    rounds["redis"].push_back(Summarize(TimeAcquire(**redis, n, true, refused)));
  }
  std::printf("rate-limit check latency at 1 connection, %d checks per row, median of 5 rounds\n",
              n);
  std::printf("%-20s %10s %10s %10s\n", "row", "p50 µs", "p99 µs", "p99.9 µs");
  for (const std::string& row : rows) {
    std::vector<Percentiles> r = rounds[row];
    std::sort(r.begin(), r.end(), [](auto& a, auto& b) { return a.p50 < b.p50; });
    const Percentiles& m = r[r.size() / 2];
    std::printf("%-20s %10.1f %10.1f %10.1f\n", row.c_str(), m.p50, m.p99, m.p999);
  }
  if (refused != 0) std::printf("warning: %d checks refused or decided by the fallback\n", refused);
  redisFree(ping);
  return 0;
}

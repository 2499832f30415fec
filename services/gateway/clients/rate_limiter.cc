#include "services/gateway/clients/rate_limiter.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/common/log.h"
#include "libs/common/thread.h"

namespace llmgw::gateway {
namespace {

int64_t NowUs(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::microseconds>(clock.Now().time_since_epoch())
      .count();
}

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool AnyLimit(const std::vector<LimitScope>& scopes) {
  return std::any_of(scopes.begin(), scopes.end(),
                     [](const LimitScope& s) { return s.limits.rpm > 0 || s.limits.tpm > 0; });
}

bool AnyTokenLimit(const std::vector<LimitScope>& scopes) {
  return std::any_of(scopes.begin(), scopes.end(),
                     [](const LimitScope& s) { return s.limits.tpm > 0; });
}

// The Lua mirrors of CheckRateLimits and CorrectRateLimits (domain/rate_limit.cc): the same
// integer µs arithmetic (exact in Lua's doubles below 2^53), on Redis's clock.
//
// Check. KEYS: one per limited dimension; ARGV: limit and cost for each. Charges every key or
// none. Returns {admitted 0/1, now µs, each key's TAT before} as strings.
constexpr char kCheckScript[] = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local W = 60000000
local TAU = W + 1000
local old, new, ok = {}, {}, 1
for i = 1, #KEYS do
  local limit = tonumber(ARGV[2 * i - 1])
  local cost = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0') or 0
  old[i] = tat
  local inc = 0
  if cost > 0 then inc = math.ceil(cost * W / limit) end
  new[i] = math.max(tat, now) + inc
  if new[i] - now > TAU then ok = 0 end
end
if ok == 1 then
  for i = 1, #KEYS do
    if new[i] > now then
      redis.call('SET', KEYS[i], string.format('%.0f', new[i]), 'PX',
                 math.ceil((new[i] - now) / 1000) + 1000)
    end
  end
end
local out = {ok, string.format('%.0f', now)}
for i = 1, #KEYS do out[#out + 1] = string.format('%.0f', old[i]) end
return out
)lua";

// Correct. KEYS: the token keys; ARGV: reserved, actual, then each key's tpm.
constexpr char kCorrectScript[] = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local W = 60000000
local MAXDEBT = 86400000000
local reserved = math.max(tonumber(ARGV[1]), 0)
local actual = math.max(tonumber(ARGV[2]), 0)
for i = 1, #KEYS do
  local limit = tonumber(ARGV[2 + i])
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0') or 0
  local nt = tat
  if actual < reserved then
    if tat > now then nt = math.max(tat - math.floor((reserved - actual) * W / limit), now) end
  elseif actual > reserved then
    local inc = math.min(math.ceil((actual - reserved) * W / limit), MAXDEBT + W)
    nt = math.max(math.min(math.max(tat, now) + inc, now + MAXDEBT), tat)
  end
  if nt ~= tat then
    if nt > now then
      redis.call('SET', KEYS[i], string.format('%.0f', nt), 'PX',
                 math.ceil((nt - now) / 1000) + 1000)
    else
      redis.call('DEL', KEYS[i])
    end
  end
end
return 1
)lua";

std::string RedisKey(const LimitScope& s, bool tokens) {
  return absl::StrCat("llmgw:rl:", s.key, tokens ? ":t" : ":r");
}

bool ParseInt(const redisReply* r, int64_t& out) {
  if (r->type == REDIS_REPLY_INTEGER) {
    out = r->integer;
    return true;
  }
  return r->type == REDIS_REPLY_STRING && absl::SimpleAtoi(absl::string_view(r->str, r->len), &out);
}

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

}  // namespace

// ---- metrics ----

RateLimiterMetrics::RateLimiterMetrics(prometheus::Registry& registry)
    : fallback_(prometheus::BuildGauge()
                    .Name("llmgw_gateway_rate_limit_fallback")
                    .Help("1 while Redis is unreachable and this replica enforces its local share "
                          "of every rate limit")
                    .Register(registry)
                    .Add({})) {
  auto& checks = prometheus::BuildCounter()
                     .Name("llmgw_gateway_rate_limit_checks_total")
                     .Help(
                         "Rate-limit checks of requests with a limit, by where they were "
                         "decided (redis, local: no Redis configured, fallback: Redis "
                         "unreachable) and result")
                     .Register(registry);
  const char* kBackends[] = {"redis", "local", "fallback"};
  for (int b = 0; b < 3; ++b) {
    checks_[b][0] = &checks.Add({{"backend", kBackends[b]}, {"result", "allowed"}});
    checks_[b][1] = &checks.Add({{"backend", kBackends[b]}, {"result", "refused"}});
  }
}

void RateLimiterMetrics::CountCheck(Backend backend, bool allowed) {
  checks_[static_cast<int>(backend)][allowed ? 0 : 1]->Increment();
}

// ---- LocalRateLimiter ----

LocalRateLimiter::LocalRateLimiter(int64_t share_divisor, const Clock& clock,
                                   std::unique_ptr<RateLimiterMetrics> metrics)
    : share_divisor_(std::max<int64_t>(share_divisor, 1)),
      clock_(clock),
      metrics_(std::move(metrics)) {}

std::vector<LimitScope> LocalRateLimiter::Shares(const std::vector<LimitScope>& scopes) const {
  std::vector<LimitScope> out = scopes;
  for (LimitScope& s : out) s.limits = ShareOfLimits(s.limits, share_divisor_);
  return out;
}

RateDecision LocalRateLimiter::Decide(const std::vector<LimitScope>& scopes, int64_t token_bound) {
  if (!AnyLimit(scopes)) return RateDecision{};
  const std::vector<LimitScope> shares = Shares(scopes);
  RateCheck check;
  {
    std::lock_guard lock(mu_);
    const int64_t now_us = NowUs(clock_);
    std::vector<ScopeTats> tats;
    tats.reserve(shares.size());
    for (const LimitScope& s : shares) {
      auto it = tats_.find(s.key);
      tats.push_back(it == tats_.end() ? ScopeTats{} : it->second);
    }
    check = CheckRateLimits(shares, tats, token_bound, now_us);
    if (check.decision.allowed) {
      for (size_t i = 0; i < shares.size(); ++i) {
        if (IdleAfterUs(check.tats[i]) > now_us) tats_[shares[i].key] = check.tats[i];
      }
    }
    MaybeEvict(now_us);
  }
  if (metrics_ != nullptr) {
    metrics_->CountCheck(RateLimiterMetrics::Backend::kLocal, check.decision.allowed);
  }
  return std::move(check.decision);
}

void LocalRateLimiter::Acquire(std::vector<LimitScope> scopes, int64_t token_bound, Done done) {
  done(Decide(scopes, token_bound));
}

void LocalRateLimiter::Correct(std::vector<LimitScope> scopes, int64_t reserved_tokens,
                               int64_t actual_tokens) {
  if (reserved_tokens == actual_tokens || !AnyTokenLimit(scopes)) return;
  const std::vector<LimitScope> shares = Shares(scopes);
  std::lock_guard lock(mu_);
  const int64_t now_us = NowUs(clock_);
  std::vector<ScopeTats> tats;
  for (const LimitScope& s : shares) {
    auto it = tats_.find(s.key);
    tats.push_back(it == tats_.end() ? ScopeTats{} : it->second);
  }
  tats = CorrectRateLimits(shares, tats, reserved_tokens, actual_tokens, now_us);
  for (size_t i = 0; i < shares.size(); ++i) {
    if (IdleAfterUs(tats[i]) > now_us) {
      tats_[shares[i].key] = tats[i];
    } else {
      tats_.erase(shares[i].key);
    }
  }
}

void LocalRateLimiter::MaybeEvict(int64_t now_us) {
  // A sweep after as many operations as there are keys: amortized O(1) per check, and the map
  // holds at most the keys active within the last minute or so, twice over.
  if (++ops_since_sweep_ < std::max<size_t>(tats_.size(), 1024)) return;
  ops_since_sweep_ = 0;
  std::erase_if(tats_, [now_us](const auto& kv) { return IdleAfterUs(kv.second) <= now_us; });
}

size_t LocalRateLimiter::KeyCount() const {
  std::lock_guard lock(mu_);
  return tats_.size();
}

// ---- Redis URL ----

absl::StatusOr<RedisEndpoint> ParseRedisUrl(const std::string& url) {
  constexpr std::string_view kScheme = "redis://";
  if (url.rfind(kScheme, 0) != 0) {
    return absl::InvalidArgumentError("LLMGW_REDIS_URL must start with redis://");
  }
  RedisEndpoint ep;
  std::string rest = url.substr(kScheme.size());
  if (size_t at = rest.rfind('@'); at != std::string::npos) {
    const std::string auth = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const size_t colon = auth.find(':');
    if (colon == std::string::npos) {
      ep.password = auth;  // redis://password@host, as some clients accept
    } else {
      ep.username = auth.substr(0, colon);
      ep.password = auth.substr(colon + 1);
    }
  }
  if (size_t slash = rest.find('/'); slash != std::string::npos) {
    const std::string db = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (!db.empty() && (!absl::SimpleAtoi(db, &ep.db) || ep.db < 0)) {
      return absl::InvalidArgumentError("LLMGW_REDIS_URL: the database must be a number");
    }
  }
  if (size_t colon = rest.rfind(':'); colon != std::string::npos && rest.back() != ']') {
    if (!absl::SimpleAtoi(rest.substr(colon + 1), &ep.port) || ep.port <= 0 || ep.port > 65535) {
      return absl::InvalidArgumentError("LLMGW_REDIS_URL: the port must be 1-65535");
    }
    rest = rest.substr(0, colon);
  }
  if (rest.size() >= 2 && rest.front() == '[' && rest.back() == ']') {
    rest = rest.substr(1, rest.size() - 2);
  }
  if (rest.empty()) return absl::InvalidArgumentError("LLMGW_REDIS_URL: no host");
  ep.host = rest;
  return ep;
}

// ---- RedisRateLimiter ----

// One blocking hiredis connection, owned by one worker thread; the scripts are loaded on connect
// and run by their SHA (EVAL with the text when Redis answers NOSCRIPT).
class RedisRateLimiter::Connection {
 public:
  Connection(const RedisEndpoint& ep, const RateLimiterOptions& o) : ep_(ep), o_(o) {}
  ~Connection() { Close(); }

  // Null and `error` set when Redis fails; the connection is then closed and reopened next time.
  Reply Eval(const char* script, std::string& sha, const std::vector<std::string>& keys,
             const std::vector<std::string>& args, std::string& error) {
    if (ctx_ == nullptr && !Open(error)) return nullptr;
    std::vector<std::string> argv = {"EVALSHA", sha, std::to_string(keys.size())};
    argv.insert(argv.end(), keys.begin(), keys.end());
    argv.insert(argv.end(), args.begin(), args.end());
    Reply r = Command(argv, error);
    if (r != nullptr && r->type == REDIS_REPLY_ERROR &&
        std::string_view(r->str, r->len).rfind("NOSCRIPT", 0) == 0) {
      argv[0] = "EVAL";
      argv[1] = script;
      r = Command(argv, error);
    }
    if (r != nullptr && r->type == REDIS_REPLY_ERROR) {
      error = absl::StrCat("redis: ", absl::string_view(r->str, r->len));
      return nullptr;
    }
    return r;
  }

  std::string check_sha, correct_sha;

 private:
  static timeval Tv(std::chrono::milliseconds ms) {
    return {static_cast<time_t>(ms.count() / 1000),
            static_cast<suseconds_t>(ms.count() % 1000 * 1000)};
  }

  bool Open(std::string& error) {
    ctx_ = redisConnectWithTimeout(ep_.host.c_str(), ep_.port, Tv(o_.connect_timeout));
    if (ctx_ == nullptr || ctx_->err != 0) {
      error = ctx_ == nullptr ? "cannot allocate a Redis context"
                              : absl::StrCat("connect: ", ctx_->errstr);
      Close();
      return false;
    }
    redisSetTimeout(ctx_, Tv(o_.command_timeout));
    std::vector<std::vector<std::string>> setup;
    if (!ep_.password.empty()) {
      setup.push_back(ep_.username.empty()
                          ? std::vector<std::string>{"AUTH", ep_.password}
                          : std::vector<std::string>{"AUTH", ep_.username, ep_.password});
    }
    if (ep_.db != 0) setup.push_back({"SELECT", std::to_string(ep_.db)});
    for (const auto& cmd : setup) {
      Reply r = Command(cmd, error);
      if (r == nullptr || r->type == REDIS_REPLY_ERROR) {
        if (r != nullptr) error = absl::StrCat(cmd[0], " refused");  // never the reply: no secret
        Close();
        return false;
      }
    }
    for (auto [script, sha] :
         {std::pair{kCheckScript, &check_sha}, std::pair{kCorrectScript, &correct_sha}}) {
      Reply r = Command({"SCRIPT", "LOAD", script}, error);
      if (r == nullptr || r->type != REDIS_REPLY_STRING) {
        if (r != nullptr) error = "SCRIPT LOAD failed";
        Close();
        return false;
      }
      *sha = std::string(r->str, r->len);
    }
    return true;
  }

  Reply Command(const std::vector<std::string>& argv, std::string& error) {
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    for (const std::string& a : argv) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
    Reply r(static_cast<redisReply*>(
        redisCommandArgv(ctx_, static_cast<int>(argv.size()), ptrs.data(), lens.data())));
    if (r == nullptr) {
      error = absl::StrCat("command: ", ctx_->errstr[0] != 0 ? ctx_->errstr : "no reply");
      Close();
    }
    return r;
  }

  void Close() {
    if (ctx_ != nullptr) redisFree(ctx_);
    ctx_ = nullptr;
  }

  const RedisEndpoint& ep_;
  const RateLimiterOptions& o_;
  redisContext* ctx_ = nullptr;
};

absl::StatusOr<std::unique_ptr<RedisRateLimiter>> RedisRateLimiter::Start(
    const RateLimiterOptions& o) {
  absl::StatusOr<RedisEndpoint> ep = ParseRedisUrl(o.redis_url);
  if (!ep.ok()) return ep.status();
  return std::unique_ptr<RedisRateLimiter>(new RedisRateLimiter(o, *std::move(ep)));
}

RedisRateLimiter::RedisRateLimiter(const RateLimiterOptions& o, RedisEndpoint endpoint)
    : options_(o),
      endpoint_(std::move(endpoint)),
      metrics_(o.registry != nullptr ? std::make_unique<RateLimiterMetrics>(*o.registry) : nullptr),
      local_(std::max<int64_t>(o.replicas, 1)) {
  const int n = std::max(o.connections, 1);
  for (int i = 0; i < n; ++i) workers_.emplace_back([this, i] { Work(i); });
}

RedisRateLimiter::~RedisRateLimiter() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : workers_) t.join();
  for (Job& job : queue_) RunLocally(job);
}

void RedisRateLimiter::Acquire(std::vector<LimitScope> scopes, int64_t token_bound, Done done) {
  if (!AnyLimit(scopes)) return done(RateDecision{});
  // A bound above a tpm is refused by the arithmetic alone: no round trip.
  RateCheck alone = CheckRateLimits(scopes, std::vector<ScopeTats>(scopes.size()), token_bound, 0);
  if (alone.decision.exceeds_limit) return done(std::move(alone.decision));
  Job job{false, false, std::move(scopes), token_bound, 0, 0, std::move(done)};
  Submit(std::move(job));
}

void RedisRateLimiter::Correct(std::vector<LimitScope> scopes, int64_t reserved_tokens,
                               int64_t actual_tokens) {
  if (reserved_tokens == actual_tokens || !AnyTokenLimit(scopes)) return;
  Job job{true, false, std::move(scopes), 0, reserved_tokens, actual_tokens, nullptr};
  Submit(std::move(job));
}

void RedisRateLimiter::Submit(Job job) {
  if (ClaimRedis(job.probe)) {
    std::unique_lock lock(mu_);
    if (queue_.size() < options_.max_queue) {
      queue_.push_back(std::move(job));
      lock.unlock();
      cv_.notify_one();
      return;
    }
  }
  RunLocally(job);
}

bool RedisRateLimiter::ClaimRedis(bool& probe) {
  if (!fallback_.load()) return true;
  int64_t at = retry_at_ms_.load();
  const int64_t now = SteadyMs();
  if (now < at) return false;
  // One probe per retry time; everything else stays local until it succeeds. Should the probe
  // vanish (the queue full), the next claim comes retry_max later.
  probe = retry_at_ms_.compare_exchange_strong(at, now + options_.retry_max.count());
  return probe;
}

void RedisRateLimiter::Work(int index) {
  threads::NameThisThread(absl::StrCat("rate-limit-", index).c_str());
  Connection conn(endpoint_, options_);
  while (true) {
    Job job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    // Queued before Redis failed: decided locally, without waiting on Redis again.
    if (job.probe || !fallback_.load()) {
      Run(job, conn);
    } else {
      RunLocally(job);
    }
  }
}

void RedisRateLimiter::Run(Job& job, Connection& conn) {
  std::vector<std::string> keys, args;
  std::string error;
  if (job.correct) {
    args = {std::to_string(job.reserved_tokens), std::to_string(job.actual_tokens)};
    for (const LimitScope& s : job.scopes) {
      if (s.limits.tpm <= 0) continue;
      keys.push_back(RedisKey(s, true));
      args.push_back(std::to_string(s.limits.tpm));
    }
    if (conn.Eval(kCorrectScript, conn.correct_sha, keys, args, error) == nullptr) {
      EnterFallback(error);
      return RunLocally(job);
    }
    if (job.probe) LeaveFallback();
    return;
  }
  for (const LimitScope& s : job.scopes) {
    if (s.limits.rpm > 0) {
      keys.push_back(RedisKey(s, false));
      args.insert(args.end(), {std::to_string(s.limits.rpm), "1"});
    }
    if (s.limits.tpm > 0) {
      keys.push_back(RedisKey(s, true));
      args.insert(args.end(), {std::to_string(s.limits.tpm),
                               std::to_string(std::max<int64_t>(job.token_bound, 0))});
    }
  }
  Reply r = conn.Eval(kCheckScript, conn.check_sha, keys, args, error);
  int64_t ok = 0, now_us = 0;
  if (r != nullptr && (r->type != REDIS_REPLY_ARRAY || r->elements != keys.size() + 2 ||
                       !ParseInt(r->element[0], ok) || !ParseInt(r->element[1], now_us))) {
    error = "unexpected reply to the rate-limit script";
    r = nullptr;
  }
  if (r == nullptr) {
    EnterFallback(error);
    return RunLocally(job);
  }
  if (job.probe) LeaveFallback();  // a check sent before Redis failed proves nothing
  // The script returned the TATs it decided on; the same arithmetic here gives the headers.
  std::vector<ScopeTats> tats(job.scopes.size());
  size_t k = 2;
  for (size_t i = 0; i < job.scopes.size(); ++i) {
    if (job.scopes[i].limits.rpm > 0) ParseInt(r->element[k++], tats[i].requests_tat_us);
    if (job.scopes[i].limits.tpm > 0) ParseInt(r->element[k++], tats[i].tokens_tat_us);
  }
  RateDecision d = CheckRateLimits(job.scopes, tats, job.token_bound, now_us).decision;
  if (d.allowed != (ok == 1)) {  // cannot happen below 2^53 µs; Redis's answer is the one applied
    d.allowed = ok == 1;
    d.retry_after_ms = d.allowed ? 0 : std::max<int64_t>(d.retry_after_ms, 1);
  }
  Count(RateLimiterMetrics::Backend::kRedis, d);
  job.done(std::move(d));
}

void RedisRateLimiter::RunLocally(Job& job) {
  if (job.correct)
    return local_.Correct(std::move(job.scopes), job.reserved_tokens, job.actual_tokens);
  RateDecision d = local_.Decide(job.scopes, job.token_bound);
  d.fallback = true;
  Count(RateLimiterMetrics::Backend::kFallback, d);
  job.done(std::move(d));
}

void RedisRateLimiter::EnterFallback(const std::string& error) {
  std::lock_guard lock(state_mu_);
  backoff_ = fallback_.load() ? std::min(backoff_ * 2, options_.retry_max) : options_.retry_min;
  retry_at_ms_.store(SteadyMs() + backoff_.count());
  if (fallback_.exchange(true)) return;
  log::Warn("rate limits: Redis unreachable, each replica now enforces its share of every limit",
            {{"redis", absl::StrCat(endpoint_.host, ":", endpoint_.port)},
             {"share_divisor", std::max<int64_t>(options_.replicas, 1)},
             {"error", error}});
  if (metrics_ != nullptr) metrics_->SetFallback(true);
}

void RedisRateLimiter::LeaveFallback() {
  if (!fallback_.load()) return;
  std::lock_guard lock(state_mu_);
  if (!fallback_.exchange(false)) return;
  backoff_ = std::chrono::milliseconds(0);
  log::Info("rate limits: Redis is back, limits are shared again",
            {{"redis", absl::StrCat(endpoint_.host, ":", endpoint_.port)}});
  if (metrics_ != nullptr) metrics_->SetFallback(false);
}

void RedisRateLimiter::Count(RateLimiterMetrics::Backend backend, const RateDecision& d) {
  if (metrics_ != nullptr) metrics_->CountCheck(backend, d.allowed);
}

absl::StatusOr<std::unique_ptr<RateLimiter>> MakeRateLimiter(const RateLimiterOptions& options) {
  if (options.redis_url.empty()) {
    return std::make_unique<LocalRateLimiter>(
        1, SystemClock::Get(),
        options.registry != nullptr ? std::make_unique<RateLimiterMetrics>(*options.registry)
                                    : nullptr);
  }
  absl::StatusOr<std::unique_ptr<RedisRateLimiter>> redis = RedisRateLimiter::Start(options);
  if (!redis.ok()) return redis.status();
  return std::unique_ptr<RateLimiter>(*std::move(redis));
}

}  // namespace llmgw::gateway

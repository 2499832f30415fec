#include "services/gateway/domain/auth_cache.h"

#include <gtest/gtest.h>

#include <chrono>

#include "libs/common/crypto.h"

namespace llmgw::gateway {
namespace {

using std::chrono::seconds;
using F = AuthCache::Freshness;

AuthCache::Options Opts() {
  AuthCache::Options o;
  o.positive_ttl = seconds(30);
  o.negative_ttl = seconds(5);
  o.stale_grace = seconds(180);
  o.max_entries = 3;
  return o;
}

TEST(AuthCacheTest, KeyIsAHashNotTheSecret) {
  const std::string key = AuthCache::KeyOf("mon", "mon_sk_secret");
  EXPECT_EQ(key, "mon:" + crypto::Sha256Hex("mon_sk_secret"));
  EXPECT_EQ(key.find("mon_sk_secret"), std::string::npos);
  EXPECT_NE(AuthCache::KeyOf("key", "x"), AuthCache::KeyOf("mon", "x"));
}

TEST(AuthCacheTest, MissThenPositiveHitUntilTtl) {
  FakeClock clock;
  AuthCache cache(clock, Opts());
  EXPECT_EQ(cache.Get("k").freshness, F::kMiss);
  cache.PutValid("k", Principal{"org-1", "cred-1"});
  auto hit = cache.Get("k");
  EXPECT_EQ(hit.freshness, F::kFresh);
  EXPECT_TRUE(hit.valid);
  EXPECT_EQ(hit.principal, (Principal{"org-1", "cred-1"}));
  clock.Advance(seconds(29));
  EXPECT_EQ(cache.Get("k").freshness, F::kFresh);
  clock.Advance(seconds(1));
  EXPECT_EQ(cache.Get("k").freshness, F::kStale);  // expired: only a fallback now
  EXPECT_TRUE(cache.Get("k").valid);
}

TEST(AuthCacheTest, NegativeEntriesExpireAfterFiveSeconds) {
  FakeClock clock;
  AuthCache cache(clock, Opts());
  cache.PutInvalid("k");
  auto hit = cache.Get("k");
  EXPECT_EQ(hit.freshness, F::kFresh);
  EXPECT_FALSE(hit.valid);
  clock.Advance(seconds(4));
  EXPECT_EQ(cache.Get("k").freshness, F::kFresh);
  clock.Advance(seconds(1));
  EXPECT_EQ(cache.Get("k").freshness, F::kStale);
}

TEST(AuthCacheTest, StaleEntriesLastOnlyForTheGrace) {
  FakeClock clock;
  AuthCache cache(clock, Opts());
  cache.PutValid("k", Principal{"org-1", "cred-1"});
  clock.Advance(seconds(30 + 179));
  EXPECT_EQ(cache.Get("k").freshness, F::kStale);
  clock.Advance(seconds(1));
  EXPECT_EQ(cache.Get("k").freshness, F::kMiss);
}

TEST(AuthCacheTest, RevalidationReplacesTheEntry) {
  FakeClock clock;
  AuthCache cache(clock, Opts());
  cache.PutValid("k", Principal{"org-1", "cred-1"});
  cache.PutInvalid("k");  // revoked
  EXPECT_FALSE(cache.Get("k").valid);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(AuthCacheTest, SizeIsBounded) {
  FakeClock clock;
  AuthCache cache(clock, Opts());
  cache.PutValid("a", {});
  cache.PutValid("b", {});
  cache.PutValid("c", {});
  cache.PutValid("d", {});
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.Get("d").freshness, F::kFresh);
  // Entries past their grace go first.
  clock.Advance(seconds(1000));
  cache.PutValid("e", {});
  EXPECT_EQ(cache.size(), 1u);
}

}  // namespace
}  // namespace llmgw::gateway

#include "libs/common/crypto.h"

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace llmgw::crypto {
namespace {

// RFC 4231 test case 2.
TEST(HmacSha256Hex, KnownVector) {
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Sha256Hex, KnownVector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // FIPS 180-2 appendix B.3: one million 'a'.
  EXPECT_EQ(Sha256Hex(std::string(1'000'000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// Each thread reuses its own digest context: consecutive and concurrent hashes never mix.
TEST(Sha256Hex, ReusedPerThreadAcrossThreads) {
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &mismatches] {
      for (int i = 0; i < 2000; ++i) {
        const std::string h = Sha256Hex(i % 2 == 0 ? "abc" : "");
        const char* want = i % 2 == 0
                               ? "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
                               : "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        if (h != want) ++mismatches[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_THAT(mismatches, ::testing::Each(0));
}

TEST(RandomBase62, LengthAlphabetAndUniqueness) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    std::string s = RandomBase62(43);
    ASSERT_EQ(s.size(), 43u);
    for (char c : s) ASSERT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << s;
    seen.insert(s);
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST(ConstantTimeEquals, ComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
}

constexpr char kUuidV4[] = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";
constexpr char kUuidV7[] = "[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";

TEST(RandomUuid, Version4Format) { EXPECT_THAT(RandomUuid(), testing::MatchesRegex(kUuidV4)); }

// 4 threads x 2,000 ids from `make`: each thread refills its 256-id pool several times.
template <typename F>
std::vector<std::string> IdsFromFourThreads(F make) {
  constexpr int kThreads = 4, kPerThread = 2000;
  std::vector<std::vector<std::string>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&ids, &make, t] {
      for (int i = 0; i < kPerThread; ++i) ids[t].push_back(make());
    });
  }
  for (auto& th : threads) th.join();
  std::vector<std::string> all;
  for (const auto& v : ids) all.insert(all.end(), v.begin(), v.end());
  return all;
}

TEST(RandomUuid, UniqueAcrossThreadsAndPoolRefills) {
  std::vector<std::string> ids = IdsFromFourThreads([] { return RandomUuid(); });
  for (const auto& u : ids) ASSERT_THAT(u, testing::MatchesRegex(kUuidV4));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 8000u);
}

TEST(TimeOrderedUuid, Version7FormatWithTheTimestampFirst) {
  const int64_t ms = 1796292000123;  // 2026-12-03T10:00:00.123Z
  std::string u = TimeOrderedUuid(ms);
  EXPECT_THAT(u, testing::MatchesRegex(kUuidV7));
  // The first 48 bits are the milliseconds, big-endian: 0x01a23b58b97b.
  EXPECT_EQ(u.substr(0, 13), "01a23b58-b97b");
  EXPECT_NE(TimeOrderedUuid(ms), TimeOrderedUuid(ms));  // 74 random bits after the time
}

TEST(TimeOrderedUuid, LaterMillisecondsSortLaterAsText) {
  std::string prev = TimeOrderedUuid(1);
  for (int64_t ms = 2; ms < 5000; ms += 7) {
    std::string next = TimeOrderedUuid(ms);
    ASSERT_LT(prev, next) << ms;
    prev = next;
  }
  // The 48-bit field: what does not fit is cut, a negative clock is the epoch.
  EXPECT_EQ(TimeOrderedUuid(-5).substr(0, 13), "00000000-0000");
  EXPECT_EQ(TimeOrderedUuid((int64_t{1} << 48) - 1).substr(0, 13), "ffffffff-ffff");
}

TEST(TimeOrderedUuid, UniqueAcrossThreadsInOneMillisecond) {
  std::vector<std::string> ids = IdsFromFourThreads([] { return TimeOrderedUuid(42); });
  for (const auto& u : ids) ASSERT_THAT(u, testing::MatchesRegex(kUuidV7));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 8000u);
}

}  // namespace
}  // namespace llmgw::crypto

#include "services/gateway/storage/journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/testing/status_matchers.h"

namespace llmgw::gateway {
namespace {

using ::llmgw::test::IsOk;

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/journal_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Journal> MustOpen(std::vector<Journal::Record>* replay,
                                    uint64_t segment_bytes = 1 << 20) {
    auto j = Journal::Open({.dir = dir_ + "/spool", .name = "settle",
                            .segment_bytes = segment_bytes},
                           replay);
    EXPECT_THAT(j.status(), IsOk());
    return j.ok() ? std::move(*j) : nullptr;
  }
  std::vector<std::string> Payloads(const std::vector<Journal::Record>& records) {
    std::vector<std::string> out;
    for (const auto& r : records) out.push_back(r.payload);
    return out;
  }
  size_t SegmentFiles() {
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir_ + "/spool")) {
      n += e.path().extension() == ".journal";
    }
    return n;
  }
  std::string dir_;
};

TEST_F(JournalTest, WhatWasNotDoneIsReplayedAfterTheOwnerDies) {
  {
    std::vector<Journal::Record> replay;
    auto j = MustOpen(&replay);
    ASSERT_NE(j, nullptr);
    EXPECT_TRUE(replay.empty());
    for (int i = 0; i < 3; ++i) ASSERT_THAT(j->Append(absl::StrCat("r", i)).status(), IsOk());
    EXPECT_EQ(j->pending(), 3u);
    // No Done, no fsync: the process "dies" (the object is dropped without forgetting anything).
  }
  std::vector<Journal::Record> replay;
  auto j = MustOpen(&replay);
  ASSERT_NE(j, nullptr);
  EXPECT_THAT(Payloads(replay), ::testing::ElementsAre("r0", "r1", "r2"));
  EXPECT_EQ(j->pending(), 3u);
}

TEST_F(JournalTest, DoneRecordsOfClosedSegmentsAreForgotten) {
  std::vector<Journal::Record> replay;
  auto j = MustOpen(&replay, /*segment_bytes=*/64);
  ASSERT_NE(j, nullptr);
  std::vector<uint64_t> segments;
  for (int i = 0; i < 20; ++i) {
    auto seg = j->Append(std::string(20, static_cast<char>('a' + i)));
    ASSERT_THAT(seg.status(), IsOk());
    segments.push_back(*seg);
  }
  EXPECT_GT(segments.back(), segments.front());  // it rolled over to new segments
  EXPECT_GT(SegmentFiles(), 2u);
  // Out of order: all but the first record done. The first segment stays (it has one pending).
  for (size_t i = 1; i < segments.size(); ++i) ASSERT_THAT(j->Done(segments[i]), IsOk());
  EXPECT_EQ(j->pending(), 1u);
  const size_t with_first = SegmentFiles();
  ASSERT_THAT(j->Done(segments[0]), IsOk());
  EXPECT_EQ(j->pending(), 0u);
  EXPECT_LT(SegmentFiles(), with_first);
  EXPECT_LE(SegmentFiles(), 1u);  // only the segment being written remains
  EXPECT_FALSE(j->Done(segments[0]).ok());  // nothing pending there any more
  j.reset();
  // A restart replays only what was never forgotten: the records of the open segment.
  replay.clear();
  j = MustOpen(&replay, 64);
  for (const auto& r : replay) EXPECT_EQ(r.payload.size(), 20u);
  EXPECT_LE(replay.size(), 3u);
}

TEST_F(JournalTest, ASecondOwnerIsRefused) {
  std::vector<Journal::Record> replay;
  auto j = MustOpen(&replay);
  ASSERT_NE(j, nullptr);
  ASSERT_THAT(j->Append("x").status(), IsOk());
  auto second = Journal::Open({.dir = dir_ + "/spool", .name = "settle"}, &replay);
  EXPECT_FALSE(second.ok());
}

TEST_F(JournalTest, SyncFdIsHandedOutOnlyAfterAnAppend) {
  std::vector<Journal::Record> replay;
  auto j = MustOpen(&replay);
  ASSERT_NE(j, nullptr);
  EXPECT_EQ(j->TakeSyncFd(), -1);
  ASSERT_THAT(j->Append("x").status(), IsOk());
  int fd = j->TakeSyncFd();
  ASSERT_GE(fd, 0);
  EXPECT_EQ(::fdatasync(fd), 0);
  ::close(fd);
  EXPECT_EQ(j->TakeSyncFd(), -1);
}

}  // namespace
}  // namespace llmgw::gateway

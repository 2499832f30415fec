#include "services/gateway/storage/spool_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/testing/status_matchers.h"

namespace llmgw::gateway {
namespace {

using ::llmgw::test::IsOk;
using ::llmgw::test::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

class SpoolFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/spool_file_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/sub/usage.spool";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<SpoolFile> MustOpen() {
    auto spool = SpoolFile::Open(path_);
    EXPECT_THAT(spool.status(), IsOk());
    return spool.ok() ? std::move(*spool) : nullptr;
  }
  uint64_t FileSize() { return std::filesystem::file_size(path_); }

  std::string dir_;
  std::string path_;
};

TEST(SpoolCrc32Test, MatchesZlibCheckValue) {
  EXPECT_EQ(SpoolCrc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(SpoolCrc32(""), 0u);
}

TEST_F(SpoolFileTest, AppendReadRoundTrip) {
  auto spool = MustOpen();
  ASSERT_NE(spool, nullptr);
  EXPECT_FALSE(spool->HasPending());
  std::string binary("a\0b\xff", 4);
  ASSERT_THAT(spool->Append({"first", binary, ""}), IsOk());
  EXPECT_TRUE(spool->HasPending());
  EXPECT_EQ(spool->size_bytes(), 3 * SpoolFile::kHeaderBytes + 5 + 4);
  EXPECT_EQ(FileSize(), spool->size_bytes());

  auto read = spool->ReadCommitted(10);
  ASSERT_THAT(read.status(), IsOk());
  EXPECT_THAT(read->records, ElementsAre("first", binary, ""));
  EXPECT_EQ(read->next_offset, spool->size_bytes());

  // Reading does not consume; only Commit does.
  auto again = spool->ReadCommitted(1);
  ASSERT_THAT(again.status(), IsOk());
  EXPECT_THAT(again->records, ElementsAre("first"));
  EXPECT_EQ(again->next_offset, SpoolFile::kHeaderBytes + 5);
}

TEST_F(SpoolFileTest, CommittedOffsetSurvivesReopen) {
  {
    auto spool = MustOpen();
    ASSERT_NE(spool, nullptr);
    ASSERT_THAT(spool->Append({"a", "b", "c"}), IsOk());
    auto read = spool->ReadCommitted(2);
    ASSERT_THAT(read.status(), IsOk());
    ASSERT_THAT(read->records, ElementsAre("a", "b"));
    ASSERT_THAT(spool->Commit(read->next_offset), IsOk());
  }
  auto spool = MustOpen();
  ASSERT_NE(spool, nullptr);
  EXPECT_EQ(spool->committed_offset(), 2 * (SpoolFile::kHeaderBytes + 1));
  auto read = spool->ReadCommitted(10);
  ASSERT_THAT(read.status(), IsOk());
  EXPECT_THAT(read->records, ElementsAre("c"));

  // Committing the last record empties the file and resets the offset, durably.
  ASSERT_THAT(spool->Commit(read->next_offset), IsOk());
  EXPECT_FALSE(spool->HasPending());
  EXPECT_EQ(spool->size_bytes(), 0u);
  EXPECT_EQ(FileSize(), 0u);
  spool.reset();
  spool = MustOpen();
  ASSERT_NE(spool, nullptr);
  EXPECT_EQ(spool->committed_offset(), 0u);
  EXPECT_FALSE(spool->HasPending());
}

TEST_F(SpoolFileTest, RejectsCommitOutsideTheFile) {
  auto spool = MustOpen();
  ASSERT_NE(spool, nullptr);
  ASSERT_THAT(spool->Append({"abc"}), IsOk());
  EXPECT_THAT(spool->Commit(spool->size_bytes() + 1), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(SpoolFileTest, TornTailRecordIsIgnoredAndTruncated) {
  uint64_t good_size = 0;
  {
    auto spool = MustOpen();
    ASSERT_NE(spool, nullptr);
    ASSERT_THAT(spool->Append({"one", "two"}), IsOk());
    good_size = spool->size_bytes();
    ASSERT_THAT(spool->Append({"three-is-longer"}), IsOk());
  }
  // A crash mid-append: the last record lost its final bytes.
  std::filesystem::resize_file(path_, FileSize() - 4);
  {
    auto spool = MustOpen();
    ASSERT_NE(spool, nullptr);
    EXPECT_EQ(spool->size_bytes(), good_size);
    EXPECT_EQ(FileSize(), good_size);
    auto read = spool->ReadCommitted(10);
    ASSERT_THAT(read.status(), IsOk());
    EXPECT_THAT(read->records, ElementsAre("one", "two"));
    // New appends follow the good records directly.
    ASSERT_THAT(spool->Append({"four"}), IsOk());
    read = spool->ReadCommitted(10);
    ASSERT_THAT(read.status(), IsOk());
    EXPECT_THAT(read->records, ElementsAre("one", "two", "four"));
  }
  // Only half a header after the good records.
  {
    std::ofstream out(path_, std::ios::binary | std::ios::app);
    out.write("\x05\x00\x00", 3);
  }
  auto spool = MustOpen();
  ASSERT_NE(spool, nullptr);
  auto read = spool->ReadCommitted(10);
  ASSERT_THAT(read.status(), IsOk());
  EXPECT_THAT(read->records, ElementsAre("one", "two", "four"));
}

TEST_F(SpoolFileTest, CorruptTailRecordFailsItsCrcAndIsTruncated) {
  {
    auto spool = MustOpen();
    ASSERT_NE(spool, nullptr);
    ASSERT_THAT(spool->Append({"keep", "flip"}), IsOk());
  }
  {
    std::fstream f(path_, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(-1, std::ios::end);
    f.put('X');
  }
  auto spool = MustOpen();
  ASSERT_NE(spool, nullptr);
  auto read = spool->ReadCommitted(10);
  ASSERT_THAT(read.status(), IsOk());
  EXPECT_THAT(read->records, ElementsAre("keep"));
  EXPECT_EQ(FileSize(), SpoolFile::kHeaderBytes + 4);
}

TEST_F(SpoolFileTest, ManyRecordsComeBackInOrderAcrossBatchesAndReopens) {
  constexpr int kRecords = 5000;
  {
    auto spool = MustOpen();
    ASSERT_NE(spool, nullptr);
    for (int b = 0; b < kRecords / 250; ++b) {
      std::vector<std::string> batch;
      for (int i = 0; i < 250; ++i) batch.push_back(absl::StrCat("event-", b * 250 + i));
      ASSERT_THAT(spool->Append(batch), IsOk());
    }
  }
  std::vector<std::string> got;
  for (int round = 0; round < 100; ++round) {
    // Reopen between batches: the committed offset carries the position.
    auto spool = MustOpen();
    ASSERT_NE(spool, nullptr);
    if (!spool->HasPending()) break;
    auto read = spool->ReadCommitted(333);
    ASSERT_THAT(read.status(), IsOk());
    ASSERT_FALSE(read->records.empty());
    for (auto& r : read->records) got.push_back(std::move(r));
    ASSERT_THAT(spool->Commit(read->next_offset), IsOk());
  }
  ASSERT_EQ(got.size(), static_cast<size_t>(kRecords));
  for (int i = 0; i < kRecords; ++i) ASSERT_EQ(got[i], absl::StrCat("event-", i)) << i;
  EXPECT_EQ(FileSize(), 0u);
}

TEST_F(SpoolFileTest, ReadsStopBeforeTheByteLimitButAlwaysReturnOneRecord) {
  auto spool = MustOpen();
  ASSERT_NE(spool, nullptr);
  const std::string a(10, 'a'), b(10, 'b'), c(10, 'c'), big(25, 'X'), d(5, 'd');
  ASSERT_THAT(spool->Append({a, b, c, big, d}), IsOk());
  auto read = spool->ReadCommitted(100, 25);
  ASSERT_THAT(read.status(), IsOk());
  EXPECT_THAT(read->records, ElementsAre(a, b));  // a third record would make 30 bytes
  ASSERT_THAT(spool->Commit(read->next_offset), IsOk());
  read = spool->ReadCommitted(100, 20);
  ASSERT_THAT(read.status(), IsOk());
  EXPECT_THAT(read->records, ElementsAre(c));
  ASSERT_THAT(spool->Commit(read->next_offset), IsOk());
  read = spool->ReadCommitted(100, 20);  // larger than the limit on its own: still delivered
  ASSERT_THAT(read.status(), IsOk());
  EXPECT_THAT(read->records, ElementsAre(big));
  ASSERT_THAT(spool->Commit(read->next_offset), IsOk());
  read = spool->ReadCommitted(100, 5);
  ASSERT_THAT(read.status(), IsOk());
  EXPECT_THAT(read->records, ElementsAre(d));
  ASSERT_THAT(spool->Commit(read->next_offset), IsOk());
  EXPECT_FALSE(spool->HasPending());
}

TEST_F(SpoolFileTest, SecondOwnerIsRefused) {
  auto first = MustOpen();
  ASSERT_NE(first, nullptr);
  EXPECT_THAT(SpoolFile::Open(path_).status(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(SpoolFileTest, UnwritableDirectoryIsAnError) {
  // A regular file where the directory should be: fails even for root.
  std::string blocker = dir_ + "/blocker";
  std::ofstream(blocker) << "x";
  auto spool = SpoolFile::Open(blocker + "/spool/usage.spool");
  EXPECT_FALSE(spool.ok());
}

}  // namespace
}  // namespace llmgw::gateway

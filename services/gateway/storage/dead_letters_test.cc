#include "services/gateway/storage/dead_letters.h"

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/testing/status_matchers.h"
#include "services/gateway/storage/spool_file.h"

namespace llmgw::gateway {
namespace {

using ::llmgw::test::IsOk;
using ::llmgw::test::StatusIs;
using ::testing::ElementsAre;

class DeadLettersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dead_letters_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Write(const std::string& path, const std::vector<std::string>& records) {
    auto f = SpoolFile::Open(path);
    ASSERT_THAT(f.status(), IsOk());
    ASSERT_THAT((*f)->Append(records), IsOk());
  }
  // What a reader of `path` would be given, from its committed offset on.
  std::vector<std::string> Pending(const std::string& path) {
    auto f = SpoolFile::Open(path);
    EXPECT_THAT(f.status(), IsOk());
    if (!f.ok()) return {};
    auto read = (*f)->ReadCommitted(100'000);
    EXPECT_THAT(read.status(), IsOk());
    return read.ok() ? read->records : std::vector<std::string>{};
  }

  std::string dir_;
};

TEST_F(DeadLettersTest, WithoutADeadLetterFileNothingMovesAndNothingIsCreated) {
  auto moved = RequeueDeadLetters(dir_);
  ASSERT_THAT(moved.status(), IsOk());
  EXPECT_EQ(*moved, 0u);
  EXPECT_TRUE(std::filesystem::is_empty(dir_));
}

TEST_F(DeadLettersTest, MovesEveryRecordInOrderBehindWhatTheSpoolHolds) {
  {
    auto spool = SpoolFile::Open(SpoolPath(dir_));
    ASSERT_THAT(spool.status(), IsOk());
    ASSERT_THAT((*spool)->Append({"delivered", "spooled"}), IsOk());
    auto first = (*spool)->ReadCommitted(1);
    ASSERT_THAT(first.status(), IsOk());
    ASSERT_THAT((*spool)->Commit(first->next_offset), IsOk());  // "delivered" was delivered
  }
  std::vector<std::string> dead;
  for (int i = 0; i < 2500; ++i) dead.push_back(absl::StrCat("dead-", i));  // several chunks
  Write(DeadLetterPath(dir_), dead);

  auto moved = RequeueDeadLetters(dir_);
  ASSERT_THAT(moved.status(), IsOk());
  EXPECT_EQ(*moved, 2500u);

  std::vector<std::string> want = {"spooled"};
  want.insert(want.end(), dead.begin(), dead.end());
  EXPECT_EQ(Pending(SpoolPath(dir_)), want);
  EXPECT_TRUE(Pending(DeadLetterPath(dir_)).empty());
  EXPECT_EQ(std::filesystem::file_size(DeadLetterPath(dir_)), 0u);

  // Again: nothing left to move.
  moved = RequeueDeadLetters(dir_);
  ASSERT_THAT(moved.status(), IsOk());
  EXPECT_EQ(*moved, 0u);
  EXPECT_EQ(Pending(SpoolPath(dir_)).size(), want.size());
}

TEST_F(DeadLettersTest, RefusesWhileAGatewayUsesTheDirectory) {
  Write(DeadLetterPath(dir_), {"a", "b"});
  auto held = SpoolFile::Open(SpoolPath(dir_));  // what a running gateway holds
  ASSERT_THAT(held.status(), IsOk());

  EXPECT_THAT(RequeueDeadLetters(dir_).status(), StatusIs(absl::StatusCode::kFailedPrecondition));
  held->reset();
  EXPECT_THAT(Pending(DeadLetterPath(dir_)), ElementsAre("a", "b"));  // untouched
  EXPECT_TRUE(Pending(SpoolPath(dir_)).empty());
}

}  // namespace
}  // namespace llmgw::gateway

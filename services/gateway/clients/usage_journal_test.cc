#include "services/gateway/clients/usage_journal.h"

#include <prometheus/registry.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace llmgw::gateway {
namespace {

class CollectingSink : public UsageSink {
 public:
  void Emit(metering::v1::UsageEvent event) override {
    std::lock_guard<std::mutex> lock(mu_);
    ids.push_back(event.event_id());
  }
  std::vector<std::string> ids;

 private:
  std::mutex mu_;
};

metering::v1::UsageEvent Event(const std::string& id) {
  metering::v1::UsageEvent e;
  e.set_event_id(id);
  e.set_model("gpt-4o-mini");
  return e;
}

class UsageJournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/usage_journal_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<UsageJournal> Open() {
    auto j = UsageJournal::Open({.spool_dir = dir_}, registry_);
    EXPECT_TRUE(j.ok()) << j.status();
    return j.ok() ? std::move(*j) : nullptr;
  }
  prometheus::Registry registry_;
  std::string dir_;
};

TEST_F(UsageJournalTest, EventsNeverMadeSafeAreReplayedAfterAKill) {
  {
    auto j = Open();
    CollectingSink shipper;
    j->Attach(shipper);
    for (const char* id : {"e1", "e2", "e3"}) j->Emit(Event(id));
    EXPECT_THAT(shipper.ids, ::testing::ElementsAre("e1", "e2", "e3"));
    j->Forget({"e2"});  // metering acknowledged e2 only
    EXPECT_EQ(j->pending(), 2u);
    // The process dies here: nothing else is reported safe.
  }
  auto j = Open();
  CollectingSink shipper;
  j->Attach(shipper);
  // e2 may come back too while its segment is still open (metering dedupes by event id); e1 and
  // e3 must.
  EXPECT_THAT(shipper.ids, ::testing::IsSupersetOf({"e1", "e3"}));
  j->Forget(shipper.ids);
  EXPECT_EQ(j->pending(), 0u);
}

TEST_F(UsageJournalTest, ForgettingUnknownIdsIsHarmless) {
  auto j = Open();
  CollectingSink shipper;
  j->Attach(shipper);
  j->Emit(Event("a"));
  j->Forget({"zzz", "a", "a"});
  EXPECT_EQ(j->pending(), 0u);
}

}  // namespace
}  // namespace llmgw::gateway

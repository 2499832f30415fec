#include "libs/common/thread.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "gtest/gtest.h"

namespace llmgw::threads {
namespace {

std::string NameOfThisThread() {
  char name[16] = {};
  pthread_getname_np(pthread_self(), name, sizeof name);
  return name;
}

int NiceOfThisThread() { return getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid))); }

TEST(NameThisThread, SetsTheNameCutTo15Characters) {
  std::string short_name, long_name;
  std::thread([&] {
    NameThisThread("gw-io-1");
    short_name = NameOfThisThread();
    NameThisThread("usage-shipper-with-a-long-name");
    long_name = NameOfThisThread();
  }).join();
  EXPECT_EQ(short_name, "gw-io-1");
  EXPECT_EQ(long_name, "usage-shipper-w");
}

TEST(LowerThisThreadPriority, ChangesOnlyTheCallingThreadAndItsChildren) {
  const int before = NiceOfThisThread();
  if (before >= 10) GTEST_SKIP() << "the test already runs at nice " << before;
  int lowered = -100, child = -100;
  std::thread([&] {
    ASSERT_TRUE(LowerThisThreadPriority(10));
    lowered = NiceOfThisThread();
    std::thread([&] { child = NiceOfThisThread(); }).join();
  }).join();
  EXPECT_EQ(lowered, 10);
  EXPECT_EQ(child, 10);                   // inherited by threads it creates
  EXPECT_EQ(NiceOfThisThread(), before);  // the rest of the process keeps its priority
}

}  // namespace
}  // namespace llmgw::threads

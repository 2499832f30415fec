#include "libs/common/thread.h"

#include <pthread.h>

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

}  // namespace
}  // namespace llmgw::threads

// RunEventLoop: the I/O threads' loop, sleeping at once or busy-polling first.

#include "libs/httpd/event_loop.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <time.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <thread>

namespace llmgw::httpd {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// CPU time a thread has used so far.
std::chrono::nanoseconds ThreadCpu(std::thread& t) {
  clockid_t clock;
  EXPECT_EQ(pthread_getcpuclockid(t.native_handle(), &clock), 0);
  timespec ts{};
  EXPECT_EQ(clock_gettime(clock, &ts), 0);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

class EventLoopTest : public ::testing::TestWithParam<int> {
 protected:
  std::chrono::microseconds busy_poll() const { return std::chrono::microseconds(GetParam()); }
};

TEST_P(EventLoopTest, RunsPostedWorkAndTimersAndReturnsWhenStopped) {
  asio::io_context ctx(1);
  auto guard = asio::make_work_guard(ctx);
  std::atomic<int> ran{0};
  std::atomic<bool> timer_fired{false};
  std::thread loop([&] { RunEventLoop(ctx, busy_poll()); });
  for (int i = 0; i < 100; ++i) asio::post(ctx, [&] { ran++; });
  asio::steady_timer timer(ctx, 20ms);
  timer.async_wait([&](const boost::system::error_code& ec) { timer_fired = !ec; });
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while ((ran.load() < 100 || !timer_fired.load()) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(ran.load(), 100);
  EXPECT_TRUE(timer_fired.load());
  ctx.stop();
  loop.join();  // returns although the work guard still holds the context open
  EXPECT_TRUE(ctx.stopped());
}

TEST_P(EventLoopTest, AnIdleLoopSleeps) {
  // Polling lasts only busy_poll after the last handler: a loop with nothing to do must not
  // keep a core busy. Over 300 ms idle it may use the polling window once, not the whole time.
  asio::io_context ctx(1);
  auto guard = asio::make_work_guard(ctx);
  std::atomic<bool> ran{false};
  std::thread loop([&] { RunEventLoop(ctx, busy_poll()); });
  asio::post(ctx, [&] { ran = true; });
  while (!ran.load()) std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(50ms);  // past the polling window
  const auto before = ThreadCpu(loop);
  std::this_thread::sleep_for(300ms);
  const auto used = ThreadCpu(loop) - before;
  EXPECT_LT(used, 30ms) << "the idle loop used " << used.count() << " ns of CPU in 300 ms";
  ctx.stop();
  loop.join();
}

TEST(EventLoopBusyPollTest, PollsThroughShortGapsInsteadOfSleeping) {
  // With a 200 ms window and work every 5 ms, the thread never sleeps in between: its CPU time
  // is most of the wall time; a sleeping loop would use ~1 ms (the proof that the option works).
  asio::io_context ctx(1);
  auto guard = asio::make_work_guard(ctx);
  std::thread loop([&] { RunEventLoop(ctx, 200ms); });
  std::atomic<int> ran{0};
  const auto before = ThreadCpu(loop);
  for (int i = 0; i < 40; ++i) {
    asio::post(ctx, [&] { ran++; });
    std::this_thread::sleep_for(5ms);
  }
  const auto used = ThreadCpu(loop) - before;
  ctx.stop();
  loop.join();
  EXPECT_EQ(ran.load(), 40);
  EXPECT_GT(used, 20ms) << "over ~200 ms of 5 ms gaps the loop used " << used.count() << " ns";
}

INSTANTIATE_TEST_SUITE_P(Modes, EventLoopTest, ::testing::Values(0, 200, 5000),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return info.param == 0 ? std::string("Sleeping")
                                                  : "BusyPoll" + std::to_string(info.param) + "us";
                         });

}  // namespace
}  // namespace llmgw::httpd

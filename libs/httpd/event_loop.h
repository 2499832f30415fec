#pragma once
// The I/O thread loop of the shared HTTP server (libs/httpd/server.h). Header-only (Asio alone)
// so that bench/relay.cc, the floor the gateway is measured against, runs the very same loop
// without linking the gateway.

#include <boost/asio/io_context.hpp>
#include <chrono>

namespace llmgw::httpd {

// Runs `ctx` until it is stopped. With busy_poll > 0, after each burst of work the thread keeps
// polling (io_context::poll: ready handlers and a non-blocking epoll_wait) for up to busy_poll
// before it blocks. In a VM, waking a sleeping vCPU costs tens of µs per hop; polling briefly
// keeps the thread awake across a proxied round trip (HAProxy's `busy-polling`, but bounded, so
// an idle loop sleeps). Exceptions from handlers propagate.
inline void RunEventLoop(boost::asio::io_context& ctx, std::chrono::microseconds busy_poll) {
  if (busy_poll.count() <= 0) {
    ctx.run();
    return;
  }
  using Clock = std::chrono::steady_clock;
  auto last_work = Clock::now();
  while (!ctx.stopped()) {
    if (ctx.poll() > 0) {
      last_work = Clock::now();
    } else if (Clock::now() - last_work >= busy_poll) {
      ctx.run_one();
      last_work = Clock::now();
    }
  }
}

}  // namespace llmgw::httpd

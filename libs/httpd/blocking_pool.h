#pragma once
// Threads for request handlers that block (the dashboard's synchronous gRPC calls). A coroutine
// on an I/O thread of the HTTP server hands its work over and resumes when it is done: the I/O
// threads never block, and a connection that is idle or trickles its header costs no thread.

#include <boost/asio/awaitable.hpp>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace llmgw::httpd {

class BlockingPool {
 public:
  // `threads` workers (named <name>-<n>); at most `max_queued` jobs wait for one.
  BlockingPool(size_t threads, size_t max_queued, const std::string& name);
  ~BlockingPool();  // runs what is queued, then joins

  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  // Runs `work` on a worker and resumes the calling coroutine on its own executor afterwards
  // with true; with false at once, without running it, when max_queued jobs already wait.
  // `work` must not throw. Not a coroutine: keep the returned awaitable in a local before
  // co_await-ing it (GCC 12 and temporaries in a co_await expression).
  boost::asio::awaitable<bool> Run(std::function<void()> work);

  size_t queued() const;

 private:
  bool Post(std::function<void()> job);
  void WorkerLoop();

  const size_t max_queued_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace llmgw::httpd

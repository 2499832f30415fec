#include "libs/httpd/blocking_pool.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/common/thread.h"
#include "libs/httpd/async_bridge.h"

namespace llmgw::httpd {

BlockingPool::BlockingPool(size_t threads, size_t max_queued, const std::string& name)
    : max_queued_(max_queued) {
  if (threads == 0) threads = 1;
  for (size_t i = 0; i < threads; ++i) {
    threads_.emplace_back([this, thread_name = absl::StrCat(name, "-", i)] {
      threads::NameThisThread(thread_name.c_str());
      WorkerLoop();
    });
  }
}

BlockingPool::~BlockingPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

size_t BlockingPool::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

bool BlockingPool::Post(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || queue_.size() >= max_queued_) return false;
    queue_.push_back(std::move(job));
  }
  cv_.notify_one();
  return true;
}

void BlockingPool::WorkerLoop() {
  while (true) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job();
  }
}

boost::asio::awaitable<bool> BlockingPool::Run(std::function<void()> work) {
  return AwaitCallback<bool>([this, work = std::move(work)](auto done) mutable {
    if (!Post([work = std::move(work), done]() mutable {
          work();
          done(true);
        })) {
      done(false);
    }
  });
}

}  // namespace llmgw::httpd

#pragma once
// The one bridge from a callback API (gRPC's, whose callbacks run on any thread) to the calling
// coroutine: the coroutine resumes on its own executor, so an I/O thread never blocks.

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <utility>

namespace llmgw::httpd {

// Runs `start(done)`, an asynchronous call that invokes `done(T)` exactly once on any thread
// (possibly before it returns), and resumes the caller with the result.
template <typename T, typename Start>
boost::asio::awaitable<T> AwaitCallback(Start start) {
  namespace asio = boost::asio;
  return asio::async_initiate<decltype(asio::use_awaitable), void(T)>(
      [start = std::move(start)](auto handler) mutable {
        auto ex = asio::get_associated_executor(handler);
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        start([h, ex](T result) {
          asio::post(ex, [h, r = std::move(result)]() mutable { (*h)(std::move(r)); });
        });
      },
      asio::use_awaitable);
}

}  // namespace llmgw::httpd

#pragma once
// Test-only pieces shared by the gateway's in-process server tests: a blocking HTTP/1.1 server on
// 127.0.0.1:<port 0> that records every request and lets the test answer it, and a UsageSink that
// keeps the events in memory.

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "services/gateway/clients/usage_sink.h"

namespace llmgw::gateway::testsupport {

struct RecordedRequest {
  std::string method, target, body;
  std::map<std::string, std::string> headers;  // lower-case names
};

// One thread per connection, keep-alive. `respond` writes the answer to one request on the socket
// and returns false to close the connection.
class FakeHttpServer {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  using Respond =
      std::function<bool(const Request&, const RecordedRequest&, boost::asio::ip::tcp::socket&)>;

  FakeHttpServer()
      : acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}),
        port_(acceptor_.local_endpoint().port()) {}
  // Derived classes call Stop() in their destructor, before the state `respond` uses is gone.
  virtual ~FakeHttpServer() { Stop(); }

  void Start(Respond respond) {
    respond_ = std::move(respond);
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }
  void Stop() {
    if (stop_.exchange(true) || !accept_thread_.joinable()) return;
    boost::beast::error_code ec;
    boost::asio::ip::tcp::socket s(ioc_);
    s.connect(acceptor_.local_endpoint(), ec);  // wakes accept()
    accept_thread_.join();
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& sock : sockets_) {
        boost::beast::error_code ignored;
        sock->shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
      }
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
  }
  int port() const { return port_; }
  std::vector<RecordedRequest> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  void AcceptLoop() {
    while (!stop_) {
      auto socket = std::make_shared<boost::asio::ip::tcp::socket>(ioc_);
      boost::beast::error_code ec;
      acceptor_.accept(*socket, ec);
      if (ec || stop_) break;
      std::lock_guard<std::mutex> lock(mu_);
      sockets_.push_back(socket);
      threads_.emplace_back([this, socket] { Serve(*socket); });
    }
  }
  void Serve(boost::asio::ip::tcp::socket& socket) {
    boost::beast::flat_buffer buffer;
    while (true) {
      Request req;
      boost::beast::error_code ec;
      boost::beast::http::read(socket, buffer, req, ec);
      if (ec) return;
      RecordedRequest r{
          std::string(req.method_string()), std::string(req.target()), req.body(), {}};
      for (const auto& f : req) {
        std::string name(f.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        r.headers[name] = std::string(f.value());
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(r);
      }
      if (!respond_(req, r, socket)) return;
    }
  }

  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  int port_ = 0;
  Respond respond_;
  std::atomic<bool> stop_{false};
  std::thread accept_thread_;
  std::mutex mu_;
  std::vector<std::shared_ptr<boost::asio::ip::tcp::socket>> sockets_;
  std::vector<std::thread> threads_;
  std::vector<RecordedRequest> requests_;
};

class InMemorySink : public UsageSink {
 public:
  void Emit(metering::v1::UsageEvent event) override {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(std::move(event));
    cv_.notify_all();
  }
  // Waits (up to 10 s) for the n-th event, 1-based; an empty event when it does not come.
  metering::v1::UsageEvent WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10), [&] { return events_.size() >= n; });
    return events_.size() >= n ? events_[n - 1] : metering::v1::UsageEvent();
  }
  size_t size() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<metering::v1::UsageEvent> events_;
};

}  // namespace llmgw::gateway::testsupport

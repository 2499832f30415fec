// llmgw-stream-load: a load client for streaming (SSE) and plain HTTP requests.
//
// Opens --connections concurrent connections to --url, each sending --requests-per-conn POST
// requests with --body and --header values, reads every response to its end, and prints one JSON
// line: requests, errors, status counts, time to first body byte and total time percentiles (µs).
// Used by bench/passthrough.sh to measure added time to first stream byte and to hold thousands
// of concurrent streams; it only ever connects to the loopback address it is given.
//
//   llmgw-stream-load --url http://127.0.0.1:8080/api/v1/openai/chat/completions
//     --header 'X-Monitor-Token: mon_sk_…' --body '{"model":"gpt-4o-mini","stream":true,…}'
//     --connections 8000 --requests-per-conn 1 --threads 2 --timeout-s 60
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  std::string port = "8080";
  std::string target = "/";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  int connections = 1;
  int requests_per_conn = 1;
  int threads = 1;
  int timeout_s = 60;
  int ramp_ms = 0;  // spread connection starts over this many ms
};

struct Results {
  std::mutex mu;
  std::vector<int64_t> ttfb_us;
  std::vector<int64_t> total_us;
  std::map<int, int64_t> statuses;
  std::atomic<int64_t> errors{0};
  std::atomic<int64_t> done{0};
  std::atomic<int64_t> bytes{0};
  std::string first_error;
};

asio::awaitable<void> RunConnection(Options const& o, Results& r, tcp::endpoint ep, int delay_ms) {
  auto ex = co_await asio::this_coro::executor;
  if (delay_ms > 0) {
    asio::steady_timer t(ex, std::chrono::milliseconds(delay_ms));
    co_await t.async_wait(asio::use_awaitable);
  }
  beast::tcp_stream stream(ex);
  try {
    stream.expires_after(std::chrono::seconds(o.timeout_s));
    co_await stream.async_connect(ep, asio::use_awaitable);
    stream.socket().set_option(tcp::no_delay(true));
    beast::flat_buffer buf;
    for (int i = 0; i < o.requests_per_conn; ++i) {
      http::request<http::string_body> req{http::verb::post, o.target, 11};
      req.set(http::field::host, o.host + ":" + o.port);
      req.set(http::field::content_type, "application/json");
      for (auto& [k, v] : o.headers) req.set(k, v);
      req.body() = o.body;
      req.prepare_payload();
      stream.expires_after(std::chrono::seconds(o.timeout_s));
      auto start = Clock::now();
      co_await http::async_write(stream, req, asio::use_awaitable);
      http::response_parser<http::buffer_body> parser;
      parser.body_limit(boost::none);
      co_await http::async_read_header(stream, buf, parser, asio::use_awaitable);
      int64_t ttfb = -1;
      char chunk[16384];
      while (!parser.is_done()) {
        parser.get().body().data = chunk;
        parser.get().body().size = sizeof(chunk);
        beast::error_code ec;
        co_await http::async_read_some(stream, buf, parser,
                                       asio::redirect_error(asio::use_awaitable, ec));
        if (ec == http::error::need_buffer) ec = {};
        if (ec) throw beast::system_error(ec);
        size_t got = sizeof(chunk) - parser.get().body().size;
        if (got > 0 && ttfb < 0) {
          ttfb =
              std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
        }
        r.bytes += got;
      }
      int64_t total =
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
      {
        std::lock_guard<std::mutex> lock(r.mu);
        r.ttfb_us.push_back(ttfb < 0 ? total : ttfb);
        r.total_us.push_back(total);
        r.statuses[parser.get().result_int()]++;
      }
      ++r.done;
      if (!parser.get().keep_alive()) break;
    }
  } catch (const std::exception& e) {
    ++r.errors;
    std::lock_guard<std::mutex> lock(r.mu);
    if (r.first_error.empty()) r.first_error = e.what();
  }
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
}

int64_t Pct(std::vector<int64_t>& v, double p) {
  if (v.empty()) return 0;
  size_t idx = std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * v.size()));
  std::nth_element(v.begin(), v.begin() + idx, v.end());
  return v[idx];
}

[[noreturn]] void Usage() {
  std::fprintf(stderr,
               "usage: llmgw-stream-load --url http://127.0.0.1:PORT/path [--body JSON] "
               "[--header 'K: V']... [--connections N] [--requests-per-conn N] [--threads N] "
               "[--timeout-s N] [--ramp-ms N]\n");
  std::exit(2);
}

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Usage();
      return argv[++i];
    };
    if (a == "--url") {
      std::string url = next();
      if (url.rfind("http://", 0) != 0) Usage();
      std::string rest = url.substr(7);
      size_t slash = rest.find('/');
      std::string hostport = rest.substr(0, slash);
      o.target = slash == std::string::npos ? "/" : rest.substr(slash);
      size_t colon = hostport.rfind(':');
      o.host = hostport.substr(0, colon);
      o.port = colon == std::string::npos ? "80" : hostport.substr(colon + 1);
    } else if (a == "--body") {
      o.body = next();
    } else if (a == "--header") {
      std::string h = next();
      size_t c = h.find(':');
      if (c == std::string::npos) Usage();
      std::string v = h.substr(c + 1);
      while (!v.empty() && v.front() == ' ') v.erase(v.begin());
      o.headers.emplace_back(h.substr(0, c), v);
    } else if (a == "--connections") {
      o.connections = std::atoi(next().c_str());
    } else if (a == "--requests-per-conn") {
      o.requests_per_conn = std::atoi(next().c_str());
    } else if (a == "--threads") {
      o.threads = std::atoi(next().c_str());
    } else if (a == "--timeout-s") {
      o.timeout_s = std::atoi(next().c_str());
    } else if (a == "--ramp-ms") {
      o.ramp_ms = std::atoi(next().c_str());
    } else {
      Usage();
    }
  }
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);

  asio::io_context io(o.threads);
  tcp::resolver resolver(io);
  tcp::endpoint ep = *resolver.resolve(o.host, o.port).begin();
  Results r;
  for (int c = 0; c < o.connections; ++c) {
    int delay =
        o.ramp_ms > 0 ? static_cast<int>(static_cast<int64_t>(c) * o.ramp_ms / o.connections) : 0;
    asio::co_spawn(io, RunConnection(o, r, ep, delay), asio::detached);
  }
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 1; t < o.threads; ++t) threads.emplace_back([&] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();
  double secs = std::chrono::duration<double>(Clock::now() - start).count();

  std::string statuses;
  for (auto& [code, n] : r.statuses) {
    statuses += (statuses.empty() ? "" : ",") + std::string("\"") + std::to_string(code) +
                "\":" + std::to_string(n);
  }
  std::printf(
      "{\"requests\":%lld,\"errors\":%lld,\"statuses\":{%s},\"seconds\":%.3f,\"req_per_s\":%.1f,"
      "\"ttfb_us\":{\"p50\":%lld,\"p90\":%lld,\"p99\":%lld},"
      "\"total_us\":{\"p50\":%lld,\"p99\":%lld,\"p999\":%lld,\"max\":%lld},"
      "\"bytes\":%lld,\"first_error\":\"%s\"}"
      "\n",
      static_cast<long long>(r.done.load()), static_cast<long long>(r.errors.load()),
      statuses.c_str(), secs, r.done.load() / secs, static_cast<long long>(Pct(r.ttfb_us, 50)),
      static_cast<long long>(Pct(r.ttfb_us, 90)), static_cast<long long>(Pct(r.ttfb_us, 99)),
      static_cast<long long>(Pct(r.total_us, 50)), static_cast<long long>(Pct(r.total_us, 99)),
      static_cast<long long>(Pct(r.total_us, 99.9)), static_cast<long long>(Pct(r.total_us, 100)),
      static_cast<long long>(r.bytes.load()), r.first_error.c_str());
  return r.errors.load() == 0 ? 0 : 1;
}

#pragma once
// A fixed-size pool of libpqxx connections, and the one place where libpqxx exceptions become
// absl::Status. Storage code runs its work inside Run(); nothing else catches pqxx exceptions.
//
//   absl::StatusOr<int64_t> n = pool.Run([&](pqxx::connection& c) -> absl::StatusOr<int64_t> {
//     pqxx::work tx(c);
//     auto r = tx.exec_prepared("count_orgs");
//     tx.commit();
//     return r[0][0].as<int64_t>();
//   });

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace llmgw::pg {

// Maps the exception in flight (call only inside a catch block) to a Status with a code that says
// what the caller should do: broken connection → kUnavailable, serialization failure or deadlock →
// kAborted, unique violation → kAlreadyExists, check/foreign-key/not-null violation →
// kFailedPrecondition, other SQL errors → kInternal. The message names the SQLSTATE, never data.
absl::Status StatusFromCurrentException();

struct PoolOptions {
  std::string url;
  int size = 8;
  std::chrono::milliseconds acquire_timeout{5000};
  // Runs on every new connection, e.g. to prepare statements.
  std::function<void(pqxx::connection&)> on_connect;
};

class PgPool {
 public:
  // Opens one connection to check the URL; UNAVAILABLE when the server can't be reached.
  static absl::StatusOr<std::unique_ptr<PgPool>> Create(PoolOptions options);
  ~PgPool();

  // Runs fn(pqxx::connection&) -> absl::Status or absl::StatusOr<T> on a pooled connection.
  // Exceptions become Status; a broken connection is dropped and replaced on a later call.
  // kAborted (serialization failure, deadlock) is retried up to `attempts` times in all.
  template <typename F>
  auto Run(F&& fn, int attempts = 3) -> std::invoke_result_t<F&, pqxx::connection&> {
    using R = std::invoke_result_t<F&, pqxx::connection&>;
    absl::Status last;
    for (int i = 0; i < attempts; ++i) {
      auto conn = Acquire();
      if (!conn.ok()) return R(conn.status());
      bool broken = false;
      try {
        R result = fn(**conn);
        Release(std::move(*conn), false);
        return result;
      } catch (...) {
        last = StatusFromCurrentException();
        broken = last.code() == absl::StatusCode::kUnavailable || !(**conn).is_open();
      }
      Release(std::move(*conn), broken);
      if (last.code() != absl::StatusCode::kAborted) break;
    }
    return R(last);
  }

  int size() const { return options_.size; }

 private:
  explicit PgPool(PoolOptions options) : options_(std::move(options)) {}
  absl::StatusOr<std::unique_ptr<pqxx::connection>> Acquire();
  void Release(std::unique_ptr<pqxx::connection> conn, bool broken);
  absl::StatusOr<std::unique_ptr<pqxx::connection>> Connect();

  PoolOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  int open_ = 0;  // connections in use or idle
};

// Retries opening one connection until it works or `timeout` passes (services starting together
// with their database). UNAVAILABLE after the timeout.
absl::Status WaitForDatabase(const std::string& url, std::chrono::milliseconds timeout);

}  // namespace llmgw::pg

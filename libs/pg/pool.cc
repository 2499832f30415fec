#include "libs/pg/pool.h"

#include <thread>

#include "absl/strings/str_cat.h"

namespace llmgw::pg {

absl::Status StatusFromCurrentException() {
  try {
    throw;
  } catch (const pqxx::broken_connection&) {
    return absl::UnavailableError("database connection lost");
  } catch (const pqxx::in_doubt_error&) {
    return absl::UnavailableError("database commit outcome unknown");
  } catch (const pqxx::serialization_failure& e) {
    return absl::AbortedError("serialization failure (40001)");
  } catch (const pqxx::deadlock_detected& e) {
    return absl::AbortedError("deadlock detected (40P01)");
  } catch (const pqxx::unique_violation& e) {
    return absl::AlreadyExistsError(absl::StrCat("unique violation (", e.sqlstate(), ")"));
  } catch (const pqxx::check_violation& e) {
    return absl::FailedPreconditionError(absl::StrCat("check violation (", e.sqlstate(), ")"));
  } catch (const pqxx::foreign_key_violation& e) {
    return absl::FailedPreconditionError(
        absl::StrCat("foreign key violation (", e.sqlstate(), ")"));
  } catch (const pqxx::not_null_violation& e) {
    return absl::FailedPreconditionError(absl::StrCat("not null violation (", e.sqlstate(), ")"));
  } catch (const pqxx::sql_error& e) {
    std::string state = e.sqlstate();
    // Class 08: connection exception; 57P0x: admin shutdown / cannot connect now.
    if (state.rfind("08", 0) == 0 || state.rfind("57P0", 0) == 0) {
      return absl::UnavailableError(absl::StrCat("database unavailable (", state, ")"));
    }
    if (state == "22P02" || state == "22003") {
      return absl::InvalidArgumentError(absl::StrCat("invalid value (", state, ")"));
    }
    return absl::InternalError(absl::StrCat("database error (", state, ")"));
  } catch (const pqxx::failure& e) {
    return absl::UnavailableError("database failure");
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("storage error: ", e.what()));
  } catch (...) {
    return absl::InternalError("storage error");
  }
}

absl::StatusOr<std::unique_ptr<PgPool>> PgPool::Create(PoolOptions options) {
  if (options.size < 1) return absl::InvalidArgumentError("pool size must be >= 1");
  std::unique_ptr<PgPool> pool(new PgPool(std::move(options)));
  auto conn = pool->Connect();
  if (!conn.ok()) return conn.status();
  pool->idle_.push_back(std::move(*conn));
  pool->open_ = 1;
  return pool;
}

PgPool::~PgPool() = default;

absl::StatusOr<std::unique_ptr<pqxx::connection>> PgPool::Connect() {
  try {
    auto conn = std::make_unique<pqxx::connection>(options_.url);
    if (options_.on_connect) options_.on_connect(*conn);
    return conn;
  } catch (...) {
    absl::Status s = StatusFromCurrentException();
    if (s.code() == absl::StatusCode::kInternal) {
      // Bad URL or similar: never echo the URL, it may hold a password.
      return absl::UnavailableError("cannot connect to the database");
    }
    return s;
  }
}

absl::StatusOr<std::unique_ptr<pqxx::connection>> PgPool::Acquire() {
  std::unique_lock<std::mutex> lock(mu_);
  auto deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
  while (idle_.empty() && open_ >= options_.size) {
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= options_.size) {
      return absl::UnavailableError("database pool exhausted");
    }
  }
  if (!idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    return conn;
  }
  ++open_;
  lock.unlock();
  auto conn = Connect();
  if (!conn.ok()) {
    std::lock_guard<std::mutex> relock(mu_);
    --open_;
    cv_.notify_one();
  }
  return conn;
}

void PgPool::Release(std::unique_ptr<pqxx::connection> conn, bool broken) {
  std::lock_guard<std::mutex> lock(mu_);
  if (broken || !conn->is_open()) {
    --open_;
  } else {
    idle_.push_back(std::move(conn));
  }
  cv_.notify_one();
}

absl::Status WaitForDatabase(const std::string& url, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    try {
      pqxx::connection c(url);
      return absl::OkStatus();
    } catch (...) {
      if (std::chrono::steady_clock::now() >= deadline) {
        return absl::UnavailableError("cannot connect to the database (LLMGW_DATABASE_URL)");
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

}  // namespace llmgw::pg

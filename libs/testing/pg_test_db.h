#pragma once
// A fresh PostgreSQL database per test fixture, on the throwaway server scripts/test starts
// (LLMGW_TEST_DATABASE_URL points at its maintenance database). Dropped on destruction.
// Storage tests never mock the database.

#include <memory>
#include <string>

namespace llmgw::test {

class PgTestDb {
 public:
  // Aborts the test binary with a clear message when LLMGW_TEST_DATABASE_URL is unset.
  static std::unique_ptr<PgTestDb> Create();
  ~PgTestDb();

  // postgresql:// URL of the fresh database.
  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }

 private:
  PgTestDb(std::string admin_url, std::string name, std::string url)
      : admin_url_(std::move(admin_url)), name_(std::move(name)), url_(std::move(url)) {}
  std::string admin_url_;
  std::string name_;
  std::string url_;
};

// The URL of database `dbname` on the server of `url` (replaces the path of a postgresql:// URL,
// keeping the query string).
std::string WithDatabase(const std::string& url, const std::string& dbname);

}  // namespace llmgw::test

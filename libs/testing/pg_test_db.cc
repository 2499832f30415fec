#include "libs/testing/pg_test_db.h"

#include <cstdio>
#include <cstdlib>
#include <pqxx/pqxx>

#include "libs/common/crypto.h"

namespace llmgw::test {

std::string WithDatabase(const std::string& url, const std::string& dbname) {
  size_t scheme = url.find("://");
  size_t start = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  size_t query = url.find('?');
  std::string base = start == std::string::npos ? url.substr(0, query) : url.substr(0, start);
  std::string rest = query == std::string::npos ? "" : url.substr(query);
  return base + "/" + dbname + rest;
}

std::unique_ptr<PgTestDb> PgTestDb::Create() {
  const char* admin = std::getenv("LLMGW_TEST_DATABASE_URL");
  if (admin == nullptr || *admin == '\0') {
    std::fprintf(stderr,
                 "LLMGW_TEST_DATABASE_URL is not set: run the tests through ./scripts/test, which "
                 "starts a throwaway PostgreSQL\n");
    std::abort();
  }
  std::string name = "llmgw_test_" + crypto::HexEncode(crypto::RandomBytes(6));
  pqxx::connection c(admin);
  pqxx::nontransaction tx(c);
  tx.exec("CREATE DATABASE " + tx.quote_name(name));
  return std::unique_ptr<PgTestDb>(new PgTestDb(admin, name, WithDatabase(admin, name)));
}

PgTestDb::~PgTestDb() {
  try {
    pqxx::connection c(admin_url_);
    pqxx::nontransaction tx(c);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_) + " WITH (FORCE)");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "warning: could not drop test database %s: %s\n", name_.c_str(), e.what());
  }
}

}  // namespace llmgw::test

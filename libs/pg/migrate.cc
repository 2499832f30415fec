#include "libs/pg/migrate.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "libs/common/log.h"

namespace llmgw::pg {

absl::Status ApplyMigrations(PgPool& pool, const std::string& schema,
                             const std::vector<Migration>& migrations, int* applied) {
  std::vector<Migration> sorted = migrations;
  std::sort(sorted.begin(), sorted.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  int count = 0;
  absl::Status s = pool.Run([&](pqxx::connection& c) -> absl::Status {
    count = 0;
    pqxx::work tx(c);
    // The lock key is per schema: different services migrate in parallel, replicas serialize.
    tx.exec_params("SELECT pg_advisory_xact_lock(hashtext($1))", "llmgw.migrate." + schema);
    std::string q = tx.quote_name(schema);
    tx.exec(absl::StrCat("CREATE SCHEMA IF NOT EXISTS ", q));
    tx.exec(absl::StrCat("CREATE TABLE IF NOT EXISTS ", q,
                         ".schema_migrations (version integer PRIMARY KEY, name text NOT NULL, "
                         "applied_at timestamptz NOT NULL DEFAULT now())"));
    std::set<int> done;
    for (const auto& row : tx.exec(absl::StrCat("SELECT version FROM ", q, ".schema_migrations"))) {
      done.insert(row[0].as<int>());
    }
    for (const Migration& m : sorted) {
      if (done.count(m.version)) continue;
      tx.exec(absl::StrCat("SET LOCAL search_path TO ", q, ", public"));
      tx.exec(m.sql);
      tx.exec_params(
          absl::StrCat("INSERT INTO ", q, ".schema_migrations (version, name) VALUES ($1, $2)"),
          m.version, std::string(m.name));
      ++count;
    }
    tx.commit();
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  if (count > 0) log::Info("migrations applied", {{"schema", schema}, {"count", count}});
  if (applied != nullptr) *applied = count;
  return absl::OkStatus();
}

}  // namespace llmgw::pg

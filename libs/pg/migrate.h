#pragma once
// Versioned SQL migrations per service schema. Each service embeds its
// services/<name>/storage/migrations/NNN_name.sql files (cmake: llmgw_embed_migrations) and calls
// ApplyMigrations at start. All pending versions are applied in one transaction under an advisory
// lock, so replicas starting together apply each version exactly once.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "libs/pg/pool.h"

namespace llmgw::pg {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

// Creates `schema` and `schema.schema_migrations` if needed, then applies the migrations whose
// version is not recorded there, in version order. Returns the number applied via *applied.
absl::Status ApplyMigrations(PgPool& pool, const std::string& schema,
                             const std::vector<Migration>& migrations, int* applied = nullptr);

}  // namespace llmgw::pg

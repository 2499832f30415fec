#include "services/metering/storage/pg_provider_store.h"

#include <cctype>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "libs/common/crypto.h"
#include "services/metering/storage/pg_arrays.h"
#include "services/metering/storage/pg_usage_store.h"

namespace llmgw::metering {
namespace {

constexpr char kConnectionColumns[] =
    "id::text, org_id, provider, key_prefix, status, last_error,"
    " coalesce((extract(epoch FROM last_sync_at) * 1000)::bigint, 0),"
    " (extract(epoch FROM created_at) * 1000)::bigint,"
    " (extract(epoch FROM next_sync_at) * 1000)::bigint,"
    " coalesce((synced_from - date '1970-01-01')::bigint * 86400000, 0),"
    " coalesce((synced_through - date '1970-01-01')::bigint * 86400000, 0)";

ProviderConnection ConnectionFromRow(const pqxx::row& r) {
  ProviderConnection c;
  c.id = r[0].as<std::string>();
  c.organization_id = r[1].as<std::string>();
  c.provider =
      r[2].as<std::string>() == "anthropic" ? ReportProvider::kAnthropic : ReportProvider::kOpenAi;
  c.key_prefix = r[3].as<std::string>();
  std::string status = r[4].as<std::string>();
  c.status = status == "ok"       ? ConnectionStatus::kOk
             : status == "failed" ? ConnectionStatus::kFailed
                                  : ConnectionStatus::kPending;
  c.last_error = r[5].as<std::string>();
  c.last_sync_at_unix_ms = r[6].as<int64_t>();
  c.created_at_unix_ms = r[7].as<int64_t>();
  c.next_sync_at_unix_ms = r[8].as<int64_t>();
  c.synced_from_day_ms = r[9].as<int64_t>();
  c.synced_through_day_ms = r[10].as<int64_t>();
  return c;
}

std::string Hex(const std::string& bytes) { return crypto::HexEncode(bytes); }

absl::StatusOr<ProviderConnection> OneConnection(const pqxx::result& r) {
  if (r.empty()) return absl::NotFoundError("provider connection not found");
  return ConnectionFromRow(r[0]);
}

class PgSyncSession final : public SyncSession {
 public:
  PgSyncSession(pqxx::work& tx, ProviderConnection c, crypto::SealedSecret sealed)
      : tx_(tx), c_(std::move(c)), sealed_(std::move(sealed)) {}

  const ProviderConnection& connection() const override { return c_; }
  const crypto::SealedSecret& sealed_key() const override { return sealed_; }

  absl::Status ReplaceBuckets(DayWindow window,
                              const std::vector<ReportedBucket>& buckets) override {
    std::vector<ReportedBucket> in;
    for (const ReportedBucket& b : MergeBuckets(buckets)) {
      if (window.Contains(b.day_unix_ms)) in.push_back(b);
    }
    return Guard([&] {
      tx_.exec_params(
          "DELETE FROM metering.provider_usage WHERE connection_id = $1::uuid"
          " AND day >= $2::date AND day < $3::date",
          c_.id, FormatDate(window.from_day_ms), FormatDate(window.to_day_ms));
      if (in.empty()) return;
      using B = ReportedBucket;
      auto ints = [&](auto field) {
        return ArrayLiteral(in, [&](const B& b) { return absl::StrCat(field(b)); });
      };
      tx_.exec_params(
          "INSERT INTO metering.provider_usage (org_id, source, connection_id, provider, day,"
          " model, api_key_id, input_tokens, cached_input_tokens, cache_write_tokens,"
          " output_tokens, requests, uncached_input_cost_nano, cached_input_cost_nano,"
          " cache_write_cost_nano, output_cost_nano, other_cost_nano)"
          " SELECT $1, $2::uuid::text, $2::uuid, $3, t.* FROM unnest($4::date[], $5::text[], "
          "$6::text[],"
          " $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[],"
          " $12::bigint[], $13::bigint[], $14::bigint[], $15::bigint[], $16::bigint[]) AS t",
          c_.organization_id, c_.id, std::string(ReportProviderName(c_.provider)),
          ArrayLiteral(in, [](const B& b) { return FormatDate(b.day_unix_ms); }),
          ArrayLiteral(in, [](const B& b) { return QuotedArrayElement(b.model); }),
          ArrayLiteral(in, [](const B& b) { return QuotedArrayElement(b.api_key_id); }),
          ints([](const B& b) { return b.tokens.input; }),
          ints([](const B& b) { return b.tokens.cached_input; }),
          ints([](const B& b) { return b.tokens.cache_write; }),
          ints([](const B& b) { return b.tokens.output; }),
          ints([](const B& b) { return b.tokens.requests; }),
          ints([](const B& b) { return b.cost.uncached_input; }),
          ints([](const B& b) { return b.cost.cached_input; }),
          ints([](const B& b) { return b.cost.cache_write; }),
          ints([](const B& b) { return b.cost.output; }),
          ints([](const B& b) { return b.cost.other; }));
    });
  }

  absl::Status RecordSuccess(int64_t now_unix_ms, DayWindow window,
                             int64_t next_sync_at_unix_ms) override {
    return Guard([&] {
      tx_.exec_params(
          "UPDATE metering.provider_connections SET status = 'ok', last_error = '',"
          " last_sync_at = $2::timestamptz, next_sync_at = $3::timestamptz,"
          " synced_from = LEAST(coalesce(synced_from, $4::date), $4::date),"
          " synced_through = GREATEST(coalesce(synced_through, $5::date), $5::date)"
          " WHERE id = $1::uuid",
          c_.id, TimestampLiteral(now_unix_ms), TimestampLiteral(next_sync_at_unix_ms),
          FormatDate(window.from_day_ms), FormatDate(window.to_day_ms - kDayMs));
    });
  }

  absl::Status RecordFailure(const std::string& error, int64_t next_sync_at_unix_ms) override {
    return Guard([&] {
      tx_.exec_params(
          "UPDATE metering.provider_connections SET status = 'failed', last_error = $2,"
          " next_sync_at = $3::timestamptz WHERE id = $1::uuid",
          c_.id, error, TimestampLiteral(next_sync_at_unix_ms));
    });
  }

 private:
  // A statement failing inside the session becomes its Status; the caller's Status then rolls
  // the transaction back.
  template <typename F>
  absl::Status Guard(F f) {
    try {
      f();
      return absl::OkStatus();
    } catch (...) {
      return pg::StatusFromCurrentException();
    }
  }

  pqxx::work& tx_;
  ProviderConnection c_;
  crypto::SealedSecret sealed_;
};

}  // namespace

absl::StatusOr<ProviderConnection> PgProviderStore::CreateConnection(const NewConnection& c) {
  return pool_.Run([&](pqxx::connection& conn) -> absl::StatusOr<ProviderConnection> {
    pqxx::work tx(conn);
    pqxx::result r = tx.exec_params(
        absl::StrCat("INSERT INTO metering.provider_connections (id, org_id, provider, key_prefix,"
                     " key_sha256, key_id, key_ciphertext, next_sync_at, created_at)"
                     " VALUES ($1::uuid, $2, $3, $4, $5, $6, decode($7, 'hex'), $8::timestamptz,"
                     " $8::timestamptz) RETURNING ",
                     kConnectionColumns),
        c.id, c.organization_id, std::string(ReportProviderName(c.provider)), c.key_prefix,
        c.key_sha256, c.sealed_key.key_id, Hex(c.sealed_key.ciphertext),
        TimestampLiteral(c.now_unix_ms));
    tx.commit();
    return ConnectionFromRow(r[0]);
  });
}

absl::StatusOr<bool> PgProviderStore::HasKey(const std::string& organization_id,
                                             const std::string& key_sha256) {
  return pool_.Run([&](pqxx::connection& conn) -> absl::StatusOr<bool> {
    pqxx::read_transaction tx(conn);
    return !tx.exec_params(
                  "SELECT 1 FROM metering.provider_connections"
                  " WHERE org_id = $1 AND key_sha256 = $2",
                  organization_id, key_sha256)
                .empty();
  });
}

absl::StatusOr<std::vector<ProviderConnection>> PgProviderStore::ListConnections(
    const std::string& organization_id) {
  return pool_.Run([&](pqxx::connection& conn) -> absl::StatusOr<std::vector<ProviderConnection>> {
    pqxx::read_transaction tx(conn);
    std::vector<ProviderConnection> out;
    for (const pqxx::row& row :
         tx.exec_params(absl::StrCat("SELECT ", kConnectionColumns,
                                     " FROM metering.provider_connections WHERE org_id = $1"
                                     " ORDER BY created_at, id"),
                        organization_id)) {
      out.push_back(ConnectionFromRow(row));
    }
    return out;
  });
}

absl::StatusOr<ProviderConnection> PgProviderStore::GetConnection(
    const std::string& organization_id, const std::string& id) {
  if (!IsUuidText(id)) return absl::NotFoundError("provider connection not found");
  return pool_.Run([&](pqxx::connection& conn) -> absl::StatusOr<ProviderConnection> {
    pqxx::read_transaction tx(conn);
    return OneConnection(tx.exec_params(
        absl::StrCat("SELECT ", kConnectionColumns,
                     " FROM metering.provider_connections WHERE org_id = $1 AND id = $2::uuid"),
        organization_id, id));
  });
}

absl::StatusOr<ProviderConnection> PgProviderStore::DeleteConnection(
    const std::string& organization_id, const std::string& id) {
  if (!IsUuidText(id)) return absl::NotFoundError("provider connection not found");
  return pool_.Run([&](pqxx::connection& conn) -> absl::StatusOr<ProviderConnection> {
    pqxx::work tx(conn);
    pqxx::result r =
        tx.exec_params(absl::StrCat("DELETE FROM metering.provider_connections WHERE org_id = $1"
                                    " AND id = $2::uuid RETURNING ",
                                    kConnectionColumns),
                       organization_id, id);
    tx.commit();
    return OneConnection(r);
  });
}

absl::StatusOr<std::vector<std::string>> PgProviderStore::DueConnections(int64_t now_unix_ms,
                                                                         int limit) {
  return pool_.Run([&](pqxx::connection& conn) -> absl::StatusOr<std::vector<std::string>> {
    pqxx::read_transaction tx(conn);
    std::vector<std::string> out;
    for (const pqxx::row& row :
         tx.exec_params("SELECT id::text FROM metering.provider_connections"
                        " WHERE next_sync_at <= $1::timestamptz ORDER BY next_sync_at, id LIMIT $2",
                        TimestampLiteral(now_unix_ms), limit)) {
      out.push_back(row[0].as<std::string>());
    }
    return out;
  });
}

absl::StatusOr<bool> PgProviderStore::WithSyncLock(
    const std::string& id, const std::function<absl::Status(SyncSession&)>& fn) {
  if (!IsUuidText(id)) return false;
  return pool_.Run([&](pqxx::connection& conn) -> absl::StatusOr<bool> {
    pqxx::work tx(conn);
    pqxx::result key = tx.exec_params(
        "SELECT lock_key FROM metering.provider_connections WHERE id = $1::uuid", id);
    if (key.empty()) return false;
    if (!tx.exec_params("SELECT pg_try_advisory_xact_lock($1::integer, $2::integer)",
                        kProviderSyncLockClass, key[0][0].as<int32_t>())[0][0]
             .as<bool>()) {
      return false;
    }
    // Read after the lock (a new snapshot): a sync another replica committed just before is seen.
    pqxx::result r =
        tx.exec_params(absl::StrCat("SELECT ", kConnectionColumns,
                                    ", key_id, encode(key_ciphertext, 'hex')"
                                    " FROM metering.provider_connections WHERE id = $1::uuid"),
                       id);
    if (r.empty()) return false;
    std::string ciphertext;
    absl::string_view hex(r[0][12].c_str(), r[0][12].size());
    ciphertext = absl::HexStringToBytes(hex);
    PgSyncSession session(tx, ConnectionFromRow(r[0]),
                          crypto::SealedSecret{r[0][11].as<std::string>(), std::move(ciphertext)});
    absl::Status s = fn(session);
    if (!s.ok()) return s;  // the transaction rolls back
    tx.commit();
    return true;
  });
}

absl::Status PgProviderStore::ImportCsv(const std::string& organization_id,
                                        const std::vector<CsvUsageRow>& rows) {
  if (rows.empty()) return absl::OkStatus();
  using R = CsvUsageRow;
  auto ints = [&](auto field) {
    return ArrayLiteral(rows, [&](const R& r) { return absl::StrCat(field(r)); });
  };
  return pool_.Run([&](pqxx::connection& conn) -> absl::Status {
    pqxx::work tx(conn);
    // A row identical to the stored one is not rewritten: importing a file again changes nothing.
    tx.exec_params(
        "INSERT INTO metering.provider_usage AS u (org_id, source, provider, day, model,"
        " input_tokens, cached_input_tokens, output_tokens, other_cost_nano)"
        " SELECT $1, 'csv', t.* FROM unnest($2::text[], $3::date[], $4::text[], $5::bigint[],"
        " $6::bigint[], $7::bigint[], $8::bigint[]) AS t"
        " ORDER BY 1, 2, 3, 4, 5"
        " ON CONFLICT (org_id, source, provider, day, model, api_key_id) DO UPDATE SET"
        " input_tokens = EXCLUDED.input_tokens, cached_input_tokens = EXCLUDED.cached_input_tokens,"
        " output_tokens = EXCLUDED.output_tokens, other_cost_nano = EXCLUDED.other_cost_nano"
        " WHERE (u.input_tokens, u.cached_input_tokens, u.output_tokens, u.other_cost_nano)"
        " IS DISTINCT FROM (EXCLUDED.input_tokens, EXCLUDED.cached_input_tokens,"
        " EXCLUDED.output_tokens, EXCLUDED.other_cost_nano)",
        organization_id,
        ArrayLiteral(rows, [](const R& r) { return QuotedArrayElement(r.provider); }),
        ArrayLiteral(rows, [](const R& r) { return FormatDate(r.day_unix_ms); }),
        ArrayLiteral(rows, [](const R& r) { return QuotedArrayElement(r.model); }),
        ints([](const R& r) { return r.tokens.input; }),
        ints([](const R& r) { return r.tokens.cached_input; }),
        ints([](const R& r) { return r.tokens.output; }),
        ints([](const R& r) { return r.cost_nano; }));
    tx.commit();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<ReportedRow>> PgProviderStore::ReportedUsage(
    const std::string& organization_id, DayWindow window) {
  return pool_.Run([&](pqxx::connection& conn) -> absl::StatusOr<std::vector<ReportedRow>> {
    pqxx::read_transaction tx(conn);
    std::vector<ReportedRow> out;
    for (const pqxx::row& r : tx.exec_params(
             "SELECT (day - date '1970-01-01')::bigint * 86400000, provider, model,"
             " source = 'csv', sum(input_tokens)::bigint, sum(cached_input_tokens)::bigint,"
             " sum(cache_write_tokens)::bigint, sum(output_tokens)::bigint,"
             " sum(requests)::bigint, sum(uncached_input_cost_nano)::bigint,"
             " sum(cached_input_cost_nano)::bigint, sum(cache_write_cost_nano)::bigint,"
             " sum(output_cost_nano)::bigint, sum(other_cost_nano)::bigint"
             " FROM metering.provider_usage WHERE org_id = $1 AND day >= $2::date"
             " AND day < $3::date GROUP BY day, provider, model, source = 'csv'"
             " ORDER BY 1, 2, 3, 4",
             organization_id, FormatDate(window.from_day_ms), FormatDate(window.to_day_ms))) {
      ReportedRow row;
      row.day_unix_ms = r[0].as<int64_t>();
      row.provider = r[1].as<std::string>();
      row.model = r[2].as<std::string>();
      row.from_csv = r[3].as<bool>();
      row.tokens = {r[4].as<int64_t>(), r[5].as<int64_t>(), r[6].as<int64_t>(), r[7].as<int64_t>(),
                    r[8].as<int64_t>()};
      row.cost = {r[9].as<int64_t>(), r[10].as<int64_t>(), r[11].as<int64_t>(), r[12].as<int64_t>(),
                  r[13].as<int64_t>()};
      out.push_back(std::move(row));
    }
    return out;
  });
}

absl::StatusOr<std::vector<SyncedDays>> PgProviderStore::Synced(
    const std::string& organization_id) {
  return pool_.Run([&](pqxx::connection& conn) -> absl::StatusOr<std::vector<SyncedDays>> {
    pqxx::read_transaction tx(conn);
    std::vector<SyncedDays> out;
    for (const pqxx::row& r : tx.exec_params(
             "SELECT provider, (synced_from - date '1970-01-01')::bigint * 86400000,"
             " (synced_through - date '1970-01-01')::bigint * 86400000"
             " FROM metering.provider_connections WHERE org_id = $1 AND synced_from IS NOT NULL"
             " ORDER BY created_at, id",
             organization_id)) {
      out.push_back({r[0].as<std::string>(), r[1].as<int64_t>(), r[2].as<int64_t>()});
    }
    return out;
  });
}

absl::StatusOr<std::vector<StoredKey>> PgProviderStore::ListSealedKeys() {
  return pool_.Run([&](pqxx::connection& conn) -> absl::StatusOr<std::vector<StoredKey>> {
    pqxx::read_transaction tx(conn);
    std::vector<StoredKey> out;
    for (const pqxx::row& r :
         tx.exec("SELECT id::text, key_id, encode(key_ciphertext, 'hex')"
                 " FROM metering.provider_connections ORDER BY created_at, id")) {
      absl::string_view hex(r[2].c_str(), r[2].size());
      out.push_back({r[0].as<std::string>(),
                     crypto::SealedSecret{r[1].as<std::string>(), absl::HexStringToBytes(hex)}});
    }
    return out;
  });
}

absl::Status PgProviderStore::ReplaceSealedKey(const std::string& connection_id,
                                               const crypto::SealedSecret& expected,
                                               const crypto::SealedSecret& replacement) {
  if (!IsUuidText(connection_id)) return absl::NotFoundError("provider connection not found");
  return pool_.Run([&](pqxx::connection& conn) -> absl::Status {
    pqxx::work tx(conn);
    pqxx::result r = tx.exec_params(
        "UPDATE metering.provider_connections SET key_id = $2, key_ciphertext = decode($3, 'hex')"
        " WHERE id = $1::uuid AND key_id = $4 AND key_ciphertext = decode($5, 'hex')",
        connection_id, replacement.key_id, Hex(replacement.ciphertext), expected.key_id,
        Hex(expected.ciphertext));
    tx.commit();
    if (r.affected_rows() == 0) {
      return absl::FailedPreconditionError("the sealed key changed or the connection is gone");
    }
    return absl::OkStatus();
  });
}

}  // namespace llmgw::metering

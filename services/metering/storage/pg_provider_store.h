#pragma once
// ProviderStore on PostgreSQL (metering.provider_connections, metering.provider_usage; migration
// 004). The sync lock is a transaction-level advisory lock on the connection's lock_key, tried,
// never waited for: a second replica skips a connection being synced. It is not a row lock, so
// removing a connection never waits for its sync; a sync of a removed connection writes nothing
// (its buckets' foreign key fails and the transaction rolls back).

#include <string>
#include <vector>

#include "libs/pg/pool.h"
#include "services/metering/storage/provider_store.h"

namespace llmgw::metering {

// The advisory lock class of provider syncs ('llps').
inline constexpr int32_t kProviderSyncLockClass = 0x6C6C7073;

class PgProviderStore final : public ProviderStore {
 public:
  explicit PgProviderStore(pg::PgPool& pool) : pool_(pool) {}

  // ProviderStore
  absl::StatusOr<ProviderConnection> CreateConnection(const NewConnection& c) override;
  absl::StatusOr<bool> HasKey(const std::string& organization_id,
                              const std::string& key_sha256) override;
  absl::StatusOr<std::vector<ProviderConnection>> ListConnections(
      const std::string& organization_id) override;
  absl::StatusOr<ProviderConnection> GetConnection(const std::string& organization_id,
                                                   const std::string& id) override;
  absl::StatusOr<ProviderConnection> DeleteConnection(const std::string& organization_id,
                                                      const std::string& id) override;
  absl::StatusOr<std::vector<std::string>> DueConnections(int64_t now_unix_ms, int limit) override;
  absl::StatusOr<bool> WithSyncLock(const std::string& id,
                                    const std::function<absl::Status(SyncSession&)>& fn) override;
  absl::Status ImportCsv(const std::string& organization_id,
                         const std::vector<CsvUsageRow>& rows) override;
  absl::StatusOr<std::vector<ReportedRow>> ReportedUsage(const std::string& organization_id,
                                                         DayWindow window) override;
  absl::StatusOr<std::vector<SyncedDays>> Synced(const std::string& organization_id) override;
  absl::StatusOr<std::vector<StoredKey>> ListSealedKeys() override;
  absl::Status ReplaceSealedKey(const std::string& connection_id,
                                const crypto::SealedSecret& expected,
                                const crypto::SealedSecret& replacement) override;

 private:
  pg::PgPool& pool_;
};

}  // namespace llmgw::metering

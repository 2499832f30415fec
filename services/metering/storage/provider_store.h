#pragma once
// What provider sync needs from storage: provider connections (the admin key only ever sealed),
// the provider-reported buckets they sync or a CSV imports, and the one-sync-per-connection lock
// that holds across replicas.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/common/secret_box.h"
#include "services/metering/domain/provider_csv.h"
#include "services/metering/domain/provider_usage.h"
#include "services/metering/domain/reconciliation.h"

namespace llmgw::metering {

enum class ConnectionStatus { kPending, kOk, kFailed };
inline std::string_view ConnectionStatusName(ConnectionStatus s) {
  switch (s) {
    case ConnectionStatus::kOk:
      return "ok";
    case ConnectionStatus::kFailed:
      return "failed";
    case ConnectionStatus::kPending:
      break;
  }
  return "pending";
}

// A connection as lists show it: never the key, only its display prefix.
struct ProviderConnection {
  std::string id;  // UUID
  std::string organization_id;
  ReportProvider provider = ReportProvider::kOpenAi;
  std::string key_prefix;
  ConnectionStatus status = ConnectionStatus::kPending;
  std::string last_error;            // "" unless failed
  int64_t last_sync_at_unix_ms = 0;  // the last successful sync; 0: never
  int64_t created_at_unix_ms = 0;
  int64_t next_sync_at_unix_ms = 0;
  // Days synced so far, [from, through]; 0/0 before the first sync.
  int64_t synced_from_day_ms = 0;
  int64_t synced_through_day_ms = 0;
  bool operator==(const ProviderConnection&) const = default;
};

struct NewConnection {
  std::string id;  // chosen by the caller: the sealed key is bound to it
  std::string organization_id;
  ReportProvider provider = ReportProvider::kOpenAi;
  std::string key_prefix;
  std::string key_sha256;  // hex; one connection per key and organization
  crypto::SealedSecret sealed_key;
  int64_t now_unix_ms = 0;  // created_at, and the first sync is due then
};

// Inside a connection's sync lock: the connection as committed when the lock was taken, and the
// writes of the sync, committed together when the locked function returns OK.
class SyncSession {
 public:
  virtual ~SyncSession() = default;
  virtual const ProviderConnection& connection() const = 0;
  virtual const crypto::SealedSecret& sealed_key() const = 0;
  // Replaces every bucket of the connection in the window's days by `buckets` (merged; any outside
  // the window are ignored): a revised day is replaced, never added to.
  virtual absl::Status ReplaceBuckets(DayWindow window,
                                      const std::vector<ReportedBucket>& buckets) = 0;
  // Status ok, no error, last_sync_at = now, the window added to the synced days.
  virtual absl::Status RecordSuccess(int64_t now_unix_ms, DayWindow window,
                                     int64_t next_sync_at_unix_ms) = 0;
  // Status failed with `error` (shown to the organization: never a secret).
  virtual absl::Status RecordFailure(const std::string& error, int64_t next_sync_at_unix_ms) = 0;
};

// A sealed key as the re-encrypt command sees it.
struct StoredKey {
  std::string connection_id;
  crypto::SealedSecret sealed_key;
};

class ProviderStore {
 public:
  virtual ~ProviderStore() = default;

  // AlreadyExists when the organization already connected this key.
  virtual absl::StatusOr<ProviderConnection> CreateConnection(const NewConnection& c) = 0;
  virtual absl::StatusOr<bool> HasKey(const std::string& organization_id,
                                      const std::string& key_sha256) = 0;
  // Oldest first.
  virtual absl::StatusOr<std::vector<ProviderConnection>> ListConnections(
      const std::string& organization_id) = 0;
  // NotFound unless the organization has it.
  virtual absl::StatusOr<ProviderConnection> GetConnection(const std::string& organization_id,
                                                           const std::string& id) = 0;
  // Removes the connection and every bucket it synced. NotFound unless the organization has it.
  virtual absl::StatusOr<ProviderConnection> DeleteConnection(const std::string& organization_id,
                                                              const std::string& id) = 0;
  // Ids of connections whose next sync is due at `now`, most overdue first.
  virtual absl::StatusOr<std::vector<std::string>> DueConnections(int64_t now_unix_ms,
                                                                  int limit) = 0;
  // Runs `fn` holding connection `id`'s sync lock, one holder across every replica, in one
  // transaction committed when fn returns OK (rolled back otherwise). Returns false without
  // running fn when another sync holds the lock or the connection no longer exists.
  virtual absl::StatusOr<bool> WithSyncLock(
      const std::string& id, const std::function<absl::Status(SyncSession&)>& fn) = 0;

  // Stores the rows as the organization's CSV-imported buckets, each replacing the stored one of
  // its (day, provider, model): importing the same file again changes nothing. All or nothing.
  virtual absl::Status ImportCsv(const std::string& organization_id,
                                 const std::vector<CsvUsageRow>& rows) = 0;

  // The organization's provider-reported usage in `window`, summed per (day, provider, model,
  // source: connection or CSV), and the days its connections have synced.
  virtual absl::StatusOr<std::vector<ReportedRow>> ReportedUsage(const std::string& organization_id,
                                                                 DayWindow window) = 0;
  virtual absl::StatusOr<std::vector<SyncedDays>> Synced(const std::string& organization_id) = 0;

  // Key rotation (every organization).
  virtual absl::StatusOr<std::vector<StoredKey>> ListSealedKeys() = 0;
  // Replaces the sealed key only if it is still `expected` (FailedPrecondition otherwise).
  virtual absl::Status ReplaceSealedKey(const std::string& connection_id,
                                        const crypto::SealedSecret& expected,
                                        const crypto::SealedSecret& replacement) = 0;
};

}  // namespace llmgw::metering

#pragma once
// One provider connection's sync: under its lock (one sync per connection across replicas),
// open the sealed admin key, pull every page of the provider's usage and cost reports over the
// sync window, and replace the window's buckets, or record why it failed. Also the one check
// call a key passes before it is stored.
//
// Window: the first sync backfills `backfill_days` before today; later ones re-pull the last
// `revision_days` (providers revise recent days) or from the last synced day after a gap. 429,
// 5xx and transport errors are retried with exponential backoff (Retry-After when the provider
// sends one); 401/403 fail the sync at once ("refused the admin key").

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/common/clock.h"
#include "libs/common/secret_box.h"
#include "services/metering/clients/report_http.h"
#include "services/metering/domain/provider_reports.h"
#include "services/metering/storage/provider_store.h"

namespace llmgw::metering {

struct SyncSettings {
  ReportEndpoints endpoints;
  std::chrono::seconds interval{3600};  // LLMGW_SYNC_INTERVAL_SECONDS
  int backfill_days = 30;
  int revision_days = 3;  // today and the two days before
  int page_limit = kReportPageLimit;
  int max_attempts = 5;  // per page
  std::chrono::milliseconds retry_base{1000};
  std::chrono::milliseconds retry_cap{60000};
  // After a sync the provider kept failing with 429/5xx, the next try (at most `interval`).
  std::chrono::seconds retry_failed_after{300};
  int max_pages = 500;  // per report and sync: a provider paging forever is an error
  std::chrono::milliseconds check_timeout{20000};  // the one call that checks a new key
};

// Waits between retries; false when the wait was cut short because the service is stopping.
class Sleeper {
 public:
  virtual ~Sleeper() = default;
  virtual bool SleepFor(std::chrono::milliseconds d) = 0;
};

class InterruptibleSleeper final : public Sleeper {
 public:
  bool SleepFor(std::chrono::milliseconds d) override;
  // Every current and later SleepFor returns false at once.
  void Interrupt();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool interrupted_ = false;
};

enum class SyncState {
  kSynced,
  kFailed,         // recorded on the connection (status failed, last_error)
  kBusy,           // another sync holds the connection's lock, or it was removed
  kNotDue,         // another replica synced it since it was found due
  kNotConfigured,  // no LLMGW_SECRET_KEY: nothing can be opened
  kCancelled,      // the service is stopping; nothing recorded
  kError,          // storage failed; nothing recorded
};
const char* SyncStateName(SyncState s);

struct SyncOutcome {
  SyncState state = SyncState::kError;
  std::string connection_id;
  ReportProvider provider = ReportProvider::kOpenAi;
  DayWindow window;
  int buckets = 0;   // stored
  int requests = 0;  // HTTP requests made, retries included
  std::string error;
  double seconds = 0;
};

// Associated data binding a sealed admin key to its connection row.
std::string ConnectionKeyAad(std::string_view connection_id);
// The days a sync of `c` at `now` pulls.
DayWindow SyncWindow(const ProviderConnection& c, int64_t now_unix_ms, const SyncSettings& s);

class ProviderSyncer {
 public:
  // `keyring` may be null (LLMGW_SECRET_KEY unset): nothing is stored or synced then. Everything
  // passed must outlive the syncer.
  ProviderSyncer(ProviderStore& store, ReportHttp& http, const crypto::SecretKeyring* keyring,
                 const Clock& clock, Sleeper& sleeper, SyncSettings settings);

  bool configured() const { return keyring_ != nullptr; }
  const SyncSettings& settings() const { return settings_; }

  // One usage request for today with the key: OK, or InvalidArgument with the provider's reason.
  absl::Status CheckKey(ReportProvider provider, const std::string& admin_key);

  // Syncs the connection now if it is due (or `force`). Thread-safe.
  SyncOutcome Sync(const std::string& connection_id, bool force);

  absl::StatusOr<std::vector<std::string>> Due(int limit);

 private:
  absl::StatusOr<std::vector<ReportedBucket>> FetchAll(ReportProvider p,
                                                       const std::string& admin_key,
                                                       DayWindow window, int* requests);
  absl::StatusOr<std::string> GetWithRetry(const HttpRequest& req, ReportProvider p,
                                           const std::string& admin_key, int* requests);

  ProviderStore& store_;
  ReportHttp& http_;
  const crypto::SecretKeyring* keyring_;
  const Clock& clock_;
  Sleeper& sleeper_;
  SyncSettings settings_;
};

}  // namespace llmgw::metering

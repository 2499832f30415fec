#include "services/metering/domain/provider_syncer.h"

#include <openssl/crypto.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"

namespace llmgw::metering {
namespace {

// Forgets a plaintext key when it goes out of scope.
struct Wiped {
  std::string value;
  ~Wiped() { OPENSSL_cleanse(value.data(), value.size()); }
};

bool Retryable(const HttpReply& r) { return r.status == 0 || r.status == 429 || r.status >= 500; }

std::string Reason(const HttpReply& r, const std::string& admin_key) {
  if (r.status == 0) return absl::StrCat("no answer: ", r.transport_error);
  std::string message = ProviderErrorMessage(r.body, admin_key);
  return absl::StrCat("HTTP ", r.status, message.empty() ? "" : ": ", message);
}

// A refusal that retrying cannot fix.
absl::Status Refusal(ReportProvider p, const HttpReply& r, const std::string& admin_key) {
  if (r.status == 401 || r.status == 403) {
    return absl::PermissionDeniedError(absl::StrCat(
        ReportProviderTitle(p), " refused the admin key (", Reason(r, admin_key), ")"));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      ReportProviderTitle(p), " rejected the report request (", Reason(r, admin_key), ")"));
}

}  // namespace

bool InterruptibleSleeper::SleepFor(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, d, [this] { return interrupted_; });
  return !interrupted_;
}

void InterruptibleSleeper::Interrupt() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    interrupted_ = true;
  }
  cv_.notify_all();
}

const char* SyncStateName(SyncState s) {
  switch (s) {
    case SyncState::kSynced:
      return "synced";
    case SyncState::kFailed:
      return "failed";
    case SyncState::kBusy:
      return "busy";
    case SyncState::kNotDue:
      return "not_due";
    case SyncState::kNotConfigured:
      return "not_configured";
    case SyncState::kCancelled:
      return "cancelled";
    case SyncState::kError:
      break;
  }
  return "error";
}

std::string ConnectionKeyAad(std::string_view connection_id) {
  return absl::StrCat("llmgw provider connection ", std::string(connection_id));
}

DayWindow SyncWindow(const ProviderConnection& c, int64_t now_unix_ms, const SyncSettings& s) {
  int64_t today = DayOf(now_unix_ms);
  DayWindow w{today - s.backfill_days * kDayMs, today + kDayMs};
  if (c.synced_through_day_ms != 0) {
    int64_t revision_start = today - (std::max(1, s.revision_days) - 1) * kDayMs;
    w.from_day_ms = std::max(w.from_day_ms, std::min(revision_start, c.synced_through_day_ms));
  }
  return w;
}

ProviderSyncer::ProviderSyncer(ProviderStore& store, ReportHttp& http,
                               const crypto::SecretKeyring* keyring, const Clock& clock,
                               Sleeper& sleeper, SyncSettings settings)
    : store_(store),
      http_(http),
      keyring_(keyring),
      clock_(clock),
      sleeper_(sleeper),
      settings_(std::move(settings)) {}

absl::Status ProviderSyncer::CheckKey(ReportProvider provider, const std::string& admin_key) {
  int64_t today = DayOf(clock_.NowUnixMs());
  HttpRequest req = ReportRequest(settings_.endpoints, provider, ReportKind::kUsage,
                                  {today, today + kDayMs}, 1, "", admin_key);
  req.timeout = settings_.check_timeout;  // someone waits for the answer
  HttpReply reply = http_.Get(req);
  const char* title = ReportProviderTitle(provider);
  if (reply.status == 200) {
    if (ParseReportPage(provider, ReportKind::kUsage, reply.body).ok()) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat(title, " answered the check with something that is not a usage report"));
  }
  if (reply.status == 401 || reply.status == 403) {
    return absl::InvalidArgumentError(
        absl::StrCat(title, " refused the admin key (", Reason(reply, admin_key), ")"));
  }
  if (reply.status == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        title, " could not be reached to check the key (", reply.transport_error, "); try again"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat(title, " could not check the key (", Reason(reply, admin_key), ")"));
}

absl::StatusOr<std::string> ProviderSyncer::GetWithRetry(const HttpRequest& req, ReportProvider p,
                                                         const std::string& admin_key,
                                                         int* requests) {
  std::string last;
  int attempts = std::max(1, settings_.max_attempts);
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    HttpReply reply = http_.Get(req);
    ++*requests;
    if (reply.status == 200) return std::move(reply.body);
    if (!Retryable(reply)) return Refusal(p, reply, admin_key);
    last = Reason(reply, admin_key);
    if (attempt == attempts) break;
    std::chrono::milliseconds wait = settings_.retry_cap;
    if (reply.retry_after_ms.has_value()) {
      wait = std::min(settings_.retry_cap,
                      std::chrono::milliseconds(std::max<int64_t>(0, *reply.retry_after_ms)));
    } else if (attempt < 30) {
      wait = std::min(settings_.retry_cap, settings_.retry_base * (int64_t{1} << (attempt - 1)));
    }
    if (!sleeper_.SleepFor(wait)) return absl::CancelledError("stopping");
  }
  return absl::UnavailableError(absl::StrCat(ReportProviderTitle(p), " kept failing after ",
                                             attempts, " attempts (last: ", last, ")"));
}

absl::StatusOr<std::vector<ReportedBucket>> ProviderSyncer::FetchAll(ReportProvider p,
                                                                     const std::string& admin_key,
                                                                     DayWindow window,
                                                                     int* requests) {
  std::vector<ReportedBucket> all;
  for (ReportKind kind : {ReportKind::kUsage, ReportKind::kCosts}) {
    std::string page;
    for (int n = 0;; ++n) {
      if (n == settings_.max_pages) {
        return absl::FailedPreconditionError(
            absl::StrCat(ReportProviderTitle(p), " returned more than ", settings_.max_pages,
                         " pages for ", window.days(), " days"));
      }
      HttpRequest req = ReportRequest(settings_.endpoints, p, kind, window, settings_.page_limit,
                                      page, admin_key);
      LLMGW_ASSIGN_OR_RETURN(std::string body, GetWithRetry(req, p, admin_key, requests));
      LLMGW_ASSIGN_OR_RETURN(ReportPage parsed, ParseReportPage(p, kind, body));
      for (ReportedBucket& b : parsed.buckets) {
        if (window.Contains(b.day_unix_ms)) all.push_back(std::move(b));
      }
      if (!parsed.has_more) break;
      if (parsed.next_page == page) {
        return absl::FailedPreconditionError(
            absl::StrCat(ReportProviderTitle(p), " returned the same page twice"));
      }
      page = std::move(parsed.next_page);
    }
  }
  return MergeBuckets(std::move(all));
}

SyncOutcome ProviderSyncer::Sync(const std::string& connection_id, bool force) {
  auto started = std::chrono::steady_clock::now();
  SyncOutcome out;
  out.connection_id = connection_id;
  if (keyring_ == nullptr) {
    out.state = SyncState::kNotConfigured;
    return out;
  }
  absl::StatusOr<bool> ran =
      store_.WithSyncLock(connection_id, [&](SyncSession& s) -> absl::Status {
        const ProviderConnection& c = s.connection();
        out.provider = c.provider;
        int64_t now = clock_.NowUnixMs();
        if (!force && c.next_sync_at_unix_ms > now) {
          out.state = SyncState::kNotDue;
          return absl::OkStatus();
        }
        const int64_t interval_ms = settings_.interval.count() * 1000;
        absl::StatusOr<std::string> opened = keyring_->Open(s.sealed_key(), ConnectionKeyAad(c.id));
        if (!opened.ok()) {
          out.state = SyncState::kFailed;
          out.error = absl::StrCat("llmgw cannot open the stored admin key (",
                                   opened.status().message(), "); an operator must fix its key");
          return s.RecordFailure(out.error, now + interval_ms);
        }
        Wiped key{*std::move(opened)};
        out.window = SyncWindow(c, now, settings_);
        absl::StatusOr<std::vector<ReportedBucket>> buckets =
            FetchAll(c.provider, key.value, out.window, &out.requests);
        if (!buckets.ok()) {
          if (buckets.status().code() == absl::StatusCode::kCancelled) {
            out.state = SyncState::kCancelled;
            return buckets.status();  // roll back: the next start syncs again
          }
          out.state = SyncState::kFailed;
          out.error = std::string(buckets.status().message());
          int64_t retry_ms =
              buckets.status().code() == absl::StatusCode::kUnavailable
                  ? std::min(interval_ms, settings_.retry_failed_after.count() * 1000)
                  : interval_ms;
          return s.RecordFailure(out.error, clock_.NowUnixMs() + retry_ms);
        }
        LLMGW_RETURN_IF_ERROR(s.ReplaceBuckets(out.window, *buckets));
        out.buckets = static_cast<int>(buckets->size());
        out.state = SyncState::kSynced;
        int64_t done = clock_.NowUnixMs();
        return s.RecordSuccess(done, out.window, done + interval_ms);
      });
  if (!ran.ok()) {
    if (out.state != SyncState::kCancelled) {
      out.state = SyncState::kError;
      out.error = std::string(ran.status().message());
    }
  } else if (!*ran) {
    out.state = SyncState::kBusy;
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return out;
}

absl::StatusOr<std::vector<std::string>> ProviderSyncer::Due(int limit) {
  return store_.DueConnections(clock_.NowUnixMs(), limit);
}

}  // namespace llmgw::metering

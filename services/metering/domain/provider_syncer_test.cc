#include "services/metering/domain/provider_syncer.h"

#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/testing/status_matchers.h"
#include "services/metering/domain/sync_scheduler.h"

namespace llmgw::metering {
namespace {

using test::IsOk;
using test::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kNow = 1'722'513'600'000;    // 2024-08-01T12:00:00Z
constexpr int64_t kToday = 1'722'470'400'000;  // 2024-08-01T00:00:00Z
constexpr char kKey[] = "sk-admin-TOPSECRET-abcdefghijklmnop";
constexpr char kConn[] = "11111111-2222-4333-8444-555555555555";

// ---- fakes ----

// Answers GETs from a script: a queue of replies per part of the URL ("/organization/costs"),
// the last one repeating once the queue is empty; records every request.
class FakeReportHttp final : public ReportHttp {
 public:
  void Queue(const std::string& url_part, HttpReply reply) {
    std::lock_guard<std::mutex> lock(mu_);
    script_[url_part].queue.push_back(std::move(reply));
  }
  HttpReply Get(const HttpRequest& request) override {
    std::lock_guard<std::mutex> lock(mu_);
    requests.push_back(request);
    for (auto& [part, s] : script_) {
      if (request.url.find(part) == std::string::npos) continue;
      if (!s.queue.empty()) {
        s.last = s.queue.front();
        s.queue.pop_front();
      }
      return s.last;
    }
    return HttpReply{404, R"({"error":{"message":"unscripted"}})", std::nullopt, ""};
  }
  std::vector<HttpRequest> requests;

 private:
  struct Script {
    std::deque<HttpReply> queue;
    HttpReply last{404, R"({"error":{"message":"unscripted"}})", std::nullopt, ""};
  };
  std::mutex mu_;
  std::map<std::string, Script> script_;
};

class RecordingSleeper final : public Sleeper {
 public:
  bool SleepFor(std::chrono::milliseconds d) override {
    waits.push_back(d.count());
    return !stop;
  }
  std::vector<int64_t> waits;
  bool stop = false;
};

// ProviderStore in memory, with the lock's try semantics.
class FakeProviderStore final : public ProviderStore {
 public:
  struct Row {
    ProviderConnection c;
    crypto::SealedSecret sealed;
    std::vector<ReportedBucket> buckets;
  };
  std::map<std::string, Row> rows;
  std::set<std::string> locked;
  int replace_calls = 0;
  DayWindow last_replaced;

  absl::StatusOr<ProviderConnection> CreateConnection(const NewConnection& n) override {
    Row r;
    r.c.id = n.id;
    r.c.organization_id = n.organization_id;
    r.c.provider = n.provider;
    r.c.key_prefix = n.key_prefix;
    r.c.created_at_unix_ms = r.c.next_sync_at_unix_ms = n.now_unix_ms;
    r.sealed = n.sealed_key;
    rows[n.id] = r;
    return r.c;
  }
  absl::StatusOr<bool> HasKey(const std::string&, const std::string&) override { return false; }
  absl::StatusOr<std::vector<ProviderConnection>> ListConnections(const std::string&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<ProviderConnection> GetConnection(const std::string&,
                                                   const std::string& id) override {
    return rows.at(id).c;
  }
  absl::StatusOr<ProviderConnection> DeleteConnection(const std::string&,
                                                      const std::string&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<std::vector<std::string>> DueConnections(int64_t now, int limit) override {
    std::vector<std::string> out;
    for (auto& [id, r] : rows) {
      if (r.c.next_sync_at_unix_ms <= now && static_cast<int>(out.size()) < limit) {
        out.push_back(id);
      }
    }
    return out;
  }
  absl::StatusOr<bool> WithSyncLock(const std::string& id,
                                    const std::function<absl::Status(SyncSession&)>& fn) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (rows.count(id) == 0 || !locked.insert(id).second) return false;
    }
    Session s(*this, rows.at(id));
    absl::Status st = fn(s);
    if (st.ok()) s.Commit();
    std::lock_guard<std::mutex> lock(mu_);
    locked.erase(id);
    if (!st.ok()) return st;
    return true;
  }
  absl::Status ImportCsv(const std::string&, const std::vector<CsvUsageRow>&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<std::vector<ReportedRow>> ReportedUsage(const std::string&, DayWindow) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<std::vector<SyncedDays>> Synced(const std::string&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<std::vector<StoredKey>> ListSealedKeys() override {
    return absl::UnimplementedError("");
  }
  absl::Status ReplaceSealedKey(const std::string&, const crypto::SealedSecret&,
                                const crypto::SealedSecret&) override {
    return absl::UnimplementedError("");
  }

  // Holds a connection's lock as another replica would.
  void HoldLock(const std::string& id) { locked.insert(id); }

 private:
  // Writes are staged and applied on commit, as in the transaction.
  class Session final : public SyncSession {
   public:
    Session(FakeProviderStore& store, Row& row) : store_(store), row_(row), staged_(row) {}
    const ProviderConnection& connection() const override { return row_.c; }
    const crypto::SealedSecret& sealed_key() const override { return row_.sealed; }
    absl::Status ReplaceBuckets(DayWindow w, const std::vector<ReportedBucket>& b) override {
      std::vector<ReportedBucket> kept;
      for (const auto& old : staged_.buckets) {
        if (!w.Contains(old.day_unix_ms)) kept.push_back(old);
      }
      for (const auto& n : b) {
        if (w.Contains(n.day_unix_ms)) kept.push_back(n);
      }
      staged_.buckets = MergeBuckets(kept);
      ++store_.replace_calls;
      store_.last_replaced = w;
      return absl::OkStatus();
    }
    absl::Status RecordSuccess(int64_t now, DayWindow w, int64_t next) override {
      staged_.c.status = ConnectionStatus::kOk;
      staged_.c.last_error.clear();
      staged_.c.last_sync_at_unix_ms = now;
      staged_.c.next_sync_at_unix_ms = next;
      if (staged_.c.synced_from_day_ms == 0 || w.from_day_ms < staged_.c.synced_from_day_ms) {
        staged_.c.synced_from_day_ms = w.from_day_ms;
      }
      staged_.c.synced_through_day_ms =
          std::max(staged_.c.synced_through_day_ms, w.to_day_ms - kDayMs);
      return absl::OkStatus();
    }
    absl::Status RecordFailure(const std::string& error, int64_t next) override {
      staged_.c.status = ConnectionStatus::kFailed;
      staged_.c.last_error = error;
      staged_.c.next_sync_at_unix_ms = next;
      return absl::OkStatus();
    }
    void Commit() { row_ = staged_; }

   private:
    FakeProviderStore& store_;
    Row& row_;
    Row staged_;
  };
  std::mutex mu_;
};

// ---- report bodies ----

std::string OpenAiUsagePage(int64_t day_s, const std::string& results, bool more,
                            const std::string& next = "") {
  return absl::StrCat(R"({"object":"page","data":[{"object":"bucket","start_time":)", day_s,
                      R"(,"end_time":)", day_s + 86400, R"(,"results":[)", results, "]}],",
                      R"("has_more":)", more ? "true" : "false", R"(,"next_page":)",
                      next.empty() ? "null" : "\"" + next + "\"", "}");
}
std::string Usage(const std::string& model, const std::string& key, int in, int out) {
  return absl::StrCat(R"({"input_tokens":)", in, R"(,"output_tokens":)", out,
                      R"(,"input_cached_tokens":0,"num_model_requests":1,"model":")", model,
                      R"(","api_key_id":")", key, R"("})");
}
std::string Cost(const std::string& line_item, const std::string& usd) {
  return absl::StrCat(R"({"amount":{"value":)", usd, R"(,"currency":"usd"},"line_item":")",
                      line_item, R"("})");
}
HttpReply Ok(std::string body) { return HttpReply{200, std::move(body), std::nullopt, ""}; }
HttpReply Status(int status, std::string body = "", std::optional<int64_t> retry_after = {}) {
  return HttpReply{status, std::move(body), retry_after, ""};
}

class ProviderSyncerTest : public ::testing::Test {
 protected:
  ProviderSyncerTest() {
    auto box = crypto::SecretBox::FromKey(std::string(32, 'k'));
    keyring_.emplace(*box, std::vector<crypto::SecretBox>{});
    settings_.endpoints = {"http://mock/openai/v1", "http://mock/anthropic"};
    settings_.interval = std::chrono::seconds(3600);
    syncer_ =
        std::make_unique<ProviderSyncer>(store_, http_, &*keyring_, clock_, sleeper_, settings_);
    NewConnection n;
    n.id = kConn;
    n.organization_id = "org";
    n.provider = ReportProvider::kOpenAi;
    n.key_prefix = "sk-admin-TOPS";
    n.sealed_key = keyring_->current().Seal(kKey, ConnectionKeyAad(kConn));
    n.now_unix_ms = kNow;
    EXPECT_THAT(store_.CreateConnection(n), IsOk());
  }

  const ProviderConnection& Conn() { return store_.rows.at(kConn).c; }
  const std::vector<ReportedBucket>& Buckets() { return store_.rows.at(kConn).buckets; }

  FakeClock clock_{kNow};
  FakeReportHttp http_;
  RecordingSleeper sleeper_;
  FakeProviderStore store_;
  std::optional<crypto::SecretKeyring> keyring_;
  SyncSettings settings_;
  std::unique_ptr<ProviderSyncer> syncer_;
};

TEST(SyncWindow, BackfillThenRevisionDays) {
  SyncSettings s;
  ProviderConnection c;
  EXPECT_EQ(SyncWindow(c, kNow, s), (DayWindow{kToday - 30 * kDayMs, kToday + kDayMs}));
  c.synced_through_day_ms = kToday;  // synced earlier today
  EXPECT_EQ(SyncWindow(c, kNow, s), (DayWindow{kToday - 2 * kDayMs, kToday + kDayMs}));
  c.synced_through_day_ms = kToday - 9 * kDayMs;  // a gap: from the last synced day
  EXPECT_EQ(SyncWindow(c, kNow, s), (DayWindow{kToday - 9 * kDayMs, kToday + kDayMs}));
  c.synced_through_day_ms = kToday - 90 * kDayMs;  // never more than the backfill
  EXPECT_EQ(SyncWindow(c, kNow, s), (DayWindow{kToday - 30 * kDayMs, kToday + kDayMs}));
}

// First connect: 30 days backfilled, both reports paged to the end, costs exact, one commit.
TEST_F(ProviderSyncerTest, FirstSyncBackfillsAndFollowsPages) {
  int64_t d0 = (kToday - 30 * kDayMs) / 1000;
  int64_t today_s = kToday / 1000;
  http_.Queue("/organization/usage/completions",
              Ok(OpenAiUsagePage(d0, Usage("gpt-4o-mini", "key_a", 100, 10), true, "p2")));
  http_.Queue(
      "/organization/usage/completions",
      Ok(OpenAiUsagePage(
          today_s, Usage("gpt-4o-mini", "key_a", 5, 1) + "," + Usage("gpt-4o-mini", "key_b", 7, 2),
          false)));
  http_.Queue("/organization/costs",
              Ok(OpenAiUsagePage(today_s,
                                 Cost("gpt-4o-mini, input", "1.8e-06") + "," +
                                     Cost("gpt-4o-mini, output", "1.8e-06"),
                                 false)));
  SyncOutcome o = syncer_->Sync(kConn, false);
  EXPECT_EQ(o.state, SyncState::kSynced) << o.error;
  EXPECT_EQ(o.window, (DayWindow{kToday - 30 * kDayMs, kToday + kDayMs}));
  EXPECT_EQ(o.requests, 3);
  ASSERT_EQ(http_.requests.size(), 3u);
  EXPECT_THAT(http_.requests[0].url, HasSubstr("start_time=1719878400&end_time=1722556800"));
  EXPECT_THAT(http_.requests[0].url, Not(HasSubstr("page=")));
  EXPECT_THAT(http_.requests[1].url, HasSubstr("&page=p2"));
  EXPECT_THAT(
      Buckets(),
      ElementsAre(
          ReportedBucket{kToday - 30 * kDayMs, "gpt-4o-mini", "key_a", {100, 0, 0, 10, 1}, {}},
          ReportedBucket{kToday, "gpt-4o-mini", "", {}, {1800, 0, 0, 1800, 0}},
          ReportedBucket{kToday, "gpt-4o-mini", "key_a", {5, 0, 0, 1, 1}, {}},
          ReportedBucket{kToday, "gpt-4o-mini", "key_b", {7, 0, 0, 2, 1}, {}}));
  EXPECT_EQ(Conn().status, ConnectionStatus::kOk);
  EXPECT_EQ(Conn().last_sync_at_unix_ms, kNow);
  EXPECT_EQ(Conn().next_sync_at_unix_ms, kNow + 3'600'000);
  EXPECT_EQ(Conn().synced_from_day_ms, kToday - 30 * kDayMs);
  EXPECT_EQ(Conn().synced_through_day_ms, kToday);
}

// A later sync re-pulls the recent days and replaces them: a revised day is never added twice.
TEST_F(ProviderSyncerTest, ResyncReplacesRevisedDays) {
  http_.Queue("/usage/completions",
              Ok(OpenAiUsagePage(kToday / 1000, Usage("m", "k", 10, 1), false)));
  http_.Queue("/costs", Ok(OpenAiUsagePage(kToday / 1000, "", false)));
  ASSERT_EQ(syncer_->Sync(kConn, false).state, SyncState::kSynced);
  // Not due yet: nothing happens.
  clock_.Advance(std::chrono::minutes(30));
  EXPECT_EQ(syncer_->Sync(kConn, false).state, SyncState::kNotDue);
  EXPECT_EQ(http_.requests.size(), 2u);
  // Due: the provider revised today's bucket upwards.
  clock_.Advance(std::chrono::minutes(31));
  http_.Queue("/usage/completions",
              Ok(OpenAiUsagePage(kToday / 1000, Usage("m", "k", 25, 3), false)));
  SyncOutcome o = syncer_->Sync(kConn, false);
  ASSERT_EQ(o.state, SyncState::kSynced);
  EXPECT_EQ(o.window, (DayWindow{kToday - 2 * kDayMs, kToday + kDayMs}));
  EXPECT_THAT(Buckets(), ElementsAre(ReportedBucket{kToday, "m", "k", {25, 0, 0, 3, 1}, {}}));
  EXPECT_EQ(Conn().synced_from_day_ms, kToday - 30 * kDayMs);  // coverage only grows
}

// 429 and 5xx are retried (Retry-After when given, else exponential backoff); the key never
// reaches a recorded error.
TEST_F(ProviderSyncerTest, RetriesThrottlingAndServerErrors) {
  http_.Queue("/usage/completions", Status(429, "", 2500));
  http_.Queue("/usage/completions", Status(500));
  http_.Queue("/usage/completions", Status(503));
  http_.Queue("/usage/completions", Ok(OpenAiUsagePage(kToday / 1000, "", false)));
  http_.Queue("/costs", Ok(OpenAiUsagePage(kToday / 1000, "", false)));
  SyncOutcome o = syncer_->Sync(kConn, false);
  EXPECT_EQ(o.state, SyncState::kSynced) << o.error;
  EXPECT_EQ(o.requests, 5);
  EXPECT_THAT(sleeper_.waits, ElementsAre(2500, 2000, 4000));
}

TEST_F(ProviderSyncerTest, GivesUpAfterMaxAttemptsAndRetriesSooner) {
  http_.Queue("/usage/completions",
              Status(503, R"({"error":{"message":"upstream overloaded"}})", 120'000));
  SyncOutcome o = syncer_->Sync(kConn, false);
  EXPECT_EQ(o.state, SyncState::kFailed);
  EXPECT_EQ(o.requests, 5);
  EXPECT_THAT(sleeper_.waits, ElementsAre(60000, 60000, 60000, 60000));  // capped
  EXPECT_EQ(Conn().status, ConnectionStatus::kFailed);
  EXPECT_EQ(Conn().last_error,
            "OpenAI kept failing after 5 attempts (last: HTTP 503: upstream overloaded)");
  EXPECT_EQ(Conn().next_sync_at_unix_ms, kNow + 300'000);
  EXPECT_EQ(store_.replace_calls, 0);
}

// A revoked key: failed at once, with the provider's reason, and the key nowhere in it.
TEST_F(ProviderSyncerTest, ARevokedKeyFailsTheConnection) {
  http_.Queue(
      "/usage/completions",
      Status(401, absl::StrCat(R"({"error":{"message":"Incorrect API key provided: )", kKey,
                               R"(","type":"invalid_request_error","code":"invalid_api_key"}})")));
  SyncOutcome o = syncer_->Sync(kConn, false);
  EXPECT_EQ(o.state, SyncState::kFailed);
  EXPECT_EQ(o.requests, 1);
  EXPECT_TRUE(sleeper_.waits.empty());
  EXPECT_EQ(Conn().last_error,
            "OpenAI refused the admin key (HTTP 401: Incorrect API key provided: [redacted])");
  EXPECT_EQ(Conn().next_sync_at_unix_ms, kNow + 3'600'000);
  EXPECT_EQ(Conn().last_sync_at_unix_ms, 0);
  // A later successful sync clears the failure.
  clock_.Advance(std::chrono::hours(1));
  http_.Queue("/usage/completions", Ok(OpenAiUsagePage(kToday / 1000, "", false)));
  http_.Queue("/costs", Ok(OpenAiUsagePage(kToday / 1000, "", false)));
  EXPECT_EQ(syncer_->Sync(kConn, false).state, SyncState::kSynced);
  EXPECT_EQ(Conn().status, ConnectionStatus::kOk);
  EXPECT_EQ(Conn().last_error, "");
}

TEST_F(ProviderSyncerTest, MalformedReportsAndEndlessPagingFail) {
  http_.Queue("/usage/completions", Ok("{\"data\": 5}"));
  EXPECT_EQ(syncer_->Sync(kConn, true).state, SyncState::kFailed);
  EXPECT_EQ(Conn().last_error, "malformed OpenAI usage report: no data array");
  http_.Queue("/usage/completions", Ok(OpenAiUsagePage(kToday / 1000, "", true, "same")));
  EXPECT_EQ(syncer_->Sync(kConn, true).state, SyncState::kFailed);
  EXPECT_EQ(Conn().last_error, "OpenAI returned the same page twice");
}

// Stopping during a backoff records nothing: the next start syncs again.
TEST_F(ProviderSyncerTest, StoppingDuringBackoffRollsBack) {
  http_.Queue("/usage/completions", Status(429));
  sleeper_.stop = true;
  SyncOutcome o = syncer_->Sync(kConn, false);
  EXPECT_EQ(o.state, SyncState::kCancelled);
  EXPECT_EQ(Conn().status, ConnectionStatus::kPending);
  EXPECT_EQ(Conn().next_sync_at_unix_ms, kNow);
}

TEST_F(ProviderSyncerTest, BusyWhenAnotherReplicaHoldsTheLock) {
  store_.HoldLock(kConn);
  EXPECT_EQ(syncer_->Sync(kConn, true).state, SyncState::kBusy);
  EXPECT_TRUE(http_.requests.empty());
  EXPECT_EQ(syncer_->Sync("no-such-connection", true).state, SyncState::kBusy);
}

TEST_F(ProviderSyncerTest, AKeyThatCannotBeOpenedFailsWithoutCallingTheProvider) {
  // Sealed for another row: its associated data does not match.
  store_.rows.at(kConn).sealed = keyring_->current().Seal(kKey, ConnectionKeyAad("other"));
  SyncOutcome o = syncer_->Sync(kConn, false);
  EXPECT_EQ(o.state, SyncState::kFailed);
  EXPECT_TRUE(http_.requests.empty());
  EXPECT_THAT(Conn().last_error, HasSubstr("llmgw cannot open the stored admin key"));
}

TEST_F(ProviderSyncerTest, WithoutASecretKeyNothingSyncs) {
  ProviderSyncer unconfigured(store_, http_, nullptr, clock_, sleeper_, settings_);
  EXPECT_FALSE(unconfigured.configured());
  EXPECT_EQ(unconfigured.Sync(kConn, true).state, SyncState::kNotConfigured);
  EXPECT_TRUE(http_.requests.empty());
}

TEST_F(ProviderSyncerTest, CheckKeyIsOneCall) {
  http_.Queue("/usage/completions", Ok(OpenAiUsagePage(kToday / 1000, "", false)));
  EXPECT_THAT(syncer_->CheckKey(ReportProvider::kOpenAi, kKey), IsOk());
  ASSERT_EQ(http_.requests.size(), 1u);
  EXPECT_THAT(http_.requests[0].url,
              HasSubstr("start_time=1722470400&end_time=1722556800&bucket_width=1d"));
  EXPECT_THAT(http_.requests[0].url, HasSubstr("&limit=1"));

  http_.Queue(
      "/v1/organizations/usage_report/messages",
      Status(
          401,
          R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}})"));
  EXPECT_THAT(syncer_->CheckKey(ReportProvider::kAnthropic, "sk-ant-admin-x"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "Anthropic refused the admin key (HTTP 401: invalid x-api-key)"));
  EXPECT_EQ(http_.requests.back().headers[0].second, "sk-ant-admin-x");

  http_.Queue("/usage/completions", Status(503));  // no retry on a check
  size_t before = http_.requests.size();
  EXPECT_THAT(
      syncer_->CheckKey(ReportProvider::kOpenAi, kKey),
      StatusIs(absl::StatusCode::kInvalidArgument, "OpenAI could not check the key (HTTP 503)"));
  EXPECT_EQ(http_.requests.size(), before + 1);
  http_.Queue("/usage/completions", HttpReply{0, "", std::nullopt, "Connection refused"});
  EXPECT_THAT(syncer_->CheckKey(ReportProvider::kOpenAi, kKey),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("could not be reached")));
}

// The scheduler: requested connections first (forced), then the due ones, each once.
TEST_F(ProviderSyncerTest, SchedulerRunsRequestedThenDue) {
  http_.Queue("/usage/completions", Ok(OpenAiUsagePage(kToday / 1000, "", false)));
  http_.Queue("/costs", Ok(OpenAiUsagePage(kToday / 1000, "", false)));
  InterruptibleSleeper sleeper;
  std::vector<std::string> seen;
  SyncScheduler scheduler(*syncer_, sleeper, {std::chrono::hours(1), 10, [&](const SyncOutcome& o) {
                                                seen.push_back(absl::StrCat(
                                                    o.connection_id, ":", SyncStateName(o.state)));
                                              }});
  std::vector<SyncOutcome> first = scheduler.RunOnce();  // due since its creation
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].state, SyncState::kSynced);
  EXPECT_TRUE(scheduler.RunOnce().empty());  // not due again for an hour
  scheduler.RequestSync(kConn);              // "sync now"
  std::vector<SyncOutcome> forced = scheduler.RunOnce();
  ASSERT_EQ(forced.size(), 1u);
  EXPECT_EQ(forced[0].state, SyncState::kSynced);
  EXPECT_THAT(seen, ElementsAre(absl::StrCat(kConn, ":synced"), absl::StrCat(kConn, ":synced")));
}

// The thread: a request is served promptly, and Stop() ends a backoff in progress.
TEST_F(ProviderSyncerTest, SchedulerThreadAnswersRequestsAndStops) {
  http_.Queue("/usage/completions", Ok(OpenAiUsagePage(kToday / 1000, "", false)));
  http_.Queue("/costs", Ok(OpenAiUsagePage(kToday / 1000, "", false)));
  InterruptibleSleeper sleeper;
  ProviderSyncer syncer(store_, http_, &*keyring_, clock_, sleeper, settings_);
  std::mutex mu;
  std::condition_variable cv;
  int synced = 0;
  SyncScheduler scheduler(syncer, sleeper, {std::chrono::hours(1), 10, [&](const SyncOutcome& o) {
                                              std::lock_guard<std::mutex> lock(mu);
                                              if (o.state == SyncState::kSynced) ++synced;
                                              cv.notify_all();
                                            }});
  scheduler.Start();
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return synced == 1; }));
  }
  scheduler.RequestSync(kConn);
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return synced == 2; }));
  }
  // Now the provider throttles with a long Retry-After; Stop() must not wait for it.
  http_.Queue("/usage/completions", Status(429, "", 50'000));
  scheduler.RequestSync(kConn);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto start = std::chrono::steady_clock::now();
  scheduler.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace llmgw::metering

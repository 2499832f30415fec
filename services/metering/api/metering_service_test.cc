#include "services/metering/api/metering_service.h"

#include <prometheus/registry.h>

#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "libs/pg/migrate.h"
#include "libs/pg/pool.h"
#include "libs/testing/pg_test_db.h"
#include "libs/testing/status_matchers.h"
#include "services/metering/storage/pg_usage_store.h"

namespace llmgw::metering {
namespace {

using test::IsOk;
using ::testing::HasSubstr;

constexpr char kToken[] = "metering-test-internal-token-0123456789";
constexpr int64_t kDay0 = 1'700'006'400'000;  // 2023-11-15T00:00:00Z
constexpr char kOrg[] = "0b7c2f4e-0000-4000-8000-00000000000a";
constexpr char kOther[] = "0b7c2f4e-0000-4000-8000-00000000000b";

double CounterValue(prometheus::Registry& registry, const std::string& name) {
  for (const auto& family : registry.Collect()) {
    if (family.name == name && !family.metric.empty()) return family.metric[0].counter.value;
  }
  return -1;
}

class MeteringServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = test::PgTestDb::Create();
    auto pool = pg::PgPool::Create({.url = db_->url(), .size = 4});
    ASSERT_THAT(pool, IsOk());
    pool_ = std::move(*pool);
    ASSERT_THAT(pg::ApplyMigrations(*pool_, "metering", meteringMigrations()), IsOk());
    store_ = std::make_unique<PgUsageStore>(*pool_);
    metrics_ = std::make_unique<MeteringMetrics>(*registry_);
    service_ = std::make_unique<MeteringService>(
        *store_, grpcutil::HandlerEnv{kToken, &workers_, nullptr}, metrics_.get());
    auto server = grpcutil::GrpcServer::Start("127.0.0.1:0", {service_.get()});
    ASSERT_THAT(server, IsOk());
    server_ = std::move(*server);
    channel_ = grpcutil::MakeChannel("127.0.0.1:" + std::to_string(server_->port()));
    stub_ = pb::MeteringService::NewStub(channel_);
  }
  void TearDown() override {
    stub_.reset();
    channel_.reset();  // an open connection would hold the shutdown for its whole grace
    if (server_) server_->Shutdown(std::chrono::seconds(2));
    workers_.join();
  }

  std::unique_ptr<grpc::ClientContext> Ctx() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    grpcutil::PrepareClientContext(*ctx, kToken, std::chrono::seconds(10));
    return ctx;
  }

  pb::IngestUsageResponse Ingest(const std::vector<pb::UsageEvent>& events) {
    pb::IngestUsageRequest req;
    for (const auto& e : events) *req.add_events() = e;
    pb::IngestUsageResponse resp;
    grpc::Status s = stub_->IngestUsage(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  pb::TimeRange Range(int64_t from, int64_t to) {
    pb::TimeRange r;
    r.set_from_unix_ms(from);
    r.set_to_unix_ms(to);
    return r;
  }

  std::unique_ptr<test::PgTestDb> db_;
  std::unique_ptr<pg::PgPool> pool_;
  std::unique_ptr<PgUsageStore> store_;
  std::shared_ptr<prometheus::Registry> registry_ = std::make_shared<prometheus::Registry>();
  std::unique_ptr<MeteringMetrics> metrics_;
  boost::asio::thread_pool workers_{4};
  std::unique_ptr<MeteringService> service_;
  std::unique_ptr<grpcutil::GrpcServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::MeteringService::Stub> stub_;
};

pb::UsageEvent Ev(const std::string& id, const std::string& org, pb::Mode mode,
                  const std::string& provider, const std::string& model, int64_t at, int64_t input,
                  int64_t output, int64_t cost) {
  pb::UsageEvent e;
  e.set_event_id(id);
  e.set_organization_id(org);
  e.set_credential_id("cred-1");
  e.set_mode(mode);
  e.set_provider(provider);
  e.set_model(model);
  e.set_endpoint("/chat/completions");
  e.set_input_tokens(input);
  e.set_cached_input_tokens(input / 4);
  e.set_output_tokens(output);
  e.set_reasoning_tokens(output / 2);
  e.set_cost_nano(cost);
  if (mode == pb::MODE_RESELLER) {
    e.set_provider_cost_nano(cost * 5 / 6);
    e.set_margin_nano(cost - cost * 5 / 6);
  } else {
    e.set_provider_cost_nano(cost);
  }
  e.set_status_code(200);
  e.set_latency_ms(900);
  e.set_requested_at_unix_ms(at);
  e.set_request_id("req-" + id);
  return e;
}

// Org kOrg: 5 events over two days, two modes, three models. kOther: one event.
std::vector<pb::UsageEvent> Fixture() {
  return {
      Ev("e1", kOrg, pb::MODE_PASSTHROUGH, "openai", "gpt-4o", kDay0 + 10 * 60'000, 1000, 200,
         4500),
      Ev("e2", kOrg, pb::MODE_RESELLER, "openai", "gpt-4o", kDay0 + 70 * 60'000, 2000, 400, 12000),
      Ev("e3", kOrg, pb::MODE_RESELLER, "anthropic", "claude-3-5-haiku-20241022",
         kDay0 + 75 * 60'000, 400, 100, 6000),
      Ev("e4", kOrg, pb::MODE_PASSTHROUGH, "openai", "gpt-4o-mini", kDay0 + kDayMs + 5'000, 800, 80,
         168),
      Ev("e5", kOrg, pb::MODE_PASSTHROUGH, "anthropic", "claude-3-5-haiku-20241022",
         kDay0 + kDayMs + 3 * kHourMs + 1, 100, 10, 120),
      Ev("x1", kOther, pb::MODE_RESELLER, "openai", "gpt-4o", kDay0 + 11 * 60'000, 999, 99, 99999),
  };
}

TEST_F(MeteringServiceTest, HealthIsServing) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::health::v1::HealthCheckRequest req;
  req.set_service("");  // the server as a whole (libs/grpc registers no per-service names)
  grpc::health::v1::HealthCheckResponse resp;
  ASSERT_TRUE(health->Check(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_F(MeteringServiceTest, EveryRpcNeedsTheInternalToken) {
  auto check = [&](auto call) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    ctx.AddMetadata(grpcutil::kInternalTokenHeader, "wrong-token-wrong-token-wrong-token");
    EXPECT_EQ(call(&ctx).error_code(), grpc::StatusCode::UNAUTHENTICATED);
    grpc::ClientContext none;
    none.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    EXPECT_EQ(call(&none).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  };
  pb::IngestUsageRequest ingest;
  *ingest.add_events() = Fixture()[0];
  pb::IngestUsageResponse ingest_resp;
  check([&](grpc::ClientContext* c) { return stub_->IngestUsage(c, ingest, &ingest_resp); });
  pb::GetSummaryRequest summary;
  summary.set_organization_id(kOrg);
  *summary.mutable_range() = Range(0, kDay0 * 2);
  pb::GetSummaryResponse summary_resp;
  check([&](grpc::ClientContext* c) { return stub_->GetSummary(c, summary, &summary_resp); });
  pb::GetUsageByModelRequest by_model;
  pb::GetUsageByModelResponse by_model_resp;
  check(
      [&](grpc::ClientContext* c) { return stub_->GetUsageByModel(c, by_model, &by_model_resp); });
  pb::GetUsageByProviderRequest by_provider;
  pb::GetUsageByProviderResponse by_provider_resp;
  check([&](grpc::ClientContext* c) {
    return stub_->GetUsageByProvider(c, by_provider, &by_provider_resp);
  });
  pb::GetTimeseriesRequest series;
  pb::GetTimeseriesResponse series_resp;
  check([&](grpc::ClientContext* c) { return stub_->GetTimeseries(c, series, &series_resp); });
  pb::ListUsageRequest list;
  pb::ListUsageResponse list_resp;
  check([&](grpc::ClientContext* c) { return stub_->ListUsage(c, list, &list_resp); });
  // Nothing was stored by the rejected ingest.
  EXPECT_EQ(CounterValue(*registry_, "llmgw_metering_events_ingested_total"), 0);
  auto n = store_->List({kOrg, 10, kMaxUnixMs + 1});
  ASSERT_THAT(n, IsOk());
  EXPECT_TRUE(n->empty());
}

TEST_F(MeteringServiceTest, IngestIsIdempotentAndCounted) {
  auto events = Fixture();
  pb::IngestUsageResponse first = Ingest(events);
  EXPECT_EQ(first.inserted(), 6);
  EXPECT_EQ(first.duplicates(), 0);
  pb::IngestUsageResponse again = Ingest(events);
  EXPECT_EQ(again.inserted(), 0);
  EXPECT_EQ(again.duplicates(), 6);
  events.push_back(Ev("e6", kOrg, pb::MODE_PASSTHROUGH, "xai", "grok-beta", kDay0 + 1, 1, 1, 1));
  pb::IngestUsageResponse overlap = Ingest(events);
  EXPECT_EQ(overlap.inserted(), 1);
  EXPECT_EQ(overlap.duplicates(), 6);
  EXPECT_EQ(CounterValue(*registry_, "llmgw_metering_events_ingested_total"), 7);
  EXPECT_EQ(CounterValue(*registry_, "llmgw_metering_events_duplicate_total"), 12);
  pb::IngestUsageResponse empty = Ingest({});
  EXPECT_EQ(empty.inserted(), 0);
  EXPECT_EQ(empty.duplicates(), 0);
}

TEST_F(MeteringServiceTest, InvalidEventRejectsTheWholeBatch) {
  auto events = Fixture();
  events[3].set_output_tokens(-1);
  pb::IngestUsageRequest req;
  for (const auto& e : events) *req.add_events() = e;
  pb::IngestUsageResponse resp;
  grpc::Status s = stub_->IngestUsage(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "events[3].output_tokens must not be negative");
  req.mutable_events(3)->set_output_tokens(1);
  req.mutable_events(4)->clear_organization_id();
  s = stub_->IngestUsage(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "events[4].organization_id is required");
  req.mutable_events(4)->set_organization_id(kOrg);
  req.mutable_events(0)->clear_event_id();
  s = stub_->IngestUsage(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_message(), "events[0].event_id is required");
  auto stored = store_->List({kOrg, 10, kMaxUnixMs + 1});
  ASSERT_THAT(stored, IsOk());
  EXPECT_TRUE(stored->empty());
}

void ExpectTotals(const pb::Totals& t, int64_t requests, int64_t input, int64_t output,
                  int64_t cost) {
  EXPECT_EQ(t.requests(), requests);
  EXPECT_EQ(t.input_tokens(), input);
  EXPECT_EQ(t.output_tokens(), output);
  EXPECT_EQ(t.cost_nano(), cost);
}

TEST_F(MeteringServiceTest, SummaryByModelByProviderAndTimeseries) {
  Ingest(Fixture());
  const pb::TimeRange two_days = Range(kDay0, kDay0 + 2 * kDayMs);

  pb::GetSummaryRequest sreq;
  sreq.set_organization_id(kOrg);
  *sreq.mutable_range() = two_days;
  pb::GetSummaryResponse summary;
  ASSERT_TRUE(stub_->GetSummary(Ctx().get(), sreq, &summary).ok());
  ExpectTotals(summary.total(), 5, 4300, 790, 22788);
  EXPECT_EQ(summary.total().cached_input_tokens(), 250 + 500 + 100 + 200 + 25);
  EXPECT_EQ(summary.total().reasoning_tokens(), 100 + 200 + 50 + 40 + 5);
  EXPECT_EQ(summary.total().provider_cost_nano(), 4500 + 10000 + 5000 + 168 + 120);
  EXPECT_EQ(summary.total().margin_nano(), 2000 + 1000);
  ExpectTotals(summary.passthrough(), 3, 1900, 290, 4788);
  ExpectTotals(summary.reseller(), 2, 2400, 500, 18000);
  EXPECT_EQ(summary.reseller().margin_nano(), 3000);

  // A non-aligned range: from 00:10:00.001 (excludes e1) to just after e4.
  sreq.mutable_range()->set_from_unix_ms(kDay0 + 10 * 60'000 + 1);
  sreq.mutable_range()->set_to_unix_ms(kDay0 + kDayMs + 5'001);
  ASSERT_TRUE(stub_->GetSummary(Ctx().get(), sreq, &summary).ok());
  ExpectTotals(summary.total(), 3, 3200, 580, 18168);

  pb::GetUsageByModelRequest mreq;
  mreq.set_organization_id(kOrg);
  *mreq.mutable_range() = two_days;
  pb::GetUsageByModelResponse models;
  ASSERT_TRUE(stub_->GetUsageByModel(Ctx().get(), mreq, &models).ok());
  ASSERT_EQ(models.models_size(), 3);
  EXPECT_EQ(models.models(0).model(), "gpt-4o");
  ExpectTotals(models.models(0).totals(), 2, 3000, 600, 16500);
  EXPECT_EQ(models.models(1).model(), "claude-3-5-haiku-20241022");
  EXPECT_EQ(models.models(1).provider(), "anthropic");
  ExpectTotals(models.models(1).totals(), 2, 500, 110, 6120);
  EXPECT_EQ(models.models(2).model(), "gpt-4o-mini");
  ExpectTotals(models.models(2).totals(), 1, 800, 80, 168);

  pb::GetUsageByProviderRequest preq;
  preq.set_organization_id(kOrg);
  *preq.mutable_range() = two_days;
  pb::GetUsageByProviderResponse providers;
  ASSERT_TRUE(stub_->GetUsageByProvider(Ctx().get(), preq, &providers).ok());
  ASSERT_EQ(providers.providers_size(), 2);
  EXPECT_EQ(providers.providers(0).provider(), "openai");
  ExpectTotals(providers.providers(0).totals(), 3, 3800, 680, 16668);
  EXPECT_EQ(providers.providers(1).provider(), "anthropic");
  ExpectTotals(providers.providers(1).totals(), 2, 500, 110, 6120);

  pb::GetTimeseriesRequest treq;
  treq.set_organization_id(kOrg);
  *treq.mutable_range() = two_days;
  treq.set_bucket(pb::BUCKET_HOUR);
  pb::GetTimeseriesResponse hourly;
  ASSERT_TRUE(stub_->GetTimeseries(Ctx().get(), treq, &hourly).ok());
  ASSERT_EQ(hourly.points_size(), 4);  // hours 0, 1, 24, 27; empty hours omitted
  EXPECT_EQ(hourly.points(0).bucket_start_unix_ms(), kDay0);
  ExpectTotals(hourly.points(0).totals(), 1, 1000, 200, 4500);
  EXPECT_EQ(hourly.points(1).bucket_start_unix_ms(), kDay0 + kHourMs);
  ExpectTotals(hourly.points(1).totals(), 2, 2400, 500, 18000);
  EXPECT_EQ(hourly.points(2).bucket_start_unix_ms(), kDay0 + kDayMs);
  EXPECT_EQ(hourly.points(3).bucket_start_unix_ms(), kDay0 + kDayMs + 3 * kHourMs);
  ExpectTotals(hourly.points(3).totals(), 1, 100, 10, 120);

  treq.set_bucket(pb::BUCKET_DAY);
  pb::GetTimeseriesResponse daily;
  ASSERT_TRUE(stub_->GetTimeseries(Ctx().get(), treq, &daily).ok());
  ASSERT_EQ(daily.points_size(), 2);
  EXPECT_EQ(daily.points(0).bucket_start_unix_ms(), kDay0);
  ExpectTotals(daily.points(0).totals(), 3, 3400, 700, 22500);
  EXPECT_EQ(daily.points(1).bucket_start_unix_ms(), kDay0 + kDayMs);
  ExpectTotals(daily.points(1).totals(), 2, 900, 90, 288);

  // The other org sees only its own event.
  sreq.set_organization_id(kOther);
  *sreq.mutable_range() = two_days;
  ASSERT_TRUE(stub_->GetSummary(Ctx().get(), sreq, &summary).ok());
  ExpectTotals(summary.total(), 1, 999, 99, 99999);
}

TEST_F(MeteringServiceTest, StatsRejectBadQueries) {
  pb::GetSummaryRequest req;
  req.set_organization_id(kOrg);
  *req.mutable_range() = Range(kDay0, kDay0);
  pb::GetSummaryResponse resp;
  grpc::Status s = stub_->GetSummary(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("from_unix_ms must be before"));
  req.clear_range();  // missing range: from = to = 0
  EXPECT_EQ(stub_->GetSummary(Ctx().get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  req.clear_organization_id();
  *req.mutable_range() = Range(kDay0, kDay0 + 1);
  s = stub_->GetSummary(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "organization_id is required");

  pb::GetUsageByModelRequest mreq;
  *mreq.mutable_range() = Range(kDay0, kDay0 + 1);
  pb::GetUsageByModelResponse mresp;
  EXPECT_EQ(stub_->GetUsageByModel(Ctx().get(), mreq, &mresp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  pb::GetUsageByProviderRequest preq;
  preq.set_organization_id(kOrg);
  *preq.mutable_range() = Range(kDay0 + 1, kDay0);
  pb::GetUsageByProviderResponse presp;
  EXPECT_EQ(stub_->GetUsageByProvider(Ctx().get(), preq, &presp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  pb::GetTimeseriesRequest treq;
  treq.set_organization_id(kOrg);
  *treq.mutable_range() = Range(kDay0, kDay0 + kDayMs);
  treq.set_bucket(static_cast<pb::Bucket>(9));
  pb::GetTimeseriesResponse tresp;
  s = stub_->GetTimeseries(Ctx().get(), treq, &tresp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("BUCKET_HOUR or BUCKET_DAY"));
  pb::ListUsageRequest lreq;
  lreq.set_organization_id(kOrg);
  lreq.set_limit(-1);
  pb::ListUsageResponse lresp;
  EXPECT_EQ(stub_->ListUsage(Ctx().get(), lreq, &lresp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  lreq.clear_organization_id();
  lreq.set_limit(5);
  EXPECT_EQ(stub_->ListUsage(Ctx().get(), lreq, &lresp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(MeteringServiceTest, ListUsagePagesNewestFirstForOneOrg) {
  auto events = Fixture();
  Ingest(events);
  pb::ListUsageRequest req;
  req.set_organization_id(kOrg);
  req.set_limit(2);
  std::vector<std::string> ids;
  for (int page = 0; page < 10; ++page) {
    pb::ListUsageResponse resp;
    ASSERT_TRUE(stub_->ListUsage(Ctx().get(), req, &resp).ok());
    if (resp.items_size() == 0) break;
    EXPECT_LE(resp.items_size(), 2);
    for (const auto& item : resp.items()) ids.push_back(item.event_id());
    req.set_before_unix_ms(resp.items(resp.items_size() - 1).requested_at_unix_ms());
  }
  EXPECT_THAT(ids, ::testing::ElementsAre("e5", "e4", "e3", "e2", "e1"));

  // Every field comes back as sent; the default limit is 50.
  pb::ListUsageRequest all;
  all.set_organization_id(kOrg);
  pb::ListUsageResponse resp;
  ASSERT_TRUE(stub_->ListUsage(Ctx().get(), all, &resp).ok());
  ASSERT_EQ(resp.items_size(), 5);
  EXPECT_EQ(resp.items(0).SerializeAsString(), events[4].SerializeAsString());
  EXPECT_EQ(resp.items(4).SerializeAsString(), events[0].SerializeAsString());
}

TEST(Conversion, EveryFieldRoundTrips) {
  pb::UsageEvent p = Ev("id", kOrg, pb::MODE_RESELLER, "google", "gemini-1.5-pro", 42, 7, 8, 9);
  p.set_cache_write_tokens(3);
  p.set_is_streaming(true);
  p.set_ttft_ms(11);
  p.set_incomplete(true);
  p.set_unpriced(true);
  p.set_status_code(502);
  UsageEvent e = FromProto(p);
  EXPECT_EQ(e.mode, Mode::kReseller);
  EXPECT_EQ(e.cache_write_tokens, 3);
  EXPECT_EQ(ToProto(e).SerializeAsString(), p.SerializeAsString());
}

}  // namespace
}  // namespace llmgw::metering

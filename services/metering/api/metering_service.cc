#include "services/metering/api/metering_service.h"

#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"
#include "services/metering/domain/stats.h"

namespace llmgw::metering {

UsageEvent FromProto(const pb::UsageEvent& p) {
  UsageEvent e;
  e.event_id = p.event_id();
  e.organization_id = p.organization_id();
  e.credential_id = p.credential_id();
  e.mode = static_cast<Mode>(static_cast<int>(p.mode()));
  e.provider = p.provider();
  e.model = p.model();
  e.endpoint = p.endpoint();
  e.input_tokens = p.input_tokens();
  e.cached_input_tokens = p.cached_input_tokens();
  e.cache_write_tokens = p.cache_write_tokens();
  e.output_tokens = p.output_tokens();
  e.reasoning_tokens = p.reasoning_tokens();
  e.cost_nano = p.cost_nano();
  e.provider_cost_nano = p.provider_cost_nano();
  e.margin_nano = p.margin_nano();
  e.is_streaming = p.is_streaming();
  e.status_code = p.status_code();
  e.latency_ms = p.latency_ms();
  e.ttft_ms = p.ttft_ms();
  e.incomplete = p.incomplete();
  e.unpriced = p.unpriced();
  e.requested_at_unix_ms = p.requested_at_unix_ms();
  e.request_id = p.request_id();
  e.price_id = p.price_id();
  e.cache_write_1h_tokens = p.cache_write_1h_tokens();
  return e;
}

pb::UsageEvent ToProto(const UsageEvent& e) {
  pb::UsageEvent p;
  p.set_event_id(e.event_id);
  p.set_organization_id(e.organization_id);
  p.set_credential_id(e.credential_id);
  p.set_mode(static_cast<pb::Mode>(static_cast<int>(e.mode)));
  p.set_provider(e.provider);
  p.set_model(e.model);
  p.set_endpoint(e.endpoint);
  p.set_input_tokens(e.input_tokens);
  p.set_cached_input_tokens(e.cached_input_tokens);
  p.set_cache_write_tokens(e.cache_write_tokens);
  p.set_output_tokens(e.output_tokens);
  p.set_reasoning_tokens(e.reasoning_tokens);
  p.set_cost_nano(e.cost_nano);
  p.set_provider_cost_nano(e.provider_cost_nano);
  p.set_margin_nano(e.margin_nano);
  p.set_is_streaming(e.is_streaming);
  p.set_status_code(e.status_code);
  p.set_latency_ms(e.latency_ms);
  p.set_ttft_ms(e.ttft_ms);
  p.set_incomplete(e.incomplete);
  p.set_unpriced(e.unpriced);
  p.set_requested_at_unix_ms(e.requested_at_unix_ms);
  p.set_request_id(e.request_id);
  p.set_price_id(e.price_id);
  p.set_cache_write_1h_tokens(e.cache_write_1h_tokens);
  return p;
}

namespace {

void ToProto(const Totals& t, pb::Totals* p) {
  p->set_requests(t.requests);
  p->set_input_tokens(t.input_tokens);
  p->set_cached_input_tokens(t.cached_input_tokens);
  p->set_cache_write_tokens(t.cache_write_tokens);
  p->set_output_tokens(t.output_tokens);
  p->set_reasoning_tokens(t.reasoning_tokens);
  p->set_cost_nano(t.cost_nano);
  p->set_provider_cost_nano(t.provider_cost_nano);
  p->set_margin_nano(t.margin_nano);
  p->set_errors(t.errors);
}

absl::StatusOr<Bucket> BucketFromProto(pb::Bucket b) {
  switch (b) {
    case pb::BUCKET_UNSPECIFIED:  // hourly unless asked otherwise
    case pb::BUCKET_HOUR:
      return Bucket::kHour;
    case pb::BUCKET_DAY:
      return Bucket::kDay;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("bucket must be BUCKET_HOUR or BUCKET_DAY, got ", static_cast<int>(b)));
  }
}

}  // namespace

absl::StatusOr<std::vector<UsageGroup>> MeteringService::Groups(const std::string& org,
                                                                const pb::TimeRange& r,
                                                                Bucket bucket) {
  TimeRange range{r.from_unix_ms(), r.to_unix_ms()};
  LLMGW_RETURN_IF_ERROR(ValidateStatsQuery(org, range));
  return store_.Aggregate(org, range, bucket);
}

grpc::ServerUnaryReactor* MeteringService::IngestUsage(grpc::CallbackServerContext* ctx,
                                                       const pb::IngestUsageRequest* req,
                                                       pb::IngestUsageResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "IngestUsage", [this, req, resp]() -> absl::Status {
    std::vector<UsageEvent> events;
    events.reserve(req->events_size());
    for (const pb::UsageEvent& e : req->events()) events.push_back(FromProto(e));
    LLMGW_RETURN_IF_ERROR(ValidateEvents(events));
    LLMGW_ASSIGN_OR_RETURN(IngestResult r, store_.Ingest(events));
    if (metrics_ != nullptr) {
      metrics_->events_ingested.Increment(r.inserted);
      metrics_->events_duplicate.Increment(r.duplicates);
    }
    resp->set_inserted(r.inserted);
    resp->set_duplicates(r.duplicates);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MeteringService::GetSummary(grpc::CallbackServerContext* ctx,
                                                      const pb::GetSummaryRequest* req,
                                                      pb::GetSummaryResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "GetSummary", [this, req, resp]() -> absl::Status {
    LLMGW_ASSIGN_OR_RETURN(auto groups,
                           Groups(req->organization_id(), req->range(), Bucket::kNone));
    Summary s = Summarize(groups);
    ToProto(s.total, resp->mutable_total());
    ToProto(s.passthrough, resp->mutable_passthrough());
    ToProto(s.reseller, resp->mutable_reseller());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MeteringService::GetUsageByModel(grpc::CallbackServerContext* ctx,
                                                           const pb::GetUsageByModelRequest* req,
                                                           pb::GetUsageByModelResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "GetUsageByModel", [this, req, resp]() -> absl::Status {
    LLMGW_ASSIGN_OR_RETURN(auto groups,
                           Groups(req->organization_id(), req->range(), Bucket::kNone));
    for (const ModelUsage& m : UsageByModel(groups)) {
      pb::ModelUsage* out = resp->add_models();
      out->set_provider(m.provider);
      out->set_model(m.model);
      ToProto(m.totals, out->mutable_totals());
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MeteringService::GetUsageByProvider(
    grpc::CallbackServerContext* ctx, const pb::GetUsageByProviderRequest* req,
    pb::GetUsageByProviderResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "GetUsageByProvider", [this, req, resp]() -> absl::Status {
    LLMGW_ASSIGN_OR_RETURN(auto groups,
                           Groups(req->organization_id(), req->range(), Bucket::kNone));
    for (const ProviderUsage& p : UsageByProvider(groups)) {
      pb::ProviderUsage* out = resp->add_providers();
      out->set_provider(p.provider);
      ToProto(p.totals, out->mutable_totals());
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MeteringService::GetTimeseries(grpc::CallbackServerContext* ctx,
                                                         const pb::GetTimeseriesRequest* req,
                                                         pb::GetTimeseriesResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "GetTimeseries", [this, req, resp]() -> absl::Status {
    LLMGW_ASSIGN_OR_RETURN(Bucket bucket, BucketFromProto(req->bucket()));
    LLMGW_ASSIGN_OR_RETURN(auto groups, Groups(req->organization_id(), req->range(), bucket));
    std::vector<TimeseriesPoint> points =
        req->by_provider() ? TimeseriesByProvider(groups, bucket) : Timeseries(groups, bucket);
    for (const TimeseriesPoint& p : points) {
      pb::TimeseriesPoint* out = resp->add_points();
      out->set_bucket_start_unix_ms(p.bucket_start_unix_ms);
      out->set_provider(p.provider);
      ToProto(p.totals, out->mutable_totals());
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MeteringService::ListUsage(grpc::CallbackServerContext* ctx,
                                                     const pb::ListUsageRequest* req,
                                                     pb::ListUsageResponse* resp) {
  return grpcutil::ServeUnary(ctx, env_, "ListUsage", [this, req, resp]() -> absl::Status {
    LLMGW_ASSIGN_OR_RETURN(
        ListQuery q, MakeListQuery(req->organization_id(), req->limit(), req->before_unix_ms()));
    q.filter.mode = static_cast<Mode>(req->mode());
    q.filter.provider = req->provider();
    q.filter.model = req->model();
    q.filter.credential_id = req->credential_id();
    q.filter.status_min = req->status_min();
    q.filter.status_max = req->status_max();
    q.filter.streaming = req->streaming() == 1 ? 1 : req->streaming() == 2 ? 0 : -1;
    LLMGW_ASSIGN_OR_RETURN(auto events, store_.List(q));
    for (const UsageEvent& e : events) *resp->add_items() = ToProto(e);
    return absl::OkStatus();
  });
}

}  // namespace llmgw::metering

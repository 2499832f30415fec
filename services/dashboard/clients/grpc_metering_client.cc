#include "services/dashboard/clients/grpc_metering_client.h"

namespace llmgw::dashboard {
namespace {

namespace pb = ::llmgw::metering::v1;
using Stub = pb::MeteringService::Stub;

Totals FromProto(const pb::Totals& t) {
  return Totals{t.requests(),  t.input_tokens(),       t.output_tokens(),
                t.cost_nano(), t.provider_cost_nano(), t.margin_nano(),
                t.errors()};
}

void SetRange(pb::TimeRange* out, TimeRange range) {
  out->set_from_unix_ms(range.from_unix_ms);
  out->set_to_unix_ms(range.to_unix_ms);
}

Mode FromProto(pb::Mode m) {
  switch (m) {
    case pb::MODE_PASSTHROUGH:
      return Mode::kPassthrough;
    case pb::MODE_RESELLER:
      return Mode::kReseller;
    default:
      return Mode::kUnspecified;
  }
}

}  // namespace

GrpcMeteringClient::GrpcMeteringClient(std::shared_ptr<grpc::Channel> channel,
                                       std::string internal_token,
                                       std::chrono::milliseconds timeout)
    : stub_(pb::MeteringService::NewStub(channel)),
      opts_{std::move(internal_token), timeout, "metering"} {}

absl::StatusOr<Summary> GrpcMeteringClient::GetSummary(const std::string& org_id, TimeRange range) {
  pb::GetSummaryRequest req;
  req.set_organization_id(org_id);
  SetRange(req.mutable_range(), range);
  pb::GetSummaryResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::GetSummary, opts_, req, &resp);
  if (!s.ok()) return s;
  return Summary{FromProto(resp.total()), FromProto(resp.passthrough()),
                 FromProto(resp.reseller())};
}

absl::StatusOr<std::vector<ModelUsage>> GrpcMeteringClient::GetUsageByModel(
    const std::string& org_id, TimeRange range) {
  pb::GetUsageByModelRequest req;
  req.set_organization_id(org_id);
  SetRange(req.mutable_range(), range);
  pb::GetUsageByModelResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::GetUsageByModel, opts_, req, &resp);
  if (!s.ok()) return s;
  std::vector<ModelUsage> out;
  for (const pb::ModelUsage& m : resp.models()) {
    out.push_back(ModelUsage{m.provider(), m.model(), FromProto(m.totals())});
  }
  return out;
}

absl::StatusOr<std::vector<ProviderUsage>> GrpcMeteringClient::GetUsageByProvider(
    const std::string& org_id, TimeRange range) {
  pb::GetUsageByProviderRequest req;
  req.set_organization_id(org_id);
  SetRange(req.mutable_range(), range);
  pb::GetUsageByProviderResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::GetUsageByProvider, opts_, req, &resp);
  if (!s.ok()) return s;
  std::vector<ProviderUsage> out;
  for (const pb::ProviderUsage& p : resp.providers()) {
    out.push_back(ProviderUsage{p.provider(), FromProto(p.totals())});
  }
  return out;
}

absl::StatusOr<std::vector<TimeseriesPoint>> GrpcMeteringClient::GetTimeseries(
    const std::string& org_id, TimeRange range, Bucket bucket, bool by_provider) {
  pb::GetTimeseriesRequest req;
  req.set_by_provider(by_provider);
  req.set_organization_id(org_id);
  SetRange(req.mutable_range(), range);
  req.set_bucket(bucket == Bucket::kHour ? pb::BUCKET_HOUR : pb::BUCKET_DAY);
  pb::GetTimeseriesResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::GetTimeseries, opts_, req, &resp);
  if (!s.ok()) return s;
  std::vector<TimeseriesPoint> out;
  for (const pb::TimeseriesPoint& p : resp.points()) {
    out.push_back(TimeseriesPoint{p.bucket_start_unix_ms(), FromProto(p.totals()), p.provider()});
  }
  return out;
}

absl::StatusOr<std::vector<UsageRow>> GrpcMeteringClient::ListUsage(const std::string& org_id,
                                                                    const UsageQuery& query) {
  pb::ListUsageRequest req;
  req.set_organization_id(org_id);
  req.set_limit(query.limit);
  req.set_before_unix_ms(query.before_unix_ms);
  req.set_mode(query.mode == Mode::kPassthrough ? pb::MODE_PASSTHROUGH
               : query.mode == Mode::kReseller  ? pb::MODE_RESELLER
                                                : 0);
  req.set_provider(query.provider);
  req.set_model(query.model);
  req.set_credential_id(query.credential_id);
  req.set_status_min(query.status_min);
  req.set_status_max(query.status_max);
  req.set_streaming(query.streaming == 1 ? 1 : query.streaming == 0 ? 2 : 0);
  pb::ListUsageResponse resp;
  absl::Status s = internal::Call(stub_.get(), &Stub::ListUsage, opts_, req, &resp);
  if (!s.ok()) return s;
  std::vector<UsageRow> out;
  out.reserve(resp.items_size());
  for (const pb::UsageEvent& e : resp.items()) {
    UsageRow r;
    r.request_id = e.request_id();
    r.mode = FromProto(e.mode());
    r.provider = e.provider();
    r.model = e.model();
    r.input_tokens = e.input_tokens();
    r.output_tokens = e.output_tokens();
    r.cost_nano = e.cost_nano();
    r.provider_cost_nano = e.provider_cost_nano();
    r.margin_nano = e.margin_nano();
    r.latency_ms = e.latency_ms();
    r.status_code = e.status_code();
    r.is_streaming = e.is_streaming();
    r.requested_at_unix_ms = e.requested_at_unix_ms();
    r.cached_input_tokens = e.cached_input_tokens();
    r.cache_write_tokens = e.cache_write_tokens();
    r.reasoning_tokens = e.reasoning_tokens();
    r.unpriced = e.unpriced();
    r.price_id = e.price_id();
    r.credential_id = e.credential_id();
    r.endpoint = e.endpoint();
    r.ttft_ms = e.ttft_ms();
    r.incomplete = e.incomplete();
    r.cache_write_1h_tokens = e.cache_write_1h_tokens();
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace llmgw::dashboard

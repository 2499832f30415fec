#pragma once
// llmgw.metering.v1.MeteringService over gRPC: translates proto <-> domain, validates with the
// domain rules, asks the UsageStore, folds the grouped totals with the domain. Every RPC runs via
// ServeUnary (internal token checked, work on the worker pool).
//
//   PgUsageStore store(pool);
//   boost::asio::thread_pool workers(8);
//   MeteringService service(store, {token, &workers, &grpc_metrics}, &metering_metrics);
//   auto server = grpcutil::GrpcServer::Start("127.0.0.1:0", {&service});

#include "libs/grpc/server.h"
#include "llmgw/metering/v1/metering.grpc.pb.h"
#include "services/metering/api/metering_metrics.h"
#include "services/metering/storage/usage_store.h"

namespace llmgw::metering {

namespace pb = ::llmgw::metering::v1;

// Conversions, exposed for tests.
UsageEvent FromProto(const pb::UsageEvent& e);
pb::UsageEvent ToProto(const UsageEvent& e);

class MeteringService final : public pb::MeteringService::CallbackService {
 public:
  // `store`, env.pool and `metrics` (optional) must outlive the service.
  MeteringService(UsageStore& store, grpcutil::HandlerEnv env, MeteringMetrics* metrics = nullptr)
      : store_(store), env_(std::move(env)), metrics_(metrics) {}

  // pb::MeteringService::CallbackService
  grpc::ServerUnaryReactor* IngestUsage(grpc::CallbackServerContext* ctx,
                                        const pb::IngestUsageRequest* req,
                                        pb::IngestUsageResponse* resp) override;
  grpc::ServerUnaryReactor* GetSummary(grpc::CallbackServerContext* ctx,
                                       const pb::GetSummaryRequest* req,
                                       pb::GetSummaryResponse* resp) override;
  grpc::ServerUnaryReactor* GetUsageByModel(grpc::CallbackServerContext* ctx,
                                            const pb::GetUsageByModelRequest* req,
                                            pb::GetUsageByModelResponse* resp) override;
  grpc::ServerUnaryReactor* GetUsageByProvider(grpc::CallbackServerContext* ctx,
                                               const pb::GetUsageByProviderRequest* req,
                                               pb::GetUsageByProviderResponse* resp) override;
  grpc::ServerUnaryReactor* GetTimeseries(grpc::CallbackServerContext* ctx,
                                          const pb::GetTimeseriesRequest* req,
                                          pb::GetTimeseriesResponse* resp) override;
  grpc::ServerUnaryReactor* ListUsage(grpc::CallbackServerContext* ctx,
                                      const pb::ListUsageRequest* req,
                                      pb::ListUsageResponse* resp) override;

 private:
  // Validates the query and returns the org's groups in the range.
  absl::StatusOr<std::vector<UsageGroup>> Groups(const std::string& org, const pb::TimeRange& r,
                                                 Bucket bucket);

  UsageStore& store_;
  grpcutil::HandlerEnv env_;
  MeteringMetrics* metrics_;
};

}  // namespace llmgw::metering

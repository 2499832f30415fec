#pragma once
// llmgw.metering.v1.ProviderSyncService over gRPC: provider connections (the admin key checked
// with one call, sealed, never returned), sync now, CSV import and the reconciliation. Transport
// only: validation and rules are the domain's, state the stores'. Every RPC runs via ServeUnary.
//
//   ProviderSyncService sync_service({provider_store, usage_store, syncer, &scheduler,
//                                     keyring_or_null, SystemClock::Get()},
//                                    {token, &workers, &grpc_metrics});

#include "libs/common/clock.h"
#include "libs/common/secret_box.h"
#include "libs/grpc/server.h"
#include "llmgw/metering/v1/metering.grpc.pb.h"
#include "services/metering/domain/provider_syncer.h"
#include "services/metering/domain/sync_scheduler.h"
#include "services/metering/storage/provider_store.h"
#include "services/metering/storage/usage_store.h"

namespace llmgw::metering {

// At most this many days in one reconciliation.
inline constexpr int kMaxReconciliationDays = 366;

// The organization's reconciliation over `window` from what the stores hold (the
// GetReconciliation RPC and the drift alert rule).
absl::StatusOr<std::vector<ReconciliationRow>> StoredReconciliation(ProviderStore& providers,
                                                                    UsageStore& usage,
                                                                    const std::string& org,
                                                                    DayWindow window);

class ProviderSyncService final
    : public ::llmgw::metering::v1::ProviderSyncService::CallbackService {
 public:
  struct Deps {
    ProviderStore& providers;
    UsageStore& usage;
    ProviderSyncer& syncer;
    SyncScheduler* scheduler = nullptr;  // null in tests: nothing runs in the background
    const crypto::SecretKeyring* keyring = nullptr;  // null: no LLMGW_SECRET_KEY
    const Clock& clock;
  };
  ProviderSyncService(Deps deps, grpcutil::HandlerEnv env)
      : deps_(std::move(deps)), env_(std::move(env)) {}

  grpc::ServerUnaryReactor* CreateProviderConnection(
      grpc::CallbackServerContext* ctx, const v1::CreateProviderConnectionRequest* req,
      v1::CreateProviderConnectionResponse* resp) override;
  grpc::ServerUnaryReactor* ListProviderConnections(
      grpc::CallbackServerContext* ctx, const v1::ListProviderConnectionsRequest* req,
      v1::ListProviderConnectionsResponse* resp) override;
  grpc::ServerUnaryReactor* DeleteProviderConnection(
      grpc::CallbackServerContext* ctx, const v1::DeleteProviderConnectionRequest* req,
      v1::DeleteProviderConnectionResponse* resp) override;
  grpc::ServerUnaryReactor* SyncProviderConnection(
      grpc::CallbackServerContext* ctx, const v1::SyncProviderConnectionRequest* req,
      v1::SyncProviderConnectionResponse* resp) override;
  grpc::ServerUnaryReactor* ImportProviderUsage(grpc::CallbackServerContext* ctx,
                                                const v1::ImportProviderUsageRequest* req,
                                                v1::ImportProviderUsageResponse* resp) override;
  grpc::ServerUnaryReactor* GetReconciliation(grpc::CallbackServerContext* ctx,
                                              const v1::GetReconciliationRequest* req,
                                              v1::GetReconciliationResponse* resp) override;

 private:
  absl::StatusOr<ProviderConnection> Create(const std::string& org, const std::string& provider,
                                            const std::string& admin_key);

  Deps deps_;
  grpcutil::HandlerEnv env_;
};

}  // namespace llmgw::metering

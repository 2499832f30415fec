#include "libs/grpc/internal_token.h"

#include "libs/common/crypto.h"

namespace llmgw::grpcutil {

grpc::Status CheckInternalToken(const grpc::ServerContextBase& ctx, std::string_view expected) {
  const auto& md = ctx.client_metadata();
  auto it = md.find(kInternalTokenHeader);
  if (it == md.end() || expected.empty() ||
      !crypto::ConstantTimeEquals(std::string_view(it->second.data(), it->second.size()),
                                  expected)) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "missing or invalid internal token");
  }
  return grpc::Status::OK;
}

void PrepareClientContext(grpc::ClientContext& ctx, const std::string& internal_token,
                          std::chrono::milliseconds timeout) {
  ctx.AddMetadata(kInternalTokenHeader, internal_token);
  ctx.set_deadline(std::chrono::system_clock::now() + timeout);
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target,
                                           std::chrono::milliseconds keepalive_ping) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, static_cast<int>(keepalive_ping.count()));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // Keep pinging an idle connection (gRPC stops after 2 pings without data), so a peer that went
  // away during a quiet spell is noticed before the next call needs it.
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // Reconnect quickly after a dependency restarts (default backoff grows to 120 s).
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2'000);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

}  // namespace llmgw::grpcutil

#pragma once
// The shared secret every caller of accounts/metering/billing presents in gRPC metadata.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <string>
#include <string_view>

namespace llmgw::grpcutil {

inline constexpr char kInternalTokenHeader[] = "x-llmgw-internal-token";

// UNAUTHENTICATED unless the call's metadata carries `expected` (constant-time comparison).
grpc::Status CheckInternalToken(const grpc::ServerContextBase& ctx, std::string_view expected);

// Prepares a client call: the internal token and a deadline `timeout` from now.
void PrepareClientContext(grpc::ClientContext& ctx, const std::string& internal_token,
                          std::chrono::milliseconds timeout);

// An insecure channel to `target` ("host:port") with keep-alive pings, for the internal network.
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target);

}  // namespace llmgw::grpcutil

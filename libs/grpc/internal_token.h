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

// Keepalive between our services. Clients ping a connection every kKeepalivePing, calls or none,
// so a dead peer is noticed; servers accept pings kMinClientPing apart, calls or none. A server
// stricter than its clients (gRPC's default: 5 minutes, and only during calls) answers their
// pings with GOAWAY "too_many_pings", and the next call on that channel fails.
inline constexpr std::chrono::milliseconds kKeepalivePing{30'000};
inline constexpr std::chrono::milliseconds kMinClientPing{10'000};
static_assert(kKeepalivePing >= kMinClientPing);

// An insecure channel to `target` ("host:port") for the internal network, with that keepalive
// (`keepalive_ping` for tests) and quick reconnects.
std::shared_ptr<grpc::Channel> MakeChannel(
    const std::string& target, std::chrono::milliseconds keepalive_ping = kKeepalivePing);

}  // namespace llmgw::grpcutil

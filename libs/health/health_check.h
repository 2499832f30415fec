#pragma once
// `llmgw-<service> --health-check`: the binary checks its own running instance at its configured
// address and exits 0 (ready) or 1, so a container healthcheck needs no curl or grpc_health_probe.
// gRPC services answer grpc.health.v1 Check (service ""); HTTP services GET /readyz.

#include <chrono>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace llmgw::health {

constexpr std::chrono::milliseconds kDefaultTimeout{3000};

// A listen address ("0.0.0.0:8080", "[::]:8080", ":8080", "10.0.0.5:8080") as an address to
// dial from the same host: a wildcard host becomes loopback.
std::string DialableAddress(std::string_view listen_address);

// OK when grpc.health.v1.Health/Check answers SERVING within `timeout`.
absl::Status CheckGrpc(const std::string& address, std::chrono::milliseconds timeout);
// OK when `GET path` answers 200 within `timeout` (plain HTTP/1.1, no dependency).
absl::Status CheckHttp(const std::string& address, std::string_view path,
                       std::chrono::milliseconds timeout);

// For main(): prints "llmgw-<service>: healthy at <address>" to stdout, or the reason to stderr;
// returns the process exit code (0 or 1).
int Report(std::string_view service, const std::string& address, const absl::Status& status);

// The whole command for a gRPC service whose listen address is in env `address_env`.
int RunGrpcHealthCheck(std::string_view service, std::string_view address_env,
                       std::string_view default_address);
// The whole command for an HTTP service: GET /readyz.
int RunHttpHealthCheck(std::string_view service, std::string_view address_env,
                       std::string_view default_address);

}  // namespace llmgw::health

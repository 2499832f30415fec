#pragma once
// One unary call with the internal token and a deadline, translated to absl::Status.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "libs/grpc/internal_token.h"
#include "libs/grpc/status.h"

namespace llmgw::dashboard::internal {

struct CallOptions {
  std::string internal_token;
  std::chrono::milliseconds timeout{5000};
  const char* service = "";  // for error messages
};

// `user_unauthenticated`: whether UNAUTHENTICATED can be the user's fault for this method (bad
// password, expired session). Otherwise it means our internal token was refused, which is an
// operator's problem: INTERNAL, never a 401 for the browser.
template <typename Stub, typename Req, typename Resp>
absl::Status Call(Stub* stub, grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                  const CallOptions& opts, const Req& req, Resp* resp,
                  bool user_unauthenticated = false) {
  grpc::ClientContext ctx;
  grpcutil::PrepareClientContext(ctx, opts.internal_token, opts.timeout);
  grpc::Status s = (stub->*method)(&ctx, req, resp);
  if (s.error_code() == grpc::StatusCode::UNAUTHENTICATED &&
      (!user_unauthenticated || s.error_message() == "missing or invalid internal token")) {
    return absl::InternalError(
        absl::StrCat(opts.service, " refused the dashboard's internal token"));
  }
  return grpcutil::FromGrpc(s);
}

}  // namespace llmgw::dashboard::internal

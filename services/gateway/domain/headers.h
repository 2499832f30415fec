#pragma once
// Which headers cross the gateway, and request framing checks. Pure.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace llmgw::gateway {

// name, value; in order. Views into a message's fields (no copies on the request path): valid
// while that message lives.
using HeaderList = std::vector<std::pair<std::string_view, std::string_view>>;

// Hop-by-hop (Connection, Keep-Alive, Proxy-*, TE, Trailer, Transfer-Encoding, Upgrade), every
// header named in a Connection header, Host, Content-Length (recomputed), X-Monitor-Token and any
// other x-llmgw-* header: these never reach the upstream. Everything else passes untouched,
// Authorization, x-api-key and anthropic-* included. Names compare case-insensitively.
HeaderList FilterRequestHeaders(const HeaderList& in);

// The same rule for the response back to the client (hop-by-hop and Connection-named dropped,
// Content-Length and Transfer-Encoding recomputed by the server). x-llmgw-* and X-Monitor-Token
// are dropped here too: the gateway's own header namespace is never set by an upstream.
HeaderList FilterResponseHeaders(const HeaderList& in);

// InvalidArgument when the request has both Transfer-Encoding and Content-Length, more than one
// Content-Length (even with equal values), or a Content-Length that is not a decimal number.
absl::Status CheckRequestFraming(const HeaderList& in);

}  // namespace llmgw::gateway

#pragma once
// Which headers cross the gateway. Pure.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "libs/httpd/framing.h"

namespace llmgw::gateway {

// The shared server's header list (libs/httpd/framing.h).
using httpd::HeaderList;

// Hop-by-hop (Connection, Keep-Alive, Proxy-*, TE, Trailer, Transfer-Encoding, Upgrade), every
// header named in a Connection header, Host, Content-Length (recomputed), X-Monitor-Token and any
// other x-llmgw-* header: these never reach the upstream. Everything else passes untouched,
// Authorization, x-api-key and anthropic-* included. Names compare case-insensitively.
HeaderList FilterRequestHeaders(const HeaderList& in);

// The same rule for the response back to the client (hop-by-hop and Connection-named dropped,
// Content-Length and Transfer-Encoding recomputed by the server). x-llmgw-* and X-Monitor-Token
// are dropped here too: the gateway's own header namespace is never set by an upstream.
HeaderList FilterResponseHeaders(const HeaderList& in);

}  // namespace llmgw::gateway

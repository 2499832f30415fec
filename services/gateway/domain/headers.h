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
// Content-Length (even with equal values), a Content-Length that is not a decimal number, or a
// Transfer-Encoding (all its fields together) other than exactly one `chunked`: `chunked,
// identity`, `xchunked`, `gzip, chunked`, `chunked, chunked` or a coding with parameters would
// otherwise be read as "no body" or as another framing than the upstream's, and the body parsed as
// a second request (smuggling; RFC 9112 §6.1 requires 400 and closing the connection).
absl::Status CheckRequestFraming(const HeaderList& in);

// Whether a request's header section (the bytes up to its empty line) folds a field value over
// lines (obs-fold: CRLF followed by a space or tab). RFC 9112 §5.2 lets a server replace it with a
// space, which the HTTP parser does; the gateway refuses it instead, as no client needs it and a
// proxy upstream could read the fold differently.
bool HasObsFold(std::string_view header_section);

}  // namespace llmgw::gateway

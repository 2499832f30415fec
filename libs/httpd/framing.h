#pragma once
// Request framing checks of the shared HTTP server (libs/httpd/server.h). Pure.

#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace llmgw::httpd {

// name, value; in order. Views into a message's fields (no copies on the request path): valid
// while that message lives.
using HeaderList = std::vector<std::pair<std::string_view, std::string_view>>;

// InvalidArgument when the request has both Transfer-Encoding and Content-Length, more than one
// Content-Length (even with equal values), a Content-Length that is not a decimal number, or a
// Transfer-Encoding (all its fields together) other than exactly one `chunked`: `chunked,
// identity`, `xchunked`, `gzip, chunked`, `chunked, chunked` or a coding with parameters would
// otherwise be read as "no body" or as another framing than a proxy's upstream's, and the body
// parsed as a second request (smuggling; RFC 9112 §6.1 requires 400 and closing the connection).
absl::Status CheckRequestFraming(const HeaderList& in);

// Whether a request's header section (the bytes up to its empty line) folds a field value over
// lines (obs-fold: CRLF followed by a space or tab). RFC 9112 §5.2 lets a server replace it with a
// space, which the HTTP parser does; the server refuses it instead, as no client needs it and a
// proxy's upstream could read the fold differently.
bool HasObsFold(std::string_view header_section);

}  // namespace llmgw::httpd

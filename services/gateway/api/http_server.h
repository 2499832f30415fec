#pragma once
// The gateway serves on the shared event-driven HTTP server (libs/httpd/server.h); these are its
// names in the gateway.

#include "libs/httpd/server.h"

namespace llmgw::gateway {

using httpd::HttpHandler;
using httpd::HttpRequest;
using httpd::HttpResponse;
using httpd::HttpServer;
using httpd::HttpServerOptions;
using httpd::HttpStreamHeader;
using httpd::RejectReason;
using httpd::ResponseWriter;

// The shared server's options as the gateway runs it: the CORS rule of ResponseWriter on (the
// browser playground calls the gateway from the dashboard's origin), I/O threads named gw-io-<n>.
inline HttpServerOptions GatewayServerOptions() {
  HttpServerOptions options;
  options.cors = true;
  options.thread_name = "gw-io";
  return options;
}

}  // namespace llmgw::gateway

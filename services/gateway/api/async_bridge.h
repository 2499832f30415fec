#pragma once
// The gateway's name for the shared server's callback-to-coroutine bridge
// (libs/httpd/async_bridge.h).

#include "libs/httpd/async_bridge.h"

namespace llmgw::gateway {

using httpd::AwaitCallback;

}  // namespace llmgw::gateway

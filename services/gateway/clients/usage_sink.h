#pragma once
// Where the gateway hands each request's usage event. Emit never blocks the caller (it runs on
// the gateway's I/O threads) and never drops an event silently.

#include "llmgw/metering/v1/metering.pb.h"

namespace llmgw::gateway {

class UsageSink {
 public:
  virtual ~UsageSink() = default;
  virtual void Emit(metering::v1::UsageEvent event) = 0;
};

}  // namespace llmgw::gateway

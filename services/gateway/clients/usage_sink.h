#pragma once
// Where the gateway hands each request's usage. Emit never blocks the caller (it runs on the
// gateway's I/O threads) and never drops an event silently.

#include "llmgw/metering/v1/metering.pb.h"
#include "services/gateway/domain/usage_record.h"

namespace llmgw::gateway {

// The record as metering's event: a fresh time-ordered event id, every string a client or
// provider controls cleaned (SanitizeLabel: one bad label would make metering refuse the whole
// batch, other organizations' included). The one place a record becomes the proto.
metering::v1::UsageEvent ToUsageEvent(const UsageRecord& r);

class UsageSink {
 public:
  virtual ~UsageSink() = default;
  virtual void Emit(metering::v1::UsageEvent event) = 0;
  void Record(const UsageRecord& r) { Emit(ToUsageEvent(r)); }
};

}  // namespace llmgw::gateway

#include "services/gateway/clients/usage_sink.h"

#include <cmath>

#include "libs/common/crypto.h"
#include "services/gateway/domain/usage.h"

namespace llmgw::gateway {

metering::v1::UsageEvent ToUsageEvent(const UsageRecord& r) {
  metering::v1::UsageEvent e;
  e.set_event_id(crypto::TimeOrderedUuid(r.requested_at_unix_ms));  // metering's index grows
  e.set_organization_id(r.organization_id);
  e.set_credential_id(r.credential_id);
  e.set_mode(r.mode == Mode::kPassthrough ? metering::v1::MODE_PASSTHROUGH
                                          : metering::v1::MODE_RESELLER);
  e.set_provider(std::string(ProviderName(r.provider)));
  e.set_model(SanitizeLabel(r.model));
  e.set_endpoint(SanitizeLabel(r.endpoint));
  e.set_input_tokens(r.tokens.input);
  e.set_cached_input_tokens(r.tokens.cached_input);
  e.set_cache_write_tokens(r.tokens.cache_write);
  e.set_cache_write_1h_tokens(r.tokens.cache_write_1h);
  e.set_output_tokens(r.tokens.output);
  e.set_reasoning_tokens(r.tokens.reasoning);
  e.set_cost_nano(r.cost);
  e.set_provider_cost_nano(r.provider_cost);
  e.set_margin_nano(r.margin);
  e.set_unpriced(r.unpriced);
  e.set_price_id(r.price_id);
  e.set_is_streaming(r.streaming);
  e.set_status_code(r.status_code);
  e.set_latency_ms(static_cast<int64_t>(r.latency_seconds * 1000));  // whole ms, truncated
  e.set_ttft_ms(r.ttft_ms);
  e.set_incomplete(r.incomplete);
  e.set_requested_at_unix_ms(r.requested_at_unix_ms);
  e.set_request_id(SanitizeLabel(r.request_id));
  return e;
}

}  // namespace llmgw::gateway

#pragma once
// One request's usage as the gateway records it: built once per request that reached a provider,
// by whichever surface served it; the shipper turns it into metering's event and the metrics are
// recorded from it at one point. Plain data.

#include <cstdint>
#include <string>
#include <string_view>

#include "libs/common/money.h"
#include "services/gateway/domain/provider.h"

namespace llmgw::gateway {

enum class Mode { kPassthrough, kReseller };
std::string_view ModeName(Mode m);

struct UsageRecord {
  Mode mode = Mode::kPassthrough;
  int64_t requested_at_unix_ms = 0;
  std::string request_id;  // the id the client got (x-request-id / request-id)
  std::string organization_id;
  std::string credential_id;
  Provider provider = Provider::kOpenAI;
  std::string model;     // as the provider reported it, else as asked
  std::string endpoint;  // "/chat/completions", "/v1/messages", …
  money::TokenCounts tokens;
  // What the request cost the customer: the estimated provider cost (pass-through) or the
  // charged total (reseller: provider_cost + margin).
  money::Nano cost = 0;
  money::Nano provider_cost = 0;
  money::Nano margin = 0;
  bool unpriced = false;  // no price for the model: cost 0 is not a real price
  int64_t price_id = 0;   // billing's price row that priced it
  bool streaming = false;
  int status_code = 0;
  double latency_seconds = 0;
  int64_t ttft_ms = 0;
  bool incomplete = false;  // the client left or the stream broke: usage may be partial
};

}  // namespace llmgw::gateway

#pragma once
// Usage events as metering stores them, the totals it reports, and the rules an event must meet
// before it is stored. Pure C++.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace llmgw::metering {

// Numbers equal the proto enum llmgw.metering.v1.Mode.
enum class Mode : int { kUnspecified = 0, kPassthrough = 1, kReseller = 2 };

// One proxied request (llmgw.metering.v1.UsageEvent). Money in nano-USD.
struct UsageEvent {
  std::string event_id;  // the idempotency key
  std::string organization_id;
  std::string credential_id;
  Mode mode = Mode::kUnspecified;
  std::string provider;
  std::string model;
  std::string endpoint;
  int64_t input_tokens = 0;
  int64_t cached_input_tokens = 0;
  int64_t cache_write_tokens = 0;
  int64_t output_tokens = 0;
  int64_t reasoning_tokens = 0;
  int64_t cost_nano = 0;
  int64_t provider_cost_nano = 0;
  int64_t margin_nano = 0;
  bool is_streaming = false;
  int32_t status_code = 0;
  int64_t latency_ms = 0;
  int64_t ttft_ms = 0;
  bool incomplete = false;
  bool unpriced = false;
  int64_t requested_at_unix_ms = 0;
  std::string request_id;
  int64_t price_id = 0;               // billing's price row that priced it; 0 when unpriced
  int64_t cache_write_1h_tokens = 0;  // part of cache_write_tokens

  bool operator==(const UsageEvent&) const = default;
};

// Sums over a set of events; requests counts the events.
struct Totals {
  int64_t requests = 0;
  int64_t input_tokens = 0;
  int64_t cached_input_tokens = 0;
  int64_t cache_write_tokens = 0;
  int64_t output_tokens = 0;
  int64_t reasoning_tokens = 0;
  int64_t cost_nano = 0;
  int64_t provider_cost_nano = 0;
  int64_t margin_nano = 0;
  // Requests answered with an HTTP status of 400 or more (the gateway's or the provider's).
  int64_t errors = 0;

  void Add(const UsageEvent& e);
  void Add(const Totals& t);
  bool operator==(const Totals&) const = default;
};

// Bounds that keep every sum of a year of events far from int64 overflow and every timestamp
// representable by PostgreSQL.
inline constexpr int64_t kMaxCount = 1'000'000'000'000'000;  // 10^15 per event and field
inline constexpr int64_t kMaxUnixMs = 253'402'300'799'999;   // 9999-12-31T23:59:59.999Z
inline constexpr int kMaxBatchEvents = 10'000;
inline constexpr size_t kMaxStringBytes = 256;

// OK, or InvalidArgument naming the first bad event's index and field, e.g.
// "events[3].organization_id is required". One bad event rejects the batch: the caller fixes
// the producer rather than losing events silently.
absl::Status ValidateEvents(const std::vector<UsageEvent>& events);

}  // namespace llmgw::metering

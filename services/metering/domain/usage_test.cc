#include "services/metering/domain/usage.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/testing/status_matchers.h"

namespace llmgw::metering {
namespace {

using test::IsOk;
using test::StatusIs;
using ::testing::HasSubstr;

UsageEvent Valid(std::string id) {
  UsageEvent e;
  e.event_id = std::move(id);
  e.organization_id = "org-1";
  e.mode = Mode::kReseller;
  e.provider = "openai";
  e.model = "gpt-4o";
  e.input_tokens = 100;
  e.output_tokens = 20;
  e.cost_nano = 450;
  e.status_code = 200;
  e.requested_at_unix_ms = 1'700'000'000'000;
  return e;
}

TEST(ValidateEvents, AcceptsValidAndEmptyBatches) {
  EXPECT_THAT(ValidateEvents({}), IsOk());
  EXPECT_THAT(ValidateEvents({Valid("a"), Valid("b")}), IsOk());
}

TEST(ValidateEvents, NamesIndexAndFieldOfTheFirstBadEvent) {
  std::vector<UsageEvent> batch = {Valid("a"), Valid(""), Valid("c")};
  EXPECT_THAT(ValidateEvents(batch),
              StatusIs(absl::StatusCode::kInvalidArgument, "events[1].event_id is required"));
  batch[1].event_id = "b";
  batch[2].organization_id = "";
  EXPECT_THAT(ValidateEvents(batch), StatusIs(absl::StatusCode::kInvalidArgument,
                                              "events[2].organization_id is required"));
  batch[2].organization_id = "org";
  batch[0].cached_input_tokens = -1;
  EXPECT_THAT(ValidateEvents(batch),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "events[0].cached_input_tokens must not be negative"));
}

TEST(ValidateEvents, RejectsEveryNegativeOrHugeNumber) {
  int64_t UsageEvent::*fields[] = {
      &UsageEvent::input_tokens,       &UsageEvent::cached_input_tokens,
      &UsageEvent::cache_write_tokens, &UsageEvent::output_tokens,
      &UsageEvent::reasoning_tokens,   &UsageEvent::cost_nano,
      &UsageEvent::provider_cost_nano, &UsageEvent::margin_nano,
      &UsageEvent::latency_ms,         &UsageEvent::ttft_ms};
  for (auto field : fields) {
    UsageEvent e = Valid("x");
    e.*field = -5;
    EXPECT_THAT(ValidateEvents({e}),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must not be negative")));
    e.*field = kMaxCount + 1;
    EXPECT_THAT(ValidateEvents({e}),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must be at most 10^15")));
    e.*field = kMaxCount;
    EXPECT_THAT(ValidateEvents({e}), IsOk());
  }
}

TEST(ValidateEvents, RejectsBadTimesModesStringsAndHugeBatches) {
  UsageEvent e = Valid("x");
  e.requested_at_unix_ms = 0;
  EXPECT_THAT(ValidateEvents({e}), StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr("events[0].requested_at_unix_ms")));
  e.requested_at_unix_ms = kMaxUnixMs + 1;
  EXPECT_THAT(ValidateEvents({e}), StatusIs(absl::StatusCode::kInvalidArgument));
  e = Valid("x");
  e.mode = static_cast<Mode>(7);
  EXPECT_THAT(ValidateEvents({e}),
              StatusIs(absl::StatusCode::kInvalidArgument, "events[0].mode has unknown value 7"));
  e = Valid("x");
  e.model = std::string("gpt\0x", 5);
  EXPECT_THAT(ValidateEvents({e}),
              StatusIs(absl::StatusCode::kInvalidArgument, "events[0].model contains a NUL byte"));
  e = Valid("x");
  e.endpoint = std::string(kMaxStringBytes + 1, 'a');
  EXPECT_THAT(ValidateEvents({e}), StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr("events[0].endpoint is longer")));
  e = Valid("x");
  e.status_code = 1000;
  EXPECT_THAT(ValidateEvents({e}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("events[0].status_code")));
  std::vector<UsageEvent> huge(kMaxBatchEvents + 1, Valid("x"));
  EXPECT_THAT(ValidateEvents(huge),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most 10000 events")));
}

TEST(Totals, AddsEventsAndTotals) {
  UsageEvent e = Valid("a");
  e.cached_input_tokens = 7;
  e.cache_write_tokens = 3;
  e.reasoning_tokens = 5;
  e.provider_cost_nano = 375;
  e.margin_nano = 75;
  Totals t;
  t.Add(e);
  t.Add(e);
  EXPECT_EQ(t, (Totals{2, 200, 14, 6, 40, 10, 900, 750, 150}));
  Totals u;
  u.Add(t);
  u.Add(t);
  EXPECT_EQ(u, (Totals{4, 400, 28, 12, 80, 20, 1800, 1500, 300}));
}

}  // namespace
}  // namespace llmgw::metering

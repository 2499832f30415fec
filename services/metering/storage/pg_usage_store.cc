#include "services/metering/storage/pg_usage_store.h"

#include <cctype>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/metering/storage/pg_arrays.h"

namespace llmgw::metering {

bool IsUuidText(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (s[i] == '-')) return false;
    if (!dash && !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

std::string TimestampLiteral(int64_t unix_ms) {
  using namespace std::chrono;
  sys_time<milliseconds> tp{milliseconds(unix_ms)};
  sys_days day = floor<days>(tp);
  year_month_day ymd{day};
  hh_mm_ss<milliseconds> hms{tp - day};
  return absl::StrFormat("%04d-%02u-%02u %02d:%02d:%02d.%03d+00", static_cast<int>(ymd.year()),
                         static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                         hms.hours().count(), hms.minutes().count(), hms.seconds().count(),
                         static_cast<int>(hms.subseconds().count()));
}

namespace {

// A whole batch travels as 25 array parameters of one statement (pg_arrays.h).
std::string TextArray(const std::vector<UsageEvent>& events, std::string UsageEvent::*field) {
  return ArrayLiteral(events,
                      [field](const UsageEvent& e) { return QuotedArrayElement(e.*field); });
}
std::string IntArray(const std::vector<UsageEvent>& events, int64_t UsageEvent::*field) {
  return ArrayLiteral(events, [field](const UsageEvent& e) { return absl::StrCat(e.*field); });
}
std::string BoolArray(const std::vector<UsageEvent>& events, bool UsageEvent::*field) {
  return ArrayLiteral(events, [field](const UsageEvent& e) { return e.*field ? "t" : "f"; });
}

// The money and token columns, in the order of Totals.
constexpr char kSumColumns[] =
    "input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens, "
    "cost_nano, provider_cost_nano, margin_nano";

// Inserts the new events and adds exactly those to the rollups, in one statement (so in one
// transaction). Rows go in key order (bytes, as the key compares) so concurrent overlapping
// batches wait instead of deadlocking.
constexpr char kIngestSql[] = R"sql(
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::smallint[], $5::text[],
                       $6::text[], $7::text[], $8::bigint[], $9::bigint[], $10::bigint[],
                       $11::bigint[], $12::bigint[], $13::bigint[], $14::bigint[], $15::bigint[],
                       $16::boolean[], $17::integer[], $18::bigint[], $19::bigint[],
                       $20::boolean[], $21::boolean[], $22::timestamptz[], $23::text[],
                       $24::bigint[], $25::bigint[])
    AS t(event_id, org_id, credential_id, mode, provider, model, endpoint, input_tokens,
         cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens, cost_nano,
         provider_cost_nano, margin_nano, is_streaming, status_code, latency_ms, ttft_ms,
         incomplete, unpriced, requested_at, request_id, price_id, cache_write_1h_tokens)
), inserted AS (
  INSERT INTO metering.usage_events (event_id, org_id, credential_id, mode, provider, model,
      endpoint, input_tokens, cached_input_tokens, cache_write_tokens, output_tokens,
      reasoning_tokens, cost_nano, provider_cost_nano, margin_nano, is_streaming, status_code,
      latency_ms, ttft_ms, incomplete, unpriced, requested_at, request_id, price_id,
      cache_write_1h_tokens)
  SELECT * FROM input ORDER BY event_id COLLATE "C"
  ON CONFLICT (event_id) DO NOTHING
  RETURNING org_id, requested_at, mode, provider, model, input_tokens, cached_input_tokens,
      cache_write_tokens, output_tokens, reasoning_tokens, cost_nano, provider_cost_nano,
      margin_nano, status_code
), rolled AS (
  INSERT INTO metering.usage_hourly AS h (org_id, hour, mode, provider, model, requests,
      input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens,
      cost_nano, provider_cost_nano, margin_nano, errors)
  SELECT org_id, date_trunc('hour', requested_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', mode,
      provider, model, count(*), sum(input_tokens), sum(cached_input_tokens),
      sum(cache_write_tokens), sum(output_tokens), sum(reasoning_tokens), sum(cost_nano),
      sum(provider_cost_nano), sum(margin_nano), count(*) FILTER (WHERE status_code >= 400)
  FROM inserted
  GROUP BY 1, 2, 3, 4, 5
  ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT (org_id, hour, mode, provider, model) DO UPDATE SET
    requests = h.requests + EXCLUDED.requests,
    input_tokens = h.input_tokens + EXCLUDED.input_tokens,
    cached_input_tokens = h.cached_input_tokens + EXCLUDED.cached_input_tokens,
    cache_write_tokens = h.cache_write_tokens + EXCLUDED.cache_write_tokens,
    output_tokens = h.output_tokens + EXCLUDED.output_tokens,
    reasoning_tokens = h.reasoning_tokens + EXCLUDED.reasoning_tokens,
    cost_nano = h.cost_nano + EXCLUDED.cost_nano,
    provider_cost_nano = h.provider_cost_nano + EXCLUDED.provider_cost_nano,
    margin_nano = h.margin_nano + EXCLUDED.margin_nano,
    errors = h.errors + EXCLUDED.errors
)
SELECT count(*) FROM inserted
)sql";

constexpr char kEventColumns[] =
    "event_id, org_id, credential_id, mode, provider, model, endpoint, input_tokens, "
    "cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens, cost_nano, "
    "provider_cost_nano, margin_nano, is_streaming, status_code, latency_ms, ttft_ms, "
    "incomplete, unpriced, (extract(epoch FROM requested_at) * 1000)::bigint, request_id, "
    "price_id, cache_write_1h_tokens";

UsageEvent EventFromRow(const pqxx::row& r) {
  UsageEvent e;
  e.event_id = r[0].as<std::string>();
  e.organization_id = r[1].as<std::string>();
  e.credential_id = r[2].as<std::string>();
  e.mode = static_cast<Mode>(r[3].as<int>());
  e.provider = r[4].as<std::string>();
  e.model = r[5].as<std::string>();
  e.endpoint = r[6].as<std::string>();
  e.input_tokens = r[7].as<int64_t>();
  e.cached_input_tokens = r[8].as<int64_t>();
  e.cache_write_tokens = r[9].as<int64_t>();
  e.output_tokens = r[10].as<int64_t>();
  e.reasoning_tokens = r[11].as<int64_t>();
  e.cost_nano = r[12].as<int64_t>();
  e.provider_cost_nano = r[13].as<int64_t>();
  e.margin_nano = r[14].as<int64_t>();
  e.is_streaming = r[15].as<bool>();
  e.status_code = r[16].as<int32_t>();
  e.latency_ms = r[17].as<int64_t>();
  e.ttft_ms = r[18].as<int64_t>();
  e.incomplete = r[19].as<bool>();
  e.unpriced = r[20].as<bool>();
  e.requested_at_unix_ms = r[21].as<int64_t>();
  e.request_id = r[22].as<std::string>();
  e.price_id = r[23].as<int64_t>();
  e.cache_write_1h_tokens = r[24].as<int64_t>();
  return e;
}

std::string BucketExpression(Bucket bucket) {
  switch (bucket) {
    case Bucket::kHour:
      return "(extract(epoch FROM hour) * 1000)::bigint";
    case Bucket::kDay:
      return "(extract(epoch FROM date_trunc('day', hour AT TIME ZONE 'UTC')) * 1000)::bigint";
    case Bucket::kNone:
      break;
  }
  return "0::bigint";
}

}  // namespace

absl::StatusOr<IngestResult> PgUsageStore::Ingest(const std::vector<UsageEvent>& events) {
  if (events.empty()) return IngestResult{};
  using E = UsageEvent;
  std::string modes =
      ArrayLiteral(events, [](const E& e) { return absl::StrCat(static_cast<int>(e.mode)); });
  std::string status_codes =
      ArrayLiteral(events, [](const E& e) { return absl::StrCat(e.status_code); });
  std::string times = ArrayLiteral(events, [](const E& e) {
    return QuotedArrayElement(TimestampLiteral(e.requested_at_unix_ms));
  });
  std::string ids = TextArray(events, &E::event_id), orgs = TextArray(events, &E::organization_id),
              creds = TextArray(events, &E::credential_id),
              providers = TextArray(events, &E::provider), models = TextArray(events, &E::model),
              endpoints = TextArray(events, &E::endpoint),
              input = IntArray(events, &E::input_tokens),
              cached = IntArray(events, &E::cached_input_tokens),
              cache_write = IntArray(events, &E::cache_write_tokens),
              output = IntArray(events, &E::output_tokens),
              reasoning = IntArray(events, &E::reasoning_tokens),
              cost = IntArray(events, &E::cost_nano),
              provider_cost = IntArray(events, &E::provider_cost_nano),
              margin = IntArray(events, &E::margin_nano),
              streaming = BoolArray(events, &E::is_streaming),
              latency = IntArray(events, &E::latency_ms), ttft = IntArray(events, &E::ttft_ms),
              incomplete = BoolArray(events, &E::incomplete),
              unpriced = BoolArray(events, &E::unpriced),
              request_ids = TextArray(events, &E::request_id),
              price_ids = IntArray(events, &E::price_id),
              cache_write_1h = IntArray(events, &E::cache_write_1h_tokens);
  auto inserted = pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<int64_t> {
    pqxx::work tx(c);
    pqxx::result r = tx.exec_params(
        kIngestSql, ids, orgs, creds, modes, providers, models, endpoints, input, cached,
        cache_write, output, reasoning, cost, provider_cost, margin, streaming, status_codes,
        latency, ttft, incomplete, unpriced, times, request_ids, price_ids, cache_write_1h);
    tx.commit();
    return r[0][0].as<int64_t>();
  });
  if (!inserted.ok()) return inserted.status();
  IngestResult result;
  result.inserted = static_cast<int>(*inserted);
  result.duplicates = static_cast<int>(events.size()) - result.inserted;
  return result;
}

absl::StatusOr<std::vector<UsageGroup>> PgUsageStore::Aggregate(const std::string& organization_id,
                                                                TimeRange range, Bucket bucket) {
  RangePlan plan = PlanRange(range);
  if (!options_.use_rollups) plan = {ClampToEventTimes(range), {}, {}};
  std::string sql = absl::StrCat(
      "WITH parts AS (SELECT hour, mode, provider, model, requests, errors, ", kSumColumns,
      " FROM metering.usage_hourly WHERE org_id = $1 AND hour >= $2::timestamptz"
      " AND hour < $3::timestamptz"
      " UNION ALL SELECT date_trunc('hour', requested_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',"
      " mode, provider, model, 1, (status_code >= 400)::int, ",
      kSumColumns,
      " FROM metering.usage_events WHERE org_id = $1"
      " AND ((requested_at >= $4::timestamptz AND requested_at < $5::timestamptz)"
      " OR (requested_at >= $6::timestamptz AND requested_at < $7::timestamptz)))"
      " SELECT ",
      BucketExpression(bucket),
      ", mode, provider, model, sum(requests)::bigint, sum(input_tokens)::bigint,"
      " sum(cached_input_tokens)::bigint, sum(cache_write_tokens)::bigint,"
      " sum(output_tokens)::bigint, sum(reasoning_tokens)::bigint, sum(cost_nano)::bigint,"
      " sum(provider_cost_nano)::bigint, sum(margin_nano)::bigint, sum(errors)::bigint"
      " FROM parts GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4");
  auto ts = [](int64_t ms) { return TimestampLiteral(ms); };
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<std::vector<UsageGroup>> {
    pqxx::read_transaction tx(c);
    pqxx::result r = tx.exec_params(sql, organization_id, ts(plan.rollup.from_unix_ms),
                                    ts(plan.rollup.to_unix_ms), ts(plan.raw_head.from_unix_ms),
                                    ts(plan.raw_head.to_unix_ms), ts(plan.raw_tail.from_unix_ms),
                                    ts(plan.raw_tail.to_unix_ms));
    std::vector<UsageGroup> groups;
    groups.reserve(r.size());
    for (const pqxx::row& row : r) {
      UsageGroup g;
      g.bucket_start_unix_ms = row[0].as<int64_t>();
      g.mode = static_cast<Mode>(row[1].as<int>());
      g.provider = row[2].as<std::string>();
      g.model = row[3].as<std::string>();
      g.totals = {row[4].as<int64_t>(),  row[5].as<int64_t>(),  row[6].as<int64_t>(),
                  row[7].as<int64_t>(),  row[8].as<int64_t>(),  row[9].as<int64_t>(),
                  row[10].as<int64_t>(), row[11].as<int64_t>(), row[12].as<int64_t>(),
                  row[13].as<int64_t>()};
      groups.push_back(std::move(g));
    }
    return groups;
  });
}

absl::StatusOr<std::vector<UsageEvent>> PgUsageStore::List(const ListQuery& query) {
  // The filters as parameters ($4..$10) that match everything when unset: one statement whose
  // custom plan (unnamed statement) drops the unused ones.
  constexpr char kFilterSql[] =
      " AND ($4::int = 0 OR mode = $4::int) AND ($5::text = '' OR provider = $5::text)"
      " AND ($6::text = '' OR model = $6::text) AND ($7::text = '' OR credential_id = $7::text)"
      " AND ($9::int = 0 OR status_code BETWEEN $8::int AND $9::int)"
      " AND ($10::int < 0 OR is_streaming = ($10::int = 1))";
  std::string page_sql = absl::StrCat(
      "SELECT ", kEventColumns,
      " FROM metering.usage_events WHERE org_id = $1 AND requested_at < $2::timestamptz",
      kFilterSql, " ORDER BY requested_at DESC, event_id DESC LIMIT $3");
  std::string same_ms_sql = absl::StrCat(
      "SELECT ", kEventColumns,
      " FROM metering.usage_events WHERE org_id = $1 AND requested_at = $2::timestamptz"
      " AND $3::int IS NOT NULL",
      kFilterSql, " ORDER BY event_id DESC");
  const UsageFilter& f = query.filter;
  const int mode = static_cast<int>(f.mode);
  return pool_.Run([&](pqxx::connection& c) -> absl::StatusOr<std::vector<UsageEvent>> {
    pqxx::read_transaction tx(c);
    std::vector<UsageEvent> rows;
    for (const pqxx::row& row :
         tx.exec_params(page_sql, query.organization_id, TimestampLiteral(query.before_unix_ms),
                        query.limit + 1, mode, f.provider, f.model, f.credential_id,
                        f.status_min, f.status_max, f.streaming)) {
      rows.push_back(EventFromRow(row));
    }
    size_t keep = PageLength(rows, query.limit);
    if (keep == 0 && !rows.empty()) {
      // One millisecond holds more than a page: return all of it, or the cursor would skip some.
      int64_t ms = rows.front().requested_at_unix_ms;
      rows.clear();
      for (const pqxx::row& row :
           tx.exec_params(same_ms_sql, query.organization_id, TimestampLiteral(ms), 0, mode,
                          f.provider, f.model, f.credential_id, f.status_min, f.status_max,
                          f.streaming)) {
        rows.push_back(EventFromRow(row));
      }
      return rows;
    }
    rows.resize(keep);
    return rows;
  });
}

}  // namespace llmgw::metering

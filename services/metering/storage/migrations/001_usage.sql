-- One row per usage event; event_id is the idempotency key of at-least-once delivery.
CREATE TABLE usage_events (
  event_id            text PRIMARY KEY,
  org_id              text NOT NULL,
  credential_id       text NOT NULL DEFAULT '',
  mode                smallint NOT NULL,
  provider            text NOT NULL DEFAULT '',
  model               text NOT NULL DEFAULT '',
  endpoint            text NOT NULL DEFAULT '',
  input_tokens        bigint NOT NULL DEFAULT 0 CHECK (input_tokens >= 0),
  cached_input_tokens bigint NOT NULL DEFAULT 0 CHECK (cached_input_tokens >= 0),
  cache_write_tokens  bigint NOT NULL DEFAULT 0 CHECK (cache_write_tokens >= 0),
  output_tokens       bigint NOT NULL DEFAULT 0 CHECK (output_tokens >= 0),
  reasoning_tokens    bigint NOT NULL DEFAULT 0 CHECK (reasoning_tokens >= 0),
  cost_nano           bigint NOT NULL DEFAULT 0,
  provider_cost_nano  bigint NOT NULL DEFAULT 0,
  margin_nano         bigint NOT NULL DEFAULT 0,
  is_streaming        boolean NOT NULL DEFAULT false,
  status_code         integer NOT NULL DEFAULT 0,
  latency_ms          bigint NOT NULL DEFAULT 0,
  ttft_ms             bigint NOT NULL DEFAULT 0,
  incomplete          boolean NOT NULL DEFAULT false,
  unpriced            boolean NOT NULL DEFAULT false,
  requested_at        timestamptz NOT NULL,
  request_id          text NOT NULL DEFAULT '',
  ingested_at         timestamptz NOT NULL DEFAULT now()
);

-- Stats and ListUsage read one org's events by time, newest first.
CREATE INDEX usage_events_org_time ON usage_events (org_id, requested_at DESC);

-- Hourly (UTC) sums of usage_events, maintained in the transaction that inserts the events.
CREATE TABLE usage_hourly (
  org_id              text NOT NULL,
  hour                timestamptz NOT NULL,
  mode                smallint NOT NULL,
  provider            text NOT NULL,
  model               text NOT NULL,
  requests            bigint NOT NULL,
  input_tokens        bigint NOT NULL,
  cached_input_tokens bigint NOT NULL,
  cache_write_tokens  bigint NOT NULL,
  output_tokens       bigint NOT NULL,
  reasoning_tokens    bigint NOT NULL,
  cost_nano           bigint NOT NULL,
  provider_cost_nano  bigint NOT NULL,
  margin_nano         bigint NOT NULL,
  PRIMARY KEY (org_id, hour, mode, provider, model)
);

-- Provider connections: an organization's provider admin key (OpenAI, Anthropic), sealed with
-- AES-256-GCM under the key-encryption key `key_id` names (LLMGW_SECRET_KEY) and bound to the
-- row's id; never stored in clear. key_sha256 keeps one connection per key and organization.
CREATE TABLE provider_connections (
  id             uuid PRIMARY KEY,
  -- The sync lock's key: pg_try_advisory_xact_lock(<class>, lock_key) holds one sync per
  -- connection across every metering replica.
  lock_key       integer GENERATED ALWAYS AS IDENTITY UNIQUE,
  org_id         text COLLATE "C" NOT NULL,
  provider       text NOT NULL CHECK (provider IN ('openai', 'anthropic')),
  key_prefix     text NOT NULL,
  key_sha256     text NOT NULL,
  key_id         text NOT NULL,
  key_ciphertext bytea NOT NULL,
  status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ok', 'failed')),
  last_error     text NOT NULL DEFAULT '',
  last_sync_at   timestamptz,
  -- Days synced so far (both included); the reconciliation ignores CSV rows on these days.
  synced_from    date,
  synced_through date,
  next_sync_at   timestamptz NOT NULL,
  created_at     timestamptz NOT NULL,
  UNIQUE (org_id, key_sha256)
);
CREATE INDEX provider_connections_due ON provider_connections (next_sync_at);

-- Usage and cost as the provider reports it, per UTC day, model and provider API key, from a
-- connection's sync (source = its id) or a CSV import (source 'csv'). Tokens follow
-- usage_events: input includes cached reads and cache writes. Costs by kind in nano-USD; costs
-- the provider does not split by kind are `other`. A re-synced day replaces its rows.
CREATE TABLE provider_usage (
  org_id                   text COLLATE "C" NOT NULL,
  source                   text NOT NULL,
  connection_id            uuid REFERENCES provider_connections (id) ON DELETE CASCADE,
  provider                 text NOT NULL,
  day                      date NOT NULL,
  model                    text NOT NULL,
  api_key_id               text NOT NULL DEFAULT '',
  input_tokens             bigint NOT NULL DEFAULT 0 CHECK (input_tokens >= 0),
  cached_input_tokens      bigint NOT NULL DEFAULT 0 CHECK (cached_input_tokens >= 0),
  cache_write_tokens       bigint NOT NULL DEFAULT 0 CHECK (cache_write_tokens >= 0),
  output_tokens            bigint NOT NULL DEFAULT 0 CHECK (output_tokens >= 0),
  requests                 bigint NOT NULL DEFAULT 0 CHECK (requests >= 0),
  uncached_input_cost_nano bigint NOT NULL DEFAULT 0,
  cached_input_cost_nano   bigint NOT NULL DEFAULT 0,
  cache_write_cost_nano    bigint NOT NULL DEFAULT 0,
  output_cost_nano         bigint NOT NULL DEFAULT 0,
  other_cost_nano          bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (org_id, source, provider, day, model, api_key_id),
  CHECK (CASE WHEN connection_id IS NULL THEN source = 'csv'
              ELSE source = connection_id::text END)
);
-- A sync replaces one connection's days.
CREATE INDEX provider_usage_connection_day ON provider_usage (connection_id, day);

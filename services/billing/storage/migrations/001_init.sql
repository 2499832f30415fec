-- The price book: nano-USD per 1M tokens per kind; a kind priced 0 is billed at the input price.
CREATE TABLE prices (
  provider text NOT NULL,
  model text NOT NULL,
  effective_from timestamptz NOT NULL,
  input_nano_per_mtok bigint NOT NULL CHECK (input_nano_per_mtok >= 0),
  cached_input_nano_per_mtok bigint NOT NULL DEFAULT 0 CHECK (cached_input_nano_per_mtok >= 0),
  cache_write_nano_per_mtok bigint NOT NULL DEFAULT 0 CHECK (cache_write_nano_per_mtok >= 0),
  output_nano_per_mtok bigint NOT NULL CHECK (output_nano_per_mtok >= 0),
  max_output_tokens bigint NOT NULL CHECK (max_output_tokens > 0),
  PRIMARY KEY (provider, model, effective_from)
);

INSERT INTO prices (provider, model, effective_from, input_nano_per_mtok,
                    cached_input_nano_per_mtok, cache_write_nano_per_mtok, output_nano_per_mtok,
                    max_output_tokens) VALUES
  ('openai', 'gpt-4o', '2024-01-01T00:00:00Z', 2500000000, 1250000000, 0, 10000000000, 16384),
  ('openai', 'gpt-4o-mini', '2024-01-01T00:00:00Z', 150000000, 75000000, 0, 600000000, 16384),
  ('anthropic', 'claude-3-5-sonnet-20241022', '2024-01-01T00:00:00Z', 3000000000, 300000000,
   3750000000, 15000000000, 8192),
  ('anthropic', 'claude-3-5-haiku-20241022', '2024-01-01T00:00:00Z', 800000000, 80000000,
   1000000000, 4000000000, 8192),
  ('google', 'gemini-1.5-pro', '2024-01-01T00:00:00Z', 1250000000, 0, 0, 5000000000, 8192),
  ('google', 'gemini-1.5-flash', '2024-01-01T00:00:00Z', 75000000, 0, 0, 300000000, 8192),
  ('xai', 'grok-beta', '2024-01-01T00:00:00Z', 5000000000, 0, 0, 15000000000, 16384);

-- One row per organization that was ever topped up. held is the sum of its open holds.
CREATE TABLE balances (
  org_id uuid PRIMARY KEY,
  balance bigint NOT NULL DEFAULT 0 CHECK (balance >= 0),
  held bigint NOT NULL DEFAULT 0 CHECK (held >= 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- A reservation for one request; the settle result is stored so a repeat returns it unchanged.
CREATE TABLE holds (
  request_id text PRIMARY KEY,
  org_id uuid NOT NULL REFERENCES balances (org_id),
  amount bigint NOT NULL CHECK (amount >= 0),
  margin_percent integer NOT NULL CHECK (margin_percent BETWEEN 0 AND 1000),
  status text NOT NULL CHECK (status IN ('open', 'settled', 'voided')),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  closed_at timestamptz,
  provider_cost bigint,
  margin bigint,
  total bigint,
  charged bigint,
  uncollected bigint,
  balance_after bigint,
  CHECK (status <> 'settled' OR (provider_cost IS NOT NULL AND margin IS NOT NULL AND
                                 total IS NOT NULL AND charged IS NOT NULL AND
                                 uncollected IS NOT NULL AND balance_after IS NOT NULL))
);
CREATE INDEX holds_open_expiry ON holds (expires_at) WHERE status = 'open';

-- Every balance change; balance == sum(amount) per organization.
CREATE TABLE ledger (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id uuid NOT NULL REFERENCES balances (org_id),
  type text NOT NULL CHECK (type IN ('charge', 'usage', 'refund', 'adjustment')),
  amount bigint NOT NULL,
  balance_after bigint NOT NULL CHECK (balance_after >= 0),
  description text NOT NULL DEFAULT '',
  request_id text UNIQUE,
  idempotency_key text UNIQUE,
  uncollected bigint NOT NULL DEFAULT 0 CHECK (uncollected >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (type <> 'usage' OR (request_id IS NOT NULL AND amount <= 0)),
  CHECK (type <> 'charge' OR (idempotency_key IS NOT NULL AND amount > 0))
);
CREATE INDEX ledger_org_newest ON ledger (org_id, id DESC);

-- The price book grows up: rows from the maintained catalog (with its model matchers, long-context
-- tiers and one-hour cache writes) and operator overrides beside the 2024 seed rows. Rows are
-- only ever added: a price a past request was billed at is never rewritten.
ALTER TABLE prices DROP CONSTRAINT prices_pkey;
ALTER TABLE prices
  ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- seed: migration 001; catalog: loaded from the shipped catalog; override: set by an operator.
  ADD COLUMN origin text NOT NULL DEFAULT 'seed' CHECK (origin IN ('seed', 'catalog', 'override')),
  ADD COLUMN catalog_version text NOT NULL DEFAULT '',
  ADD COLUMN cache_write_1h_nano_per_mtok bigint NOT NULL DEFAULT 0
    CHECK (cache_write_1h_nano_per_mtok >= 0),
  -- Above tier_above_input_tokens input tokens the whole request is billed at the tier_* prices.
  ADD COLUMN tier_above_input_tokens bigint NOT NULL DEFAULT 0 CHECK (tier_above_input_tokens >= 0),
  ADD COLUMN tier_input_nano_per_mtok bigint NOT NULL DEFAULT 0 CHECK (tier_input_nano_per_mtok >= 0),
  ADD COLUMN tier_cached_input_nano_per_mtok bigint NOT NULL DEFAULT 0
    CHECK (tier_cached_input_nano_per_mtok >= 0),
  ADD COLUMN tier_cache_write_nano_per_mtok bigint NOT NULL DEFAULT 0
    CHECK (tier_cache_write_nano_per_mtok >= 0),
  ADD COLUMN tier_output_nano_per_mtok bigint NOT NULL DEFAULT 0
    CHECK (tier_output_nano_per_mtok >= 0),
  ADD COLUMN tier_cache_write_1h_nano_per_mtok bigint NOT NULL DEFAULT 0
    CHECK (tier_cache_write_1h_nano_per_mtok >= 0),
  ADD COLUMN match_json text NOT NULL DEFAULT '',
  ADD COLUMN catalog_rank integer NOT NULL DEFAULT 0,
  ADD COLUMN kind text NOT NULL DEFAULT 'chat' CHECK (kind IN ('chat', 'embedding', 'other')),
  ADD COLUMN display_name text NOT NULL DEFAULT '',
  ADD COLUMN context_window bigint NOT NULL DEFAULT 0 CHECK (context_window >= 0),
  ADD COLUMN deprecated boolean NOT NULL DEFAULT false,
  ADD COLUMN set_by text NOT NULL DEFAULT '',
  ADD COLUMN note text NOT NULL DEFAULT '',
  ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE prices ALTER COLUMN max_output_tokens DROP NOT NULL;
ALTER TABLE prices DROP CONSTRAINT IF EXISTS prices_max_output_tokens_check;
ALTER TABLE prices ALTER COLUMN max_output_tokens SET NOT NULL;
ALTER TABLE prices ADD CONSTRAINT prices_max_output_tokens_check CHECK (max_output_tokens >= 0);
CREATE UNIQUE INDEX prices_one_row_per_instant ON prices (provider, model, origin, effective_from);

-- Each catalog file loaded, by content: loading the same file again adds nothing.
CREATE TABLE catalog_versions (
  sha256 text PRIMARY KEY,
  source text NOT NULL,
  version text NOT NULL,
  loaded_at timestamptz NOT NULL DEFAULT now(),
  models integer NOT NULL,
  price_rows integer NOT NULL
);

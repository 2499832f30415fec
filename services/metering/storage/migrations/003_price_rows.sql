-- Which billing price row priced each event (billing.prices.id; 0: unpriced or before this
-- migration), so a cost can always be explained, and the one-hour part of the cache writes.
ALTER TABLE usage_events
  ADD COLUMN IF NOT EXISTS price_id bigint NOT NULL DEFAULT 0 CHECK (price_id >= 0),
  ADD COLUMN IF NOT EXISTS cache_write_1h_tokens bigint NOT NULL DEFAULT 0 CHECK (cache_write_1h_tokens >= 0);

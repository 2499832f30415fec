-- Alert rules of an organization (README "Alerts"). threshold_nano is the threshold times 1e9:
-- nano-USD for `balance` (fires below it), a percentage for the others. A webhook's signing
-- secret is sealed with AES-256-GCM under the key-encryption key `secret_key_id` names
-- (LLMGW_SECRET_KEY) and bound to the row's id, like provider admin keys; never stored in clear.
-- `episode` and `firing` keep the state of a rule that fires once until its condition clears
-- (balance): each new episode has its own period key.
CREATE TABLE alert_rules (
  id                uuid PRIMARY KEY,
  org_id            text COLLATE "C" NOT NULL,
  kind              text NOT NULL CHECK (kind IN ('budget', 'balance', 'error_rate', 'drift')),
  threshold_nano    bigint NOT NULL CHECK (threshold_nano > 0),
  channel           text NOT NULL CHECK (channel IN ('webhook', 'email')),
  target            text NOT NULL,
  secret_key_id     text,
  secret_ciphertext bytea,
  episode           bigint NOT NULL DEFAULT 0,
  firing            boolean NOT NULL DEFAULT false,
  created_at        timestamptz NOT NULL,
  CHECK ((channel = 'webhook') = (secret_ciphertext IS NOT NULL AND secret_key_id IS NOT NULL))
);
CREATE INDEX alert_rules_org ON alert_rules (org_id, created_at);

-- Durable deliveries: one row per rule and period (the UNIQUE key makes an alert fire once per
-- rule and period, whichever replica evaluates it), delivered at least once by the worker that
-- leases it (next_attempt_at moved ahead while it delivers). payload is the exact JSON body.
CREATE TABLE alert_outbox (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  rule_id         uuid NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
  period_key      text NOT NULL,
  payload         text NOT NULL,
  attempts        integer NOT NULL DEFAULT 0,
  created_at      timestamptz NOT NULL,
  next_attempt_at timestamptz NOT NULL,
  delivered_at    timestamptz,
  gave_up_at      timestamptz,
  last_error      text NOT NULL DEFAULT '',
  UNIQUE (rule_id, period_key)
);
CREATE INDEX alert_outbox_due ON alert_outbox (next_attempt_at)
  WHERE delivered_at IS NULL AND gave_up_at IS NULL;
CREATE INDEX alert_outbox_rule ON alert_outbox (rule_id, created_at DESC);

-- accounts: organizations, sessions, credentials (monitor tokens and API keys), login throttling.
-- Secrets are never stored: only their SHA-256 (hex) and, for credentials, a display prefix.

CREATE TABLE organizations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  email text NOT NULL CHECK (length(email) <= 254),
  password_hash text NOT NULL,  -- pbkdf2-sha256$<iterations>$<salt hex>$<key hex>
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX organizations_email_lower_key ON organizations (lower(email));

CREATE TABLE sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  token_hash text NOT NULL,  -- SHA-256 hex of the session token
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz
);
CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

CREATE TABLE credentials (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq bigint GENERATED ALWAYS AS IDENTITY,  -- ties of created_at: newest first stays stable
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('monitor_token', 'api_key')),
  name text NOT NULL,
  display_prefix text NOT NULL CHECK (length(display_prefix) <= 12),
  secret_hash text NOT NULL,  -- SHA-256 hex of mon_sk_… / llm_sk_…
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  last_used_at timestamptz
);
CREATE UNIQUE INDEX credentials_secret_hash_key ON credentials (secret_hash);
CREATE INDEX credentials_org_kind_created_idx
  ON credentials (organization_id, kind, created_at DESC, seq DESC);

-- Failed logins per lower-case email in the current window; shared by every replica.
CREATE TABLE login_failures (
  email_key text PRIMARY KEY,
  failure_count integer NOT NULL,
  window_started_at timestamptz NOT NULL
);

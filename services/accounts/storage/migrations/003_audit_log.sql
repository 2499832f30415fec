-- accounts: the audit log of management actions (who, when, what, on what, before/after) and
-- the addresses each user has logged in from (a login from a new one is an audit entry).
-- Details are JSON the dashboard builds with secrets removed; nothing here is a secret.

CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  at timestamptz NOT NULL,
  actor_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  actor_email text NOT NULL,
  action text NOT NULL CHECK (length(action) BETWEEN 1 AND 100),
  target text NOT NULL,
  details jsonb NOT NULL
);
CREATE INDEX audit_log_org_id_idx ON audit_log (organization_id, id DESC);

CREATE TABLE login_addresses (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  address text NOT NULL,
  first_seen_at timestamptz NOT NULL,
  PRIMARY KEY (user_id, address)
);

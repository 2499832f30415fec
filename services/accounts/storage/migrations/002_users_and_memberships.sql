-- accounts: users separate from organizations. A user logs in with e-mail and password and
-- belongs to organizations through memberships with a role; an organization invites users by a
-- single-use token (stored hashed). Every existing organization's login becomes a user who owns
-- it: same e-mail, password hash and creation time, the organization's name as the user's name;
-- its sessions keep working. Credentials remember who created them (unknown for older ones).

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  email text NOT NULL CHECK (length(email) <= 254),
  password_hash text NOT NULL,  -- pbkdf2-sha256$<iterations>$<salt hex>$<key hex>
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

CREATE TABLE memberships (
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
  created_at timestamptz NOT NULL DEFAULT now(),
  seq bigint GENERATED ALWAYS AS IDENTITY,  -- ties of created_at: oldest first stays stable
  PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id, created_at, seq);

INSERT INTO users (name, email, password_hash, created_at)
  SELECT name, email, password_hash, created_at FROM organizations ORDER BY created_at, id;
INSERT INTO memberships (organization_id, user_id, role, created_at)
  SELECT o.id, u.id, 'owner', o.created_at
  FROM organizations o JOIN users u ON lower(u.email) = lower(o.email)
  ORDER BY o.created_at, o.id;
-- The password now lives with the user only.
ALTER TABLE organizations DROP COLUMN password_hash;

ALTER TABLE sessions ADD COLUMN user_id uuid REFERENCES users (id) ON DELETE CASCADE;
UPDATE sessions s SET user_id = m.user_id FROM memberships m
  WHERE m.organization_id = s.organization_id;
ALTER TABLE sessions ALTER COLUMN user_id SET NOT NULL;

ALTER TABLE credentials ADD COLUMN created_by uuid REFERENCES users (id) ON DELETE SET NULL;

CREATE TABLE invitations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  email text NOT NULL CHECK (length(email) <= 254),
  role text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
  token_hash text NOT NULL,  -- SHA-256 hex of the inv_… token
  invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  accepted_at timestamptz
);
CREATE UNIQUE INDEX invitations_token_hash_key ON invitations (token_hash);
CREATE INDEX invitations_org_idx ON invitations (organization_id, created_at DESC);

-- Throttling is now keyed by (email, client address) and by address: the old per-email rows
-- mean nothing any more.
DELETE FROM login_failures;

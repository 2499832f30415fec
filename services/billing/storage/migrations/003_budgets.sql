-- Spend budgets (issue 16). One counter per organization, scope ('org' or 'cred:<uuid>'), period
-- and period start (UTC date). Holds reserve against the counters they name in the same
-- transaction as the balance, guarded so spent + reserved never passes the limit the hold was
-- given; settles move the reservation into spent, voids and the sweeper release it.
CREATE TABLE budget_spend (
  org_id uuid NOT NULL,
  scope text NOT NULL CHECK (scope = 'org' OR scope LIKE 'cred:%'),
  period text NOT NULL CHECK (period IN ('day', 'month')),
  period_start date NOT NULL,
  spent bigint NOT NULL DEFAULT 0 CHECK (spent >= 0),
  reserved bigint NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, scope, period, period_start)
);

-- budget_only: a pass-through hold, reserved against its budgets alone (never the balance).
-- budgets: the counters the hold reserved against, [{scope, period, period_start}].
ALTER TABLE holds
  ADD COLUMN budget_only boolean NOT NULL DEFAULT false,
  ADD COLUMN budgets jsonb NOT NULL DEFAULT '[]';

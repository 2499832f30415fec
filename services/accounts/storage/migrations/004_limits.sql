-- Controls (issue 16): rate limits and spend budgets on a credential and on the organization.
-- NULL: no such limit. Budgets in nano-USD; their spend is counted in billing.budget_spend.
ALTER TABLE credentials
  ADD COLUMN rpm bigint CHECK (rpm BETWEEN 1 AND 1000000000),
  ADD COLUMN tpm bigint CHECK (tpm BETWEEN 1 AND 1000000000),
  ADD COLUMN daily_budget_nano bigint CHECK (daily_budget_nano > 0),
  ADD COLUMN monthly_budget_nano bigint CHECK (monthly_budget_nano > 0);

ALTER TABLE organizations
  ADD COLUMN rpm bigint CHECK (rpm BETWEEN 1 AND 1000000000),
  ADD COLUMN tpm bigint CHECK (tpm BETWEEN 1 AND 1000000000),
  ADD COLUMN daily_budget_nano bigint CHECK (daily_budget_nano > 0),
  ADD COLUMN monthly_budget_nano bigint CHECK (monthly_budget_nano > 0);

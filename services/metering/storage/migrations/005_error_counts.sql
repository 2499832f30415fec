-- The rollups count the requests answered with an HTTP status of 400 or more, so the overview's
-- error share is answered from them like every other total.
ALTER TABLE usage_hourly ADD COLUMN IF NOT EXISTS errors bigint NOT NULL DEFAULT 0;

UPDATE usage_hourly h SET errors = e.errors
FROM (
  SELECT org_id, date_trunc('hour', requested_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS hour,
         mode, provider, model, count(*) AS errors
  FROM usage_events WHERE status_code >= 400
  GROUP BY 1, 2, 3, 4, 5
) e
WHERE h.org_id = e.org_id AND h.hour = e.hour AND h.mode = e.mode AND h.provider = e.provider
  AND h.model = e.model;

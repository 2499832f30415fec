-- Event ids and organization ids are compared byte by byte ("C"), not by the database's locale:
-- every ingested event is looked up and inserted in two btrees on these columns, and locale-aware
-- comparison (strcoll) costs several times memcmp. Event ids are time-ordered UUIDs (version 7),
-- so byte order is also time order. Only the indexes are rebuilt; the rows stay as they are.
ALTER TABLE usage_events
  ALTER COLUMN event_id TYPE text COLLATE "C",
  ALTER COLUMN org_id TYPE text COLLATE "C";

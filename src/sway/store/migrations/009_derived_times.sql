-- Times are never invented at ingest. An event whose source does not say when it happened
-- gets a time derived from the data (a like at the liked post's creation, a follow at the time
-- the data was observed), marked here; events stored before this migration have NULL (not
-- recorded: older versions also placed some at a file's modification time). An event that
-- nothing in the data places is not stored at all: ingest counts it.
ALTER TABLE events ADD COLUMN ts_derived BOOLEAN;

-- What each ingest counted besides new, duplicate and rejected events: events with derived
-- times, events without any time (not stored), strings whose NUL characters were removed.
-- NULL for ingests made before this migration.
ALTER TABLE ingests ADD COLUMN derived BIGINT;
ALTER TABLE ingests ADD COLUMN undated BIGINT;
ALTER TABLE ingests ADD COLUMN nul_removed BIGINT;

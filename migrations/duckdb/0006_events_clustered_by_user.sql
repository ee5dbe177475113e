-- The events clustered by app, name, user and time, without the index on
-- user_id (0003, 0004). The index was 40% of the database (500 MB at
-- 30,000,000 events), and every checkpoint after ingestion wrote it
-- again. In this order DuckDB's row group statistics find a user's events
-- instead (UserData): for each name, the row groups whose user_id range
-- holds the user. A segment query still skips the names it does not read.
-- Bulk loads store their events in the same order (loadOrder in
-- internal/engine/duckdb). clustered says an event is stored so; events
-- ingested later are not until the engine reclusters them (recluster.go).
DROP INDEX IF EXISTS events_user;
CREATE TABLE events_0006 (
    app_id      VARCHAR NOT NULL,
    event_id    VARCHAR NOT NULL,
    user_id     VARCHAR NOT NULL,
    name        VARCHAR NOT NULL,
    time        TIMESTAMPTZ NOT NULL,
    properties  JSON NOT NULL DEFAULT '{}',
    clustered   BOOLEAN NOT NULL DEFAULT false
);
INSERT INTO events_0006 SELECT app_id, event_id, user_id, name, time, properties, true FROM events ORDER BY app_id, name, user_id, time;
DROP TABLE events;
ALTER TABLE events_0006 RENAME TO events;

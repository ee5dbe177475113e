-- Compaction state per app (the distributed path): history holds every
-- event of the days before `boundary` (UTC, YYYY-MM-DD); the fresh store's
-- partitions of the days before `cleaned` are deleted.
CREATE TABLE IF NOT EXISTS compactions (
    app_id   TEXT NOT NULL PRIMARY KEY,
    boundary TEXT NOT NULL,
    cleaned  TEXT NOT NULL
);

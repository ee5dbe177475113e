-- Compaction state per app (the distributed path): history holds every
-- event of the days before `boundary` (UTC, YYYY-MM-DD); the fresh store's
-- partitions of the days before `cleaned` are deleted.
CREATE TABLE IF NOT EXISTS compactions (
    app_id   VARBINARY(64) NOT NULL,
    boundary CHAR(10) NOT NULL,
    cleaned  CHAR(10) NOT NULL,
    PRIMARY KEY (app_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

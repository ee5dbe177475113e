-- Purged runs (issue 13): DELETE of a finished run deletes its snapshot and
-- records when, so that every server refuses its members and no new run is
-- deduplicated onto it. NULL: never purged.
-- Re-runnable (store.migrate) on MySQL 8 too, which has no ADD COLUMN IF
-- NOT EXISTS: the column is added only when information_schema lacks it,
-- by a statement prepared on the migration's one connection.
SET @segmentd_0005 = IF(
    EXISTS (SELECT 1 FROM information_schema.columns
            WHERE table_schema = DATABASE() AND table_name = 'runs' AND column_name = 'purged_at'),
    'DO 0',
    'ALTER TABLE runs ADD COLUMN purged_at DATETIME(6) NULL');
PREPARE segmentd_0005 FROM @segmentd_0005;
EXECUTE segmentd_0005;
DEALLOCATE PREPARE segmentd_0005;

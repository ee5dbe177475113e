-- Run history and diffs (issue 16): a segment's runs newest first, and the
-- latest succeeded run before another, by (app, segment, created_at,
-- run_id).
-- Re-runnable (store.migrate) on MySQL 8 too, which has no ADD INDEX IF NOT
-- EXISTS: the index is added only when information_schema lacks it, by a
-- statement prepared on the migration's one connection.
SET @segmentd_0006 = IF(
    EXISTS (SELECT 1 FROM information_schema.statistics
            WHERE table_schema = DATABASE() AND table_name = 'runs' AND index_name = 'runs_segment'),
    'DO 0',
    'ALTER TABLE runs ADD INDEX runs_segment (app_id, segment_id, created_at, run_id)');
PREPARE segmentd_0006 FROM @segmentd_0006;
EXECUTE segmentd_0006;
DEALLOCATE PREPARE segmentd_0006;

-- Schedules (issue 16). A segment version's schedule, as canonical JSON
-- ('' for none): {"every":"1h"} or {"cron":"0 6 * * *"}; runs a schedule
-- created (scheduled = 1); the lease of a queued or running run (the
-- server that queued or runs it renews it; once it has passed, or is NULL,
-- any server takes the run: internal/runs, Config.Lease).
-- Re-runnable (store.migrate) on MySQL 8 too, which has no ADD COLUMN IF
-- NOT EXISTS: each column or index is added only when information_schema
-- lacks it, by a statement prepared on the migration's one connection.
SET @segmentd_0007 = IF(
    EXISTS (SELECT 1 FROM information_schema.columns
            WHERE table_schema = DATABASE() AND table_name = 'segment_versions' AND column_name = 'schedule'),
    'DO 0',
    'ALTER TABLE segment_versions ADD COLUMN schedule VARCHAR(512) NOT NULL DEFAULT ''''');
PREPARE segmentd_0007 FROM @segmentd_0007;
EXECUTE segmentd_0007;
DEALLOCATE PREPARE segmentd_0007;

SET @segmentd_0007 = IF(
    EXISTS (SELECT 1 FROM information_schema.columns
            WHERE table_schema = DATABASE() AND table_name = 'runs' AND column_name = 'scheduled'),
    'DO 0',
    'ALTER TABLE runs ADD COLUMN scheduled TINYINT NOT NULL DEFAULT 0');
PREPARE segmentd_0007 FROM @segmentd_0007;
EXECUTE segmentd_0007;
DEALLOCATE PREPARE segmentd_0007;

SET @segmentd_0007 = IF(
    EXISTS (SELECT 1 FROM information_schema.columns
            WHERE table_schema = DATABASE() AND table_name = 'runs' AND column_name = 'lease_until'),
    'DO 0',
    'ALTER TABLE runs ADD COLUMN lease_until DATETIME(6) NULL');
PREPARE segmentd_0007 FROM @segmentd_0007;
EXECUTE segmentd_0007;
DEALLOCATE PREPARE segmentd_0007;

SET @segmentd_0007 = IF(
    EXISTS (SELECT 1 FROM information_schema.statistics
            WHERE table_schema = DATABASE() AND table_name = 'runs' AND index_name = 'runs_lease'),
    'DO 0',
    'ALTER TABLE runs ADD INDEX runs_lease (state, lease_until)');
PREPARE segmentd_0007 FROM @segmentd_0007;
EXECUTE segmentd_0007;
DEALLOCATE PREPARE segmentd_0007;

-- One row per claimed slot of a segment's schedule: the primary key makes
-- the claim exactly once whatever the number of servers. deps lists the
-- slots (JSON [{"segment_id","slot"}]) of the referenced segments due in
-- the same batch, which must succeed first; run_id is NULL until the run
-- is created (once, by a conditional UPDATE).
CREATE TABLE IF NOT EXISTS schedule_slots (
    app_id     VARBINARY(64) NOT NULL,
    segment_id VARBINARY(128) NOT NULL,
    slot       DATETIME(6) NOT NULL,
    deps       TEXT NOT NULL,
    run_id     VARBINARY(32) NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (app_id, segment_id, slot),
    KEY schedule_slots_run (run_id),
    CONSTRAINT schedule_slots_app_fk FOREIGN KEY (app_id) REFERENCES apps (app_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

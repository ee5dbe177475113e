-- Schedules (issue 16). A segment version's schedule, as canonical JSON
-- ('' for none): {"every":"1h"} or {"cron":"0 6 * * *"}.
ALTER TABLE segment_versions ADD COLUMN schedule TEXT NOT NULL DEFAULT '';

-- Runs a schedule created (1) rather than a client (0).
ALTER TABLE runs ADD COLUMN scheduled INTEGER NOT NULL DEFAULT 0;

-- The lease of a queued or running run: the server that queued or runs it
-- renews it; once it has passed (or is NULL), any server takes the run
-- (internal/runs, Config.Lease).
ALTER TABLE runs ADD COLUMN lease_until TEXT NULL;

-- One row per claimed slot of a segment's schedule: the primary key makes
-- the claim exactly once whatever the number of servers. deps lists the
-- slots (JSON [{"segment_id","slot"}]) of the referenced segments due in
-- the same batch, which must succeed first; run_id is NULL until the run
-- is created (once, by a conditional UPDATE).
CREATE TABLE IF NOT EXISTS schedule_slots (
    app_id     TEXT NOT NULL REFERENCES apps (app_id),
    segment_id TEXT NOT NULL,
    slot       TEXT NOT NULL,
    deps       TEXT NOT NULL,
    run_id     TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (app_id, segment_id, slot)
);

CREATE INDEX IF NOT EXISTS schedule_slots_run ON schedule_slots (run_id);

CREATE INDEX IF NOT EXISTS runs_lease ON runs (state, lease_until);

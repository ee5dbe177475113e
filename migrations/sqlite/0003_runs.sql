-- Runs (internal/runs): a saved segment evaluated at as_of, its result kept
-- as an immutable snapshot. state is queued, running, succeeded, failed or
-- canceled; the last three are final. member_count and watermark are NULL
-- until known, started_at and finished_at until they happen. dedupe_key is
-- the caller's hash of what the run computes: a new run with the key of a
-- queued, running or fresh succeeded run reuses it.
-- There is no foreign key to segments: a run outlives its segment.

CREATE TABLE IF NOT EXISTS runs (
    run_id       TEXT NOT NULL PRIMARY KEY,
    app_id       TEXT NOT NULL REFERENCES apps (app_id),
    segment_id   TEXT NOT NULL,
    version      INTEGER NOT NULL,
    state        TEXT NOT NULL,
    progress     REAL NOT NULL,
    member_count INTEGER,
    as_of        TEXT NOT NULL,
    watermark    TEXT,
    error        TEXT NOT NULL,
    dedupe_key   TEXT NOT NULL,
    snapshot     TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    started_at   TEXT,
    finished_at  TEXT
);

-- Reuse: the newest runs of an app with a key.
CREATE INDEX IF NOT EXISTS runs_key ON runs (app_id, dedupe_key, created_at);

-- Recovery at start: the queued and running runs, oldest first.
CREATE INDEX IF NOT EXISTS runs_state ON runs (state, created_at);

-- Runs (internal/runs): a saved segment evaluated at as_of, its result kept
-- as an immutable snapshot. state is queued, running, succeeded, failed or
-- canceled; the last three are final. member_count and watermark are NULL
-- until known, started_at and finished_at until they happen. dedupe_key is
-- the caller's hash of what the run computes: a new run with the key of a
-- queued, running or fresh succeeded run reuses it.
-- There is no foreign key to segments: a run outlives its segment.

CREATE TABLE IF NOT EXISTS runs (
    run_id       VARBINARY(32) NOT NULL,
    app_id       VARBINARY(64) NOT NULL,
    segment_id   VARBINARY(128) NOT NULL,
    version      INT NOT NULL,
    state        VARCHAR(16) NOT NULL,
    progress     DOUBLE NOT NULL,
    member_count BIGINT NULL,
    as_of        DATETIME(6) NOT NULL,
    watermark    DATETIME(6) NULL,
    error        TEXT NOT NULL,
    dedupe_key   VARBINARY(128) NOT NULL,
    snapshot     VARBINARY(255) NOT NULL,
    created_at   DATETIME(6) NOT NULL,
    started_at   DATETIME(6) NULL,
    finished_at  DATETIME(6) NULL,
    PRIMARY KEY (run_id),
    KEY runs_key (app_id, dedupe_key, created_at),
    KEY runs_state (state, created_at),
    CONSTRAINT runs_app_fk FOREIGN KEY (app_id) REFERENCES apps (app_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

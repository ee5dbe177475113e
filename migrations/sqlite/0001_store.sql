-- The store (internal/store) on SQLite: apps, API keys, segments with every
-- version and each version's direct references.
-- IDs compare byte-wise (SQLite's BINARY collation); times are TEXT in UTC,
-- microsecond precision, fixed width: 2006-01-02T15:04:05.000000Z.
-- Statements end with ';' (the runner splits on it, quote- and comment-aware).

CREATE TABLE IF NOT EXISTS apps (
    app_id      TEXT NOT NULL PRIMARY KEY,
    time_zone   TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS api_keys (
    key_id      TEXT NOT NULL PRIMARY KEY,
    app_id      TEXT NOT NULL REFERENCES apps (app_id),
    secret_hash BLOB NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS api_keys_app ON api_keys (app_id);

-- One row per live segment: its current version. Deleting a segment deletes
-- this row and every version.
CREATE TABLE IF NOT EXISTS segments (
    app_id          TEXT NOT NULL REFERENCES apps (app_id),
    segment_id      TEXT NOT NULL,
    current_version INTEGER NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (app_id, segment_id)
);

-- Every version, immutable once written. created_at is when this version was
-- saved (the Segment's UpdatedAt).
CREATE TABLE IF NOT EXISTS segment_versions (
    app_id      TEXT NOT NULL,
    segment_id  TEXT NOT NULL,
    version     INTEGER NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    tree        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (app_id, segment_id, version),
    FOREIGN KEY (app_id, segment_id) REFERENCES segments (app_id, segment_id) ON DELETE CASCADE
);

-- The segments a version references directly. ref_id has no foreign key:
-- an old version may name a segment deleted since; only current versions
-- keep their references alive (checked by the store in the same transaction).
CREATE TABLE IF NOT EXISTS segment_refs (
    app_id      TEXT NOT NULL,
    segment_id  TEXT NOT NULL,
    version     INTEGER NOT NULL,
    ref_id      TEXT NOT NULL,
    PRIMARY KEY (app_id, segment_id, version, ref_id),
    FOREIGN KEY (app_id, segment_id, version) REFERENCES segment_versions (app_id, segment_id, version) ON DELETE CASCADE
);

CREATE INDEX IF NOT EXISTS segment_refs_ref ON segment_refs (app_id, ref_id);

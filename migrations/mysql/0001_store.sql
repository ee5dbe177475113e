-- The store (internal/store) on MySQL/MariaDB (InnoDB): apps, API keys,
-- segments with every version and each version's direct references.
-- IDs are VARBINARY: byte-wise order and equality (no case folding, no
-- trailing-space padding), the same as SQLite. Times are DATETIME(6) in UTC.
-- DDL commits implicitly in MySQL, so every statement is idempotent
-- (IF NOT EXISTS) and a half-applied migration can be re-run.
-- Statements end with ';' (the runner splits on it, quote- and comment-aware).

CREATE TABLE IF NOT EXISTS apps (
    app_id      VARBINARY(64) NOT NULL,
    time_zone   VARCHAR(64) NOT NULL,
    created_at  DATETIME(6) NOT NULL,
    PRIMARY KEY (app_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS api_keys (
    key_id      VARBINARY(128) NOT NULL,
    app_id      VARBINARY(64) NOT NULL,
    secret_hash VARBINARY(64) NOT NULL,
    created_at  DATETIME(6) NOT NULL,
    PRIMARY KEY (key_id),
    KEY api_keys_app (app_id),
    CONSTRAINT api_keys_app_fk FOREIGN KEY (app_id) REFERENCES apps (app_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS segments (
    app_id          VARBINARY(64) NOT NULL,
    segment_id      VARBINARY(128) NOT NULL,
    current_version INT NOT NULL,
    created_at      DATETIME(6) NOT NULL,
    updated_at      DATETIME(6) NOT NULL,
    PRIMARY KEY (app_id, segment_id),
    CONSTRAINT segments_app_fk FOREIGN KEY (app_id) REFERENCES apps (app_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS segment_versions (
    app_id      VARBINARY(64) NOT NULL,
    segment_id  VARBINARY(128) NOT NULL,
    version     INT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    tree        MEDIUMTEXT NOT NULL,
    created_at  DATETIME(6) NOT NULL,
    PRIMARY KEY (app_id, segment_id, version),
    CONSTRAINT segment_versions_segment_fk FOREIGN KEY (app_id, segment_id)
        REFERENCES segments (app_id, segment_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS segment_refs (
    app_id      VARBINARY(64) NOT NULL,
    segment_id  VARBINARY(128) NOT NULL,
    version     INT NOT NULL,
    ref_id      VARBINARY(128) NOT NULL,
    PRIMARY KEY (app_id, segment_id, version, ref_id),
    KEY segment_refs_ref (app_id, ref_id),
    CONSTRAINT segment_refs_version_fk FOREIGN KEY (app_id, segment_id, version)
        REFERENCES segment_versions (app_id, segment_id, version) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

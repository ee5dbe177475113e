-- Events that arrived for a day already past the compaction horizon, when
-- the engine keeps history in Parquet files (see internal/compact): read
-- whole per app (they are few) and merged into history by compaction.
CREATE TABLE IF NOT EXISTS late_events (
    app_id      VARCHAR NOT NULL,
    event_id    VARCHAR NOT NULL,
    user_id     VARCHAR NOT NULL,
    name        VARCHAR NOT NULL,
    time        TIMESTAMPTZ NOT NULL,
    properties  JSON NOT NULL DEFAULT '{}',
    PRIMARY KEY (app_id, event_id)
);

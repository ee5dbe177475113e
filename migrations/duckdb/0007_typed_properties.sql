-- The property paths kept typed beside the JSON, each for the events of
-- one name: a column of events (col, DOUBLE[]) holding the numbers at the
-- path as the numeric conditions read them (compile.PropertyNumbers), added
-- when the path was typed (internal/engine/duckdb/typedprops.go), filled
-- by loads and by reclustering, and NULL for events ingested since.
CREATE TABLE IF NOT EXISTS typed_properties (
    name        VARCHAR NOT NULL,
    path        VARCHAR NOT NULL,
    col         VARCHAR NOT NULL UNIQUE,
    typed_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (name, path)
);

-- The attribute keys kept typed beside the JSON: each has a column of
-- users (col, of type compile.TypedAttributeType), added when the key was
-- typed (internal/engine/duckdb/typed.go) and maintained on every write
-- of attributes.
CREATE TABLE IF NOT EXISTS typed_attributes (
    key         VARCHAR NOT NULL PRIMARY KEY,
    col         VARCHAR NOT NULL UNIQUE,
    typed_at    TIMESTAMPTZ NOT NULL
);

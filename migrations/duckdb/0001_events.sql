-- The embedded engine's data: profiles and events of every app.
-- Attributes and properties are JSON; times are instants (UTC).
CREATE TABLE IF NOT EXISTS users (
    app_id      VARCHAR NOT NULL,
    user_id     VARCHAR NOT NULL,
    attributes  JSON NOT NULL DEFAULT '{}',
    -- The least and greatest time of the user's events; NULL without any.
    first_seen  TIMESTAMPTZ,
    last_seen   TIMESTAMPTZ,
    PRIMARY KEY (app_id, user_id)
);

-- The key makes ingestion idempotent: an event_id already stored in the
-- app is not stored again (INSERT … ON CONFLICT DO NOTHING).
CREATE TABLE IF NOT EXISTS events (
    app_id      VARCHAR NOT NULL,
    event_id    VARCHAR NOT NULL,
    user_id     VARCHAR NOT NULL,
    name        VARCHAR NOT NULL,
    time        TIMESTAMPTZ NOT NULL,
    properties  JSON NOT NULL DEFAULT '{}',
    PRIMARY KEY (app_id, event_id)
);

-- The instant of each app's latest acknowledged write, advanced in the
-- same transaction as the write, strictly increasing.
CREATE TABLE IF NOT EXISTS watermarks (
    app_id      VARCHAR NOT NULL PRIMARY KEY,
    watermark   TIMESTAMPTZ NOT NULL
);

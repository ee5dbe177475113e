-- The embedded engine's data: profiles and events of every app.
-- Attributes and properties are JSON; times are instants (UTC).
CREATE TABLE IF NOT EXISTS users (
    app_id      VARCHAR NOT NULL,
    user_id     VARCHAR NOT NULL,
    attributes  JSON NOT NULL DEFAULT '{}',
    first_seen  TIMESTAMPTZ,
    last_seen   TIMESTAMPTZ,
    PRIMARY KEY (app_id, user_id)
);

CREATE TABLE IF NOT EXISTS events (
    app_id      VARCHAR NOT NULL,
    event_id    VARCHAR NOT NULL,
    user_id     VARCHAR NOT NULL,
    name        VARCHAR NOT NULL,
    time        TIMESTAMPTZ NOT NULL,
    properties  JSON NOT NULL DEFAULT '{}'
);

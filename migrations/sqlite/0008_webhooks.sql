-- Webhooks (issue 16): an app's URLs told when its runs end, and the
-- outbox of their deliveries. secret signs the deliveries (HMAC-SHA256),
-- so it is kept as given, not hashed. events is the subscribed events,
-- joined by spaces ("run.succeeded run.failed").
CREATE TABLE IF NOT EXISTS webhooks (
    webhook_id TEXT NOT NULL PRIMARY KEY,
    app_id     TEXT NOT NULL REFERENCES apps (app_id),
    url        TEXT NOT NULL,
    events     TEXT NOT NULL,
    secret     TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS webhooks_app ON webhooks (app_id, created_at);

-- The outbox: a delivery is written with its run's final state, in the
-- same transaction, and stays pending until a worker gets a 2xx (then
-- delivered) or gives up (failed). A worker claims a due delivery by
-- setting lease_owner and lease_until where the lease is absent or
-- expired; payload is the body, fixed at the first attempt.
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    delivery_id     TEXT NOT NULL PRIMARY KEY,
    webhook_id      TEXT NOT NULL REFERENCES webhooks (webhook_id) ON DELETE CASCADE,
    app_id          TEXT NOT NULL,
    run_id          TEXT NOT NULL,
    event           TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at TEXT NOT NULL,
    lease_owner     TEXT,
    lease_until     TEXT,
    last_status     INTEGER,
    last_error      TEXT NOT NULL,
    payload         BLOB,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    finished_at     TEXT
);

-- The worker's scan: pending deliveries by when they are due.
CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
-- The delivery log: a webhook's deliveries, newest first.
CREATE INDEX IF NOT EXISTS webhook_deliveries_log ON webhook_deliveries (webhook_id, created_at, delivery_id);

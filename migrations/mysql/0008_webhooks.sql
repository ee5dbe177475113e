-- Webhooks (issue 16): an app's URLs told when its runs end, and the
-- outbox of their deliveries. secret signs the deliveries (HMAC-SHA256),
-- so it is kept as given, not hashed. events is the subscribed events,
-- joined by spaces ("run.succeeded run.failed").
CREATE TABLE IF NOT EXISTS webhooks (
    webhook_id VARBINARY(32) NOT NULL,
    app_id     VARBINARY(64) NOT NULL,
    url        TEXT NOT NULL,
    events     VARCHAR(255) NOT NULL,
    secret     VARBINARY(128) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (webhook_id),
    KEY webhooks_app (app_id, created_at),
    CONSTRAINT webhooks_app_fk FOREIGN KEY (app_id) REFERENCES apps (app_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The outbox: a delivery is written with its run's final state, in the
-- same transaction, and stays pending until a worker gets a 2xx (then
-- delivered) or gives up (failed). A worker claims a due delivery by
-- setting lease_owner and lease_until where the lease is absent or
-- expired; payload is the body, fixed at the first attempt.
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    delivery_id     VARBINARY(32) NOT NULL,
    webhook_id      VARBINARY(32) NOT NULL,
    app_id          VARBINARY(64) NOT NULL,
    run_id          VARBINARY(32) NOT NULL,
    event           VARCHAR(32) NOT NULL,
    state           VARCHAR(16) NOT NULL,
    attempts        INT NOT NULL,
    next_attempt_at DATETIME(6) NOT NULL,
    lease_owner     VARBINARY(64) NULL,
    lease_until     DATETIME(6) NULL,
    last_status     INT NULL,
    last_error      TEXT NOT NULL,
    payload         MEDIUMBLOB NULL,
    created_at      DATETIME(6) NOT NULL,
    updated_at      DATETIME(6) NOT NULL,
    finished_at     DATETIME(6) NULL,
    PRIMARY KEY (delivery_id),
    KEY webhook_deliveries_due (state, next_attempt_at),
    KEY webhook_deliveries_log (webhook_id, created_at, delivery_id),
    CONSTRAINT webhook_deliveries_webhook_fk FOREIGN KEY (webhook_id) REFERENCES webhooks (webhook_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Scoped keys (issue 13). scopes is a space-separated list of ingest, read
-- and segments; a key created before this migration keeps every scope, as
-- it could do everything in its app. last_used_at is NULL until the key is
-- first used, and written at most once a minute per key and server.
-- IF NOT EXISTS (MariaDB) keeps the statement re-runnable, as every MySQL
-- migration is (store.migrate).
ALTER TABLE api_keys
    ADD COLUMN IF NOT EXISTS name VARCHAR(255) NOT NULL DEFAULT '',
    ADD COLUMN IF NOT EXISTS scopes VARCHAR(255) NOT NULL DEFAULT 'ingest read segments',
    ADD COLUMN IF NOT EXISTS last_used_at DATETIME(6) NULL;

-- Scoped keys (issue 13). scopes is a space-separated list of ingest, read
-- and segments; a key created before this migration keeps every scope, as
-- it could do everything in its app. last_used_at is NULL until the key is
-- first used, and written at most once a minute per key and server.
ALTER TABLE api_keys ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN scopes TEXT NOT NULL DEFAULT 'ingest read segments';
ALTER TABLE api_keys ADD COLUMN last_used_at TEXT NULL;

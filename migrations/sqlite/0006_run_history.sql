-- Run history and diffs (issue 16): a segment's runs newest first, and the
-- latest succeeded run before another, by (app, segment, created_at,
-- run_id).
CREATE INDEX IF NOT EXISTS runs_segment ON runs (app_id, segment_id, created_at, run_id);

-- Purged runs (issue 13): DELETE of a finished run deletes its snapshot and
-- records when, so that every server refuses its members and no new run is
-- deduplicated onto it. NULL: never purged.
ALTER TABLE runs ADD COLUMN purged_at TEXT NULL;

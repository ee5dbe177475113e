-- The events and profiles of the app, which every hand-written Trino query
-- reads: an analyst on this deployment keeps this preamble and writes each
-- query below it (HandSQL puts them together). Events of the days before
-- the boundary come from history (Parquet on S3, partitioned by app and
-- day), those of the fresh days from Cassandra, named by their whole
-- partition key (app, day and bucket) so that the connector reads only
-- those partitions, and late events (sent for a day already compacted)
-- unless history or the fresh days hold them already (a retry). Every
-- event keeps its UTC day as a DATE, so that a query can prune history's
-- partitions by it.
WITH events AS (
  SELECT event_id, user_id, name, with_timezone(time, 'UTC') AS time, properties, day
  FROM hive.segmentd.events_history
  WHERE app_id = :app_id AND day < CAST(:boundary AS date)
  UNION ALL
  SELECT event_id, user_id, name, time, properties, CAST(day AS date)
  FROM cassandra.segmentd.events
  WHERE app_id = :app_id AND day IN (:fresh_days) AND bucket IN (:buckets)
  UNION ALL
  SELECT l.event_id, l.user_id, l.name, l.time, l.properties, CAST(l.day AS date)
  FROM cassandra.segmentd.late_events AS l
  WHERE l.app_id = :app_id AND l.bucket IN (:buckets)
    AND NOT EXISTS (SELECT 1 FROM hive.segmentd.events_history AS h
      WHERE h.app_id = :app_id AND h.day < CAST(:boundary AS date)
        AND h.day = CAST(l.day AS date) AND h.event_id = l.event_id)
    AND NOT EXISTS (SELECT 1 FROM cassandra.segmentd.events AS f
      WHERE f.app_id = :app_id AND f.day IN (:fresh_days) AND f.bucket IN (:buckets)
        AND f.day = l.day AND f.event_id = l.event_id)
),
users AS (
  SELECT user_id, attributes
  FROM cassandra.segmentd.users
  WHERE app_id = :app_id AND bucket IN (:buckets)
)

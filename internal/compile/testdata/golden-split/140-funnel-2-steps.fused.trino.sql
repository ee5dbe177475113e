WITH f0_s0 AS (
  SELECT e.user_id, e.time FROM (
  SELECT app_id, event_id, user_id, name, with_timezone(time, 'UTC') AS time, properties
  FROM "hive"."segmentd"."events_history"
  WHERE app_id = ? AND day < CAST(? AS DATE)
  UNION ALL
  SELECT app_id, event_id, user_id, name, time, properties
  FROM "cassandra"."segmentd"."events"
  WHERE app_id = ? AND day IN (?, ?) AND bucket IN (?, ?)
  UNION ALL
  SELECT l.app_id, l.event_id, l.user_id, l.name, l.time, l.properties
  FROM "cassandra"."segmentd"."late_events" AS l
  WHERE l.app_id = ? AND l.bucket IN (?, ?)
    AND l.event_id NOT IN (SELECT h.event_id FROM "hive"."segmentd"."events_history" AS h
      WHERE h.app_id = ? AND h.day < CAST(? AS DATE))
    AND l.event_id NOT IN (SELECT event_id FROM "cassandra"."segmentd"."events"
      WHERE app_id = ? AND day IN (?, ?) AND bucket IN (?, ?))
) AS e
  WHERE e.app_id = ? AND e.time <= ? AND e.name = ? AND e.time > ?
),
f0_s1 AS (
  SELECT e.user_id, e.time FROM (
  SELECT app_id, event_id, user_id, name, with_timezone(time, 'UTC') AS time, properties
  FROM "hive"."segmentd"."events_history"
  WHERE app_id = ? AND day < CAST(? AS DATE)
  UNION ALL
  SELECT app_id, event_id, user_id, name, time, properties
  FROM "cassandra"."segmentd"."events"
  WHERE app_id = ? AND day IN (?, ?) AND bucket IN (?, ?)
  UNION ALL
  SELECT l.app_id, l.event_id, l.user_id, l.name, l.time, l.properties
  FROM "cassandra"."segmentd"."late_events" AS l
  WHERE l.app_id = ? AND l.bucket IN (?, ?)
    AND l.event_id NOT IN (SELECT h.event_id FROM "hive"."segmentd"."events_history" AS h
      WHERE h.app_id = ? AND h.day < CAST(? AS DATE))
    AND l.event_id NOT IN (SELECT event_id FROM "cassandra"."segmentd"."events"
      WHERE app_id = ? AND day IN (?, ?) AND bucket IN (?, ?))
) AS e
  WHERE e.app_id = ? AND e.time <= ? AND e.name = ?
),
f0_c0 AS (SELECT DISTINCT user_id, time AS t1, time AS t FROM f0_s0),
f0_c1 AS (
  SELECT c.user_id, c.t1, min(s.time) AS t
  FROM f0_c0 AS c JOIN f0_s1 AS s
    ON s.user_id = c.user_id AND s.time > c.t AND s.time > ?
  GROUP BY c.user_id, c.t1
),
f0 AS (
  SELECT user_id, max(k) AS reached FROM (
    SELECT user_id, 1 AS k FROM f0_c0
    UNION ALL
    SELECT user_id, 2 AS k FROM f0_c1
  ) AS r GROUP BY user_id
)
SELECT u.user_id
FROM (
  SELECT app_id, user_id, attributes, first_seen, last_seen
  FROM "cassandra"."segmentd"."users"
  WHERE app_id = ? AND bucket IN (?, ?)
) AS u
LEFT JOIN f0 ON f0.user_id = u.user_id
WHERE u.app_id = ?
  AND coalesce(f0.reached, 0) >= ?
-- params: ["corpus","2026-10-20","corpus","2026-10-20","2026-10-21","0","1","corpus","0","1","corpus","2026-10-20","corpus","2026-10-20","2026-10-21","0","1","corpus","2026-10-28T14:30:00Z","view_item","2026-10-21T14:30:00Z","corpus","2026-10-20","corpus","2026-10-20","2026-10-21","0","1","corpus","0","1","corpus","2026-10-20","corpus","2026-10-20","2026-10-21","0","1","corpus","2026-10-28T14:30:00Z","add_to_cart","2026-10-21T14:30:00Z","corpus","0","1","corpus",2]

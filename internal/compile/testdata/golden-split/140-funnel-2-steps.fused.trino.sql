WITH s AS (
  SELECT g.user_id,
    reduce(g.ev,
      CAST(ROW(NULL, repeat(NULL, 2), repeat(NULL, 2)) AS ROW(t TIMESTAMP(6) WITH TIME ZONE, c ARRAY(TIMESTAMP(6) WITH TIME ZONE), d ARRAY(TIMESTAMP(6) WITH TIME ZONE))),
      (r, x) -> transform(ARRAY[IF(x.t > r.t, r.c, r.d)], d -> CAST(ROW(x.t, transform(sequence(1, 2), k -> coalesce(IF(element_at(x.f, element_at(ARRAY[1, 2], k)) AND (k > 1 OR TRUE AND x.t > ?), IF(k = 1, x.t, element_at(d, greatest(k - 1, 1)))), element_at(r.c, k))), d) AS ROW(t TIMESTAMP(6) WITH TIME ZONE, c ARRAY(TIMESTAMP(6) WITH TIME ZONE), d ARRAY(TIMESTAMP(6) WITH TIME ZONE))))[1],
      r -> cardinality(filter(r.c, t1 -> t1 IS NOT NULL))) AS f0
  FROM (SELECT e.user_id,
    array_agg(CAST(ROW(e.time, ARRAY[e.name = ?,
        e.name = ?]) AS ROW(t TIMESTAMP(6) WITH TIME ZONE, f ARRAY(BOOLEAN))) ORDER BY e.time)
      FILTER (WHERE e.name IN (?, ?)) AS ev
  FROM (
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
  WHERE e.app_id = ? AND e.time <= ?
    AND e.name IN (?, ?)
    AND ((e.name = ? AND e.time >= ?)
      OR (e.name = ? AND e.time >= ?))
  GROUP BY e.user_id) AS g
)
SELECT u.user_id
FROM (
  SELECT app_id, user_id, attributes, first_seen, last_seen
  FROM "cassandra"."segmentd"."users"
  WHERE app_id = ? AND bucket IN (?, ?)
) AS u
LEFT JOIN s ON s.user_id = u.user_id
WHERE u.app_id = ?
  AND coalesce(s.f0, 0) >= ?
-- params: ["2026-10-21T14:30:00Z","view_item","add_to_cart","view_item","add_to_cart","corpus","2026-10-20","corpus","2026-10-20","2026-10-21","0","1","corpus","0","1","corpus","2026-10-20","corpus","2026-10-20","2026-10-21","0","1","corpus","2026-10-28T14:30:00Z","view_item","add_to_cart","view_item","2026-10-21T14:30:00Z","add_to_cart","2026-10-21T14:30:00Z","corpus","0","1","corpus",2]

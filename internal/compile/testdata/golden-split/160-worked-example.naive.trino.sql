SELECT user_id FROM (WITH s AS (
  SELECT e.user_id,
    element_at(array_agg(element_at(transform(filter(transform(coalesce(CAST(json_parse(json_query(e.properties, 'lax $."isMember"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))),
    v -> json_format(v)), v -> v <> 'null'), v -> CAST(ROW(
    CASE WHEN regexp_like(v, '^-?[0-9]') THEN CAST(v AS DOUBLE) + 0.0 END,
    CASE WHEN substr(v, 1, 1) = '"' THEN CAST(json_parse(v) AS VARCHAR) END,
    CASE v WHEN 'true' THEN true WHEN 'false' THEN false END,
    NULL) AS ROW(n DOUBLE, s VARCHAR, b BOOLEAN, t TIMESTAMP(6) WITH TIME ZONE))), 1) ORDER BY e.time DESC, e.event_id DESC) FILTER (WHERE e.name = ? AND e.time >= ?), 1) AS a0
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
    AND e.name IN (?)
    AND ((e.name = ? AND e.time >= ?))
  GROUP BY e.user_id
)
SELECT u.user_id
FROM (
  SELECT app_id, user_id, attributes, first_seen, last_seen
  FROM "cassandra"."segmentd"."users"
  WHERE app_id = ? AND bucket IN (?, ?)
) AS u
LEFT JOIN s ON s.user_id = u.user_id
WHERE u.app_id = ?
  AND coalesce(s.a0.n = ?, false)) AS i
INTERSECT
SELECT user_id FROM (WITH s AS (
  SELECT e.user_id,
    CAST((
reduce(array_sort(flatten(array_agg(transform(filter(filter(transform(coalesce(CAST(json_parse(json_query(e.properties, 'lax $."items"[*]?(@.type() == "object")."price"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))),
    v -> json_format(v)), v -> v <> 'null'), v -> regexp_like(v, '^-?[0-9]')), v -> CAST(v AS DOUBLE) + 0.0)) FILTER (WHERE e.name = ?))), DOUBLE '0', (a, x) -> a + x, a -> a) / nullif(cardinality(array_sort(flatten(array_agg(transform(filter(filter(transform(coalesce(CAST(json_parse(json_query(e.properties, 'lax $."items"[*]?(@.type() == "object")."price"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))),
    v -> json_format(v)), v -> v <> 'null'), v -> regexp_like(v, '^-?[0-9]')), v -> CAST(v AS DOUBLE) + 0.0)) FILTER (WHERE e.name = ?)))), 0)) AS DOUBLE) AS a0
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
    AND e.name IN (?)
    AND ((e.name = ?))
  GROUP BY e.user_id
)
SELECT u.user_id
FROM (
  SELECT app_id, user_id, attributes, first_seen, last_seen
  FROM "cassandra"."segmentd"."users"
  WHERE app_id = ? AND bucket IN (?, ?)
) AS u
LEFT JOIN s ON s.user_id = u.user_id
WHERE u.app_id = ?
  AND coalesce(s.a0 >= ?, false)) AS i
INTERSECT
SELECT user_id FROM (WITH s AS (
  SELECT e.user_id,
    CAST((
reduce(array_sort(flatten(array_agg(transform(filter(filter(transform(coalesce(CAST(json_parse(json_query(e.properties, 'lax $."items"[*]?(@.type() == "object")."price"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))),
    v -> json_format(v)), v -> v <> 'null'), v -> regexp_like(v, '^-?[0-9]')), v -> CAST(v AS DOUBLE) + 0.0)) FILTER (WHERE e.name = ? AND e.time >= ? AND e.time < ?))), DOUBLE '0', (a, x) -> a + x, a -> a)) AS DOUBLE) AS a0
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
    AND e.name IN (?)
    AND ((e.name = ? AND e.time >= ? AND e.time < ?))
  GROUP BY e.user_id
)
SELECT u.user_id
FROM (
  SELECT app_id, user_id, attributes, first_seen, last_seen
  FROM "cassandra"."segmentd"."users"
  WHERE app_id = ? AND bucket IN (?, ?)
) AS u
LEFT JOIN s ON s.user_id = u.user_id
WHERE u.app_id = ?
  AND coalesce(coalesce(s.a0, 0) <= ?, false)) AS i
INTERSECT
SELECT user_id FROM (WITH s AS (
  SELECT e.user_id,
    CAST((count(*) FILTER (WHERE e.name = ? AND e.time >= ? AND e.time < ?)) AS DOUBLE) AS a0
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
    AND e.name IN (?)
    AND ((e.name = ? AND e.time >= ? AND e.time < ?))
  GROUP BY e.user_id
)
SELECT u.user_id
FROM (
  SELECT app_id, user_id, attributes, first_seen, last_seen
  FROM "cassandra"."segmentd"."users"
  WHERE app_id = ? AND bucket IN (?, ?)
) AS u
LEFT JOIN s ON s.user_id = u.user_id
WHERE u.app_id = ?
  AND coalesce(coalesce(s.a0, 0) > ?, false)) AS i
-- params: ["$meta","2026-10-27T23:00:00Z","corpus","2026-10-20","corpus","2026-10-20","2026-10-21","0","1","corpus","0","1","corpus","2026-10-20","corpus","2026-10-20","2026-10-21","0","1","corpus","2026-10-28T14:30:00Z","$meta","$meta","2026-10-27T23:00:00Z","corpus","0","1","corpus",1,"$buy","$buy","corpus","2026-10-20","corpus","2026-10-20","2026-10-21","0","1","corpus","0","1","corpus","2026-10-20","corpus","2026-10-20","2026-10-21","0","1","corpus","2026-10-28T14:30:00Z","$buy","$buy","corpus","0","1","corpus",10000,"$buy","2026-10-18T22:00:00Z","2026-10-25T23:00:00Z","corpus","2026-10-20","corpus","2026-10-20","2026-10-21","0","1","corpus","0","1","corpus","2026-10-20","corpus","2026-10-20","2026-10-21","0","1","corpus","2026-10-28T14:30:00Z","$buy","$buy","2026-10-18T22:00:00Z","2026-10-25T23:00:00Z","corpus","0","1","corpus",100,"$session","2026-10-18T22:00:00Z","2026-10-25T23:00:00Z","corpus","2026-10-20","corpus","2026-10-20","2026-10-21","0","1","corpus","0","1","corpus","2026-10-20","corpus","2026-10-20","2026-10-21","0","1","corpus","2026-10-28T14:30:00Z","$session","$session","2026-10-18T22:00:00Z","2026-10-25T23:00:00Z","corpus","0","1","corpus",10]

WITH f0_s0 AS (
  SELECT e.user_id, e.time FROM "events" AS e
  WHERE e.app_id = ? AND e.time <= ? AND e.name = ? AND e.time >= ? AND e.time < ?
),
f0_s1 AS (
  SELECT e.user_id, e.time FROM "events" AS e
  WHERE e.app_id = ? AND e.time <= ? AND e.name = ? AND e.time > ? AND coalesce(len(list_filter(list_transform(list_filter(flatten(list_transform([json_extract(e.properties, '$."isMember"')], lambda j: CASE
    WHEN starts_with(j, '[') THEN json_extract(j, '$[*]') ELSE [j] END)), lambda v: v <> 'null'), lambda v: {
    'n': TRY_CAST(v::VARCHAR AS DOUBLE) + 0.0,
    's': NULL::VARCHAR,
    'b': NULL::BOOLEAN,
    't': NULL::TIMESTAMPTZ}), lambda y: y.n = ?)) > 0, false)
),
f0_s2 AS (
  SELECT e.user_id, e.time FROM "events" AS e
  WHERE e.app_id = ? AND e.time <= ? AND e.name = ? AND e.time > ?
),
f0_c0 AS (SELECT DISTINCT user_id, time AS t1, time AS t FROM f0_s0),
f0_c1 AS (
  SELECT c.user_id, c.t1, s.time AS t
  FROM f0_c0 AS c ASOF JOIN (SELECT * FROM f0_s1) AS s
    ON s.user_id = c.user_id AND s.time > c.t
  WHERE s.time <= c.t1 + to_milliseconds(?)
),
f0_c2 AS (
  SELECT c.user_id, c.t1, s.time AS t
  FROM f0_c1 AS c ASOF JOIN (SELECT * FROM f0_s2) AS s
    ON s.user_id = c.user_id AND s.time > c.t
  WHERE s.time <= c.t1 + to_milliseconds(?)
),
f0 AS (
  SELECT user_id, max(k) AS reached FROM (
    SELECT user_id, 1 AS k FROM f0_c0
    UNION ALL
    SELECT user_id, 2 AS k FROM f0_c1
    UNION ALL
    SELECT user_id, 3 AS k FROM f0_c2
  ) AS r GROUP BY user_id
)
SELECT u.user_id
FROM "users" AS u
LEFT JOIN f0 ON f0.user_id = u.user_id
WHERE u.app_id = ?
  AND coalesce(f0.reached, 0) >= ?
-- params: ["corpus","2026-10-28T14:30:00Z","$meta","2026-10-26T23:00:00Z","2026-10-27T23:00:00Z","corpus","2026-10-28T14:30:00Z","$meta","2026-10-26T23:00:00Z",1,"corpus","2026-10-28T14:30:00Z","$meta","2026-10-26T23:00:00Z",86400000,86400000,"corpus",2]

WITH f0_s0 AS (
  SELECT e.user_id, e.time FROM "events" AS e
  WHERE e.app_id = ? AND e.time <= ? AND e.name = ? AND e.time >= ? AND e.time < ?
),
f0_s1 AS (
  SELECT e.user_id, e.time FROM "events" AS e
  WHERE e.app_id = ? AND e.time <= ? AND e.name = ? AND coalesce(cardinality(transform(filter(coalesce(CAST(json_parse(json_query(e.properties, 'lax $."coupon"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))),
    v -> json_format(v) <> 'null'), v -> CAST(ROW(
    CASE WHEN regexp_like(json_format(v), '^-?[0-9]') THEN CAST(v AS DOUBLE) + 0.0 END,
    CASE WHEN substr(json_format(v), 1, 1) = '"' THEN CAST(v AS VARCHAR) END,
    CASE WHEN json_format(v) IN ('true', 'false') THEN CAST(v AS BOOLEAN) END,
    NULL) AS ROW(n DOUBLE, s VARCHAR, b BOOLEAN, t TIMESTAMP(6) WITH TIME ZONE)))) > 0, false)
),
f0_c0 AS (SELECT DISTINCT user_id, time AS t1, time AS t FROM f0_s0),
f0_c1 AS (
  SELECT c.user_id, c.t1, min(s.time) AS t
  FROM f0_c0 AS c JOIN f0_s1 AS s
    ON s.user_id = c.user_id AND s.time > c.t AND s.time <= date_add('millisecond', ?, c.t1) AND s.time > ?
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
FROM "users" AS u
LEFT JOIN f0 ON f0.user_id = u.user_id
WHERE u.app_id = ?
  AND coalesce(f0.reached, 0) >= ?
-- params: ["corpus","2026-10-28T14:30:00Z","$session","2026-08-31T22:00:00Z","2026-09-30T22:00:00Z","corpus","2026-10-28T14:30:00Z","$buy",259200000,"2026-08-31T22:00:00Z","corpus",2]

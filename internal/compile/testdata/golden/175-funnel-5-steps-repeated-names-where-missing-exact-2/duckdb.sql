WITH f0_s0 AS (
  SELECT e.user_id, e.time FROM "events" AS e
  WHERE e.app_id = ? AND e.time <= ? AND e.name = ?
),
f0_s1 AS (
  SELECT e.user_id, e.time FROM "events" AS e
  WHERE e.app_id = ? AND e.time <= ? AND e.name = ? AND coalesce(len(list_transform(list_filter(flatten(list_transform([json_extract(e.properties, '$."query"')], lambda j: CASE
    WHEN starts_with(j, '[') THEN json_extract(j, '$[*]') ELSE [j] END)), lambda v: v <> 'null'), lambda v: {
    'n': NULL::DOUBLE,
    's': NULL::VARCHAR,
    'b': NULL::BOOLEAN,
    't': NULL::TIMESTAMPTZ})) = 0, false)
),
f0_s2 AS (
  SELECT e.user_id, e.time FROM "events" AS e
  WHERE e.app_id = ? AND e.time <= ? AND e.name = ?
),
f0_s3 AS (
  SELECT e.user_id, e.time FROM "events" AS e
  WHERE e.app_id = ? AND e.time <= ? AND e.name = ? AND coalesce(len(list_transform(list_filter(flatten(list_transform([json_extract(e.properties, '$."coupon"')], lambda j: CASE
    WHEN starts_with(j, '[') THEN json_extract(j, '$[*]') ELSE [j] END)), lambda v: v <> 'null'), lambda v: {
    'n': NULL::DOUBLE,
    's': NULL::VARCHAR,
    'b': NULL::BOOLEAN,
    't': NULL::TIMESTAMPTZ})) = 0, false)
),
f0_s4 AS (
  SELECT e.user_id, e.time FROM "events" AS e
  WHERE e.app_id = ? AND e.time <= ? AND e.name = ?
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
f0_c3 AS (
  SELECT c.user_id, c.t1, s.time AS t
  FROM f0_c2 AS c ASOF JOIN (SELECT * FROM f0_s3) AS s
    ON s.user_id = c.user_id AND s.time > c.t
  WHERE s.time <= c.t1 + to_milliseconds(?)
),
f0_c4 AS (
  SELECT c.user_id, c.t1, s.time AS t
  FROM f0_c3 AS c ASOF JOIN (SELECT * FROM f0_s4) AS s
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
    UNION ALL
    SELECT user_id, 4 AS k FROM f0_c3
    UNION ALL
    SELECT user_id, 5 AS k FROM f0_c4
  ) AS r GROUP BY user_id
)
SELECT u.user_id
FROM "users" AS u
LEFT JOIN f0 ON f0.user_id = u.user_id
WHERE u.app_id = ?
  AND coalesce(f0.reached, 0) = ?
-- params: ["corpus","2026-10-28T14:30:00Z","view_item","corpus","2026-10-28T14:30:00Z","view_item","corpus","2026-10-28T14:30:00Z","add_to_cart","corpus","2026-10-28T14:30:00Z","view_item","corpus","2026-10-28T14:30:00Z","$buy",86400000,86400000,86400000,86400000,"corpus",2]

WITH f0_s0 AS (
  SELECT e.user_id, e.time FROM "events" AS e
  WHERE e.app_id = ? AND e.time <= ? AND e.name = ? AND e.time > ? AND coalesce(len(list_filter(list_transform(list_filter(flatten(list_transform([json_extract(e.properties, '$."category"')], lambda j: CASE
    WHEN starts_with(j, '[') THEN json_extract(j, '$[*]') ELSE [j] END)), lambda v: v <> 'null'), lambda v: {
    'n': NULL::DOUBLE,
    's': CASE WHEN starts_with(v, '"') THEN v->>'$' END,
    'b': NULL::BOOLEAN,
    't': NULL::TIMESTAMPTZ}), lambda y: y.s = ?)) > 0, false)
),
f0_s1 AS (
  SELECT e.user_id, e.time FROM "events" AS e
  WHERE e.app_id = ? AND e.time <= ? AND e.name = ? AND e.time > ? AND coalesce(len(list_filter(list_transform(list_filter(flatten(list_transform(CASE WHEN len(json_extract(e.properties, '$."items"[*]."category"')) > 0 THEN json_extract(e.properties, '$."items"[*]."category"')
    ELSE [json_extract(e.properties, '$."items"."category"')] END, lambda j: CASE
    WHEN starts_with(j, '[') THEN json_extract(j, '$[*]') ELSE [j] END)), lambda v: v <> 'null'), lambda v: {
    'n': NULL::DOUBLE,
    's': CASE WHEN starts_with(v, '"') THEN v->>'$' END,
    'b': NULL::BOOLEAN,
    't': NULL::TIMESTAMPTZ}), lambda y: y.s = ?)) > 0, false)
),
f0_c0 AS (SELECT DISTINCT user_id, time AS t1, time AS t FROM f0_s0),
f0_c1 AS (
  SELECT c.user_id, c.t1, s.time AS t
  FROM f0_c0 AS c ASOF JOIN (SELECT * FROM f0_s1) AS s
    ON s.user_id = c.user_id AND s.time > c.t
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
  AND coalesce(f0.reached, 0) = ?
-- params: ["corpus","2026-10-28T14:30:00Z","view_item","2026-09-28T14:30:00Z","electronics","corpus","2026-10-28T14:30:00Z","$buy","2026-09-28T14:30:00Z","electronics","corpus",1]

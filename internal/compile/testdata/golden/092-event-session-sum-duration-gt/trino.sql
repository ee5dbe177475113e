WITH s AS (
  SELECT e.user_id,
    CAST((
reduce(array_sort(flatten(array_agg(transform(filter(filter(transform(coalesce(CAST(json_parse(json_query(e.properties, 'lax $."duration_s"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))),
    v -> json_format(v)), v -> v <> 'null'), v -> regexp_like(v, '^-?[0-9]')), v -> CAST(v AS DOUBLE) + 0.0)) FILTER (WHERE e.name = ? AND e.time >= ?))), DOUBLE '0', (a, x) -> a + x, a -> a)) AS DOUBLE) AS a0
  FROM "events" AS e
  WHERE e.app_id = ? AND e.time <= ?
    AND e.name IN (?)
    AND ((e.name = ? AND e.time >= ?))
  GROUP BY e.user_id
)
SELECT u.user_id
FROM "users" AS u
LEFT JOIN s ON s.user_id = u.user_id
WHERE u.app_id = ?
  AND coalesce(coalesce(s.a0, 0) > ?, false)
-- params: ["$session","2026-09-30T22:00:00Z","corpus","2026-10-28T14:30:00Z","$session","$session","2026-09-30T22:00:00Z","corpus",20000]

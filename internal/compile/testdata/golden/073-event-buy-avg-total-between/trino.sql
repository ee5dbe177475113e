WITH s AS (
  SELECT e.user_id,
    CAST((
reduce(array_sort(flatten(array_agg(transform(filter(filter(transform(coalesce(CAST(json_parse(json_query(e.properties, 'lax $."total"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))),
    v -> json_format(v)), v -> v <> 'null'), v -> regexp_like(v, '^-?[0-9]')), v -> CAST(v AS DOUBLE) + 0.0)) FILTER (WHERE e.name = ?))), DOUBLE '0', (a, x) -> a + x, a -> a) / nullif(cardinality(array_sort(flatten(array_agg(transform(filter(filter(transform(coalesce(CAST(json_parse(json_query(e.properties, 'lax $."total"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))),
    v -> json_format(v)), v -> v <> 'null'), v -> regexp_like(v, '^-?[0-9]')), v -> CAST(v AS DOUBLE) + 0.0)) FILTER (WHERE e.name = ?)))), 0)) AS DOUBLE) AS a0
  FROM "events" AS e
  WHERE e.app_id = ? AND e.time <= ?
    AND e.name IN (?)
    AND ((e.name = ?))
  GROUP BY e.user_id
)
SELECT u.user_id
FROM "users" AS u
LEFT JOIN s ON s.user_id = u.user_id
WHERE u.app_id = ?
  AND coalesce(s.a0 BETWEEN ? AND ?, false)
-- params: ["$buy","$buy","corpus","2026-10-28T14:30:00Z","$buy","$buy","corpus",2000,8000]

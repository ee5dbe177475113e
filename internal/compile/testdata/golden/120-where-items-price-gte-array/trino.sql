WITH s AS (
  SELECT e.user_id,
    CAST((count(*) FILTER (WHERE e.name = ? AND e.time >= ? AND e.time < ? AND coalesce(any_match(transform(filter(transform(coalesce(CAST(json_parse(json_query(e.properties, 'lax $."items"[*]?(@.type() == "object")."price"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))),
    v -> json_format(v)), v -> v <> 'null'), v -> CAST(ROW(
    CASE WHEN regexp_like(v, '^-?[0-9]') THEN CAST(v AS DOUBLE) + 0.0 END,
    NULL,
    NULL,
    NULL) AS ROW(n DOUBLE, s VARCHAR, b BOOLEAN, t TIMESTAMP(6) WITH TIME ZONE))), y -> y.n >= ?), false))) AS DOUBLE) AS a0
  FROM "events" AS e
  WHERE e.app_id = ? AND e.time <= ?
    AND e.name IN (?)
    AND ((e.name = ? AND e.time >= ? AND e.time < ?))
  GROUP BY e.user_id
)
SELECT u.user_id
FROM "users" AS u
LEFT JOIN s ON s.user_id = u.user_id
WHERE u.app_id = ?
  AND coalesce(coalesce(s.a0, 0) >= ?, false)
-- params: ["$buy","2026-08-31T22:00:00Z","2026-09-30T22:00:00Z",10000,"corpus","2026-10-28T14:30:00Z","$buy","$buy","2026-08-31T22:00:00Z","2026-09-30T22:00:00Z","corpus",1]

WITH s AS (
  SELECT e.user_id,
    CAST((count(*) FILTER (WHERE e.name = ? AND coalesce(any_match(transform(filter(transform(coalesce(CAST(json_parse(json_query(e.properties, 'lax $."coupon"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))),
    v -> json_format(v)), v -> v <> 'null'), v -> CAST(ROW(
    NULL,
    CASE WHEN substr(v, 1, 1) = '"' THEN CAST(json_parse(v) AS VARCHAR) END,
    NULL,
    NULL) AS ROW(n DOUBLE, s VARCHAR, b BOOLEAN, t TIMESTAMP(6) WITH TIME ZONE))), y -> y.s <> ?), false))) AS DOUBLE) AS a0
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
  AND coalesce(coalesce(s.a0, 0) >= ?, false)
-- params: ["$buy","","corpus","2026-10-28T14:30:00Z","$buy","$buy","corpus",2]

WITH s AS (
  SELECT e.user_id,
    CAST((min(array_min(transform(filter(filter(transform(coalesce(CAST(json_parse(json_query(e.properties, 'lax $."items"[*]?(@.type() == "object")."price"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))),
    v -> json_format(v)), v -> v <> 'null'), v -> regexp_like(v, '^-?[0-9]')), v -> CAST(v AS DOUBLE) + 0.0))) FILTER (WHERE e.name = ?)) AS DOUBLE) AS a0
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
  AND coalesce(s.a0 < ?, false)
-- params: ["$buy","corpus","2026-10-28T14:30:00Z","$buy","$buy","corpus",500]

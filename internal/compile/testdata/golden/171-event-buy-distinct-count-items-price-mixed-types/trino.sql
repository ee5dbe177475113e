WITH s AS (
  SELECT e.user_id,
    CAST((cardinality(filter(array_distinct(flatten(array_agg(transform(transform(filter(transform(coalesce(CAST(json_parse(json_query(e.properties, 'lax $."items"[*]?(@.type() == "object")."price"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))),
    v -> json_format(v)), v -> v <> 'null'), v -> CAST(ROW(
    CASE WHEN regexp_like(v, '^-?[0-9]') THEN CAST(v AS DOUBLE) + 0.0 END,
    CASE WHEN substr(v, 1, 1) = '"' THEN CAST(json_parse(v) AS VARCHAR) END,
    CASE v WHEN 'true' THEN true WHEN 'false' THEN false END,
    NULL) AS ROW(n DOUBLE, s VARCHAR, b BOOLEAN, t TIMESTAMP(6) WITH TIME ZONE))), y -> CASE
        WHEN y.n IS NOT NULL THEN 'n' || CAST(y.n AS VARCHAR)
        WHEN y.s IS NOT NULL THEN 's' || y.s
        WHEN y.b IS NOT NULL THEN 'b' || CAST(y.b AS VARCHAR) END)) FILTER (WHERE e.name = ?))), k -> k IS NOT NULL))) AS DOUBLE) AS a0
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
-- params: ["$buy","corpus","2026-10-28T14:30:00Z","$buy","$buy","corpus",3]

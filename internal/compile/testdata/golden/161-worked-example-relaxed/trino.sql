WITH s AS (
  SELECT e.user_id,
    element_at(array_agg(element_at(transform(filter(transform(coalesce(CAST(json_parse(json_query(e.properties, 'lax $."isMember"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))),
    v -> json_format(v)), v -> v <> 'null'), v -> CAST(ROW(
    CASE WHEN regexp_like(v, '^-?[0-9]') THEN CAST(v AS DOUBLE) + 0.0 END,
    CASE WHEN substr(v, 1, 1) = '"' THEN CAST(json_parse(v) AS VARCHAR) END,
    CASE v WHEN 'true' THEN true WHEN 'false' THEN false END,
    NULL) AS ROW(n DOUBLE, s VARCHAR, b BOOLEAN, t TIMESTAMP(6) WITH TIME ZONE))), 1) ORDER BY e.time DESC, e.event_id DESC) FILTER (WHERE e.name = ? AND e.time >= ?), 1) AS a0,
    CAST((
reduce(array_sort(flatten(array_agg(transform(filter(filter(transform(coalesce(CAST(json_parse(json_query(e.properties, 'lax $."items"[*]?(@.type() == "object")."price"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))),
    v -> json_format(v)), v -> v <> 'null'), v -> regexp_like(v, '^-?[0-9]')), v -> CAST(v AS DOUBLE) + 0.0)) FILTER (WHERE e.name = ?))), DOUBLE '0', (a, x) -> a + x, a -> a) / nullif(cardinality(array_sort(flatten(array_agg(transform(filter(filter(transform(coalesce(CAST(json_parse(json_query(e.properties, 'lax $."items"[*]?(@.type() == "object")."price"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))),
    v -> json_format(v)), v -> v <> 'null'), v -> regexp_like(v, '^-?[0-9]')), v -> CAST(v AS DOUBLE) + 0.0)) FILTER (WHERE e.name = ?)))), 0)) AS DOUBLE) AS a1,
    CAST((
reduce(array_sort(flatten(array_agg(transform(filter(filter(transform(coalesce(CAST(json_parse(json_query(e.properties, 'lax $."items"[*]?(@.type() == "object")."price"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))),
    v -> json_format(v)), v -> v <> 'null'), v -> regexp_like(v, '^-?[0-9]')), v -> CAST(v AS DOUBLE) + 0.0)) FILTER (WHERE e.name = ? AND e.time >= ? AND e.time < ?))), DOUBLE '0', (a, x) -> a + x, a -> a)) AS DOUBLE) AS a2,
    CAST((count(*) FILTER (WHERE e.name = ? AND e.time >= ? AND e.time < ?)) AS DOUBLE) AS a3
  FROM "events" AS e
  WHERE e.app_id = ? AND e.time <= ?
    AND e.name IN (?, ?, ?)
    AND ((e.name = ? AND e.time >= ?)
      OR (e.name = ?)
      OR (e.name = ? AND e.time >= ? AND e.time < ?))
  GROUP BY e.user_id
)
SELECT u.user_id
FROM "users" AS u
LEFT JOIN s ON s.user_id = u.user_id
WHERE u.app_id = ?
  AND (coalesce(s.a0.n = ?, false) AND coalesce(s.a1 >= ?, false) AND coalesce(coalesce(s.a2, 0) <= ?, false) AND coalesce(coalesce(s.a3, 0) > ?, false))
-- params: ["$meta","2026-10-25T23:00:00Z","$buy","$buy","$buy","2026-10-18T22:00:00Z","2026-10-25T23:00:00Z","$session","2026-10-18T22:00:00Z","2026-10-25T23:00:00Z","corpus","2026-10-28T14:30:00Z","$meta","$buy","$session","$meta","2026-10-25T23:00:00Z","$buy","$session","2026-10-18T22:00:00Z","2026-10-25T23:00:00Z","corpus",1,5000,100,2]

WITH s AS (
  SELECT g.user_id,
    reduce(g.ev,
      CAST(ROW(NULL, repeat(NULL, 3), repeat(NULL, 3)) AS ROW(t TIMESTAMP(6) WITH TIME ZONE, c ARRAY(TIMESTAMP(6) WITH TIME ZONE), d ARRAY(TIMESTAMP(6) WITH TIME ZONE))),
      (r, x) -> transform(ARRAY[IF(x.t > r.t, r.c, r.d)], d -> CAST(ROW(x.t, transform(sequence(1, 3), k -> coalesce(IF(element_at(x.f, element_at(ARRAY[1, 2, 1], k)) AND (k > 1 OR TRUE AND x.t >= ? AND x.t < ?) AND x.t <= IF(k = 1, x.t, element_at(d, greatest(k - 1, 1))) + ? * INTERVAL '0.001' SECOND, IF(k = 1, x.t, element_at(d, greatest(k - 1, 1)))), element_at(r.c, k))), d) AS ROW(t TIMESTAMP(6) WITH TIME ZONE, c ARRAY(TIMESTAMP(6) WITH TIME ZONE), d ARRAY(TIMESTAMP(6) WITH TIME ZONE))))[1],
      r -> cardinality(filter(r.c, t1 -> t1 IS NOT NULL))) AS f0
  FROM (SELECT e.user_id,
    array_agg(CAST(ROW(e.time, ARRAY[e.name = ?,
        e.name = ? AND coalesce(any_match(transform(filter(transform(coalesce(CAST(json_parse(json_query(e.properties, 'lax $."isMember"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))),
    v -> json_format(v)), v -> v <> 'null'), v -> CAST(ROW(
    CASE WHEN regexp_like(v, '^-?[0-9]') THEN CAST(v AS DOUBLE) + 0.0 END,
    NULL,
    NULL,
    NULL) AS ROW(n DOUBLE, s VARCHAR, b BOOLEAN, t TIMESTAMP(6) WITH TIME ZONE))), y -> y.n = ?), false)]) AS ROW(t TIMESTAMP(6) WITH TIME ZONE, f ARRAY(BOOLEAN))) ORDER BY e.time)
      FILTER (WHERE e.name IN (?, ?)) AS ev
  FROM "events" AS e
  WHERE e.app_id = ? AND e.time <= ?
    AND e.name IN (?)
    AND ((e.name = ? AND e.time >= ?))
  GROUP BY e.user_id) AS g
)
SELECT u.user_id
FROM "users" AS u
LEFT JOIN s ON s.user_id = u.user_id
WHERE u.app_id = ?
  AND coalesce(s.f0, 0) >= ?
-- params: ["2026-10-26T23:00:00Z","2026-10-27T23:00:00Z",86400000,"$meta","$meta",1,"$meta","$meta","corpus","2026-10-28T14:30:00Z","$meta","$meta","2026-10-26T23:00:00Z","corpus",2]

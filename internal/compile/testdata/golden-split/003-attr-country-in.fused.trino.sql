SELECT u.user_id
FROM (
  SELECT app_id, user_id, attributes, first_seen, last_seen
  FROM "cassandra"."segmentd"."users"
  WHERE app_id = ? AND bucket IN (?, ?)
) AS u
WHERE u.app_id = ?
  AND coalesce(any_match(transform(filter(transform(coalesce(CAST(json_parse(json_query(u.attributes, 'lax $."country"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))),
    v -> json_format(v)), v -> v <> 'null'), v -> CAST(ROW(
    CASE WHEN regexp_like(v, '^-?[0-9]') THEN CAST(v AS DOUBLE) + 0.0 END,
    CASE WHEN substr(v, 1, 1) = '"' THEN CAST(json_parse(v) AS VARCHAR) END,
    NULL,
    NULL) AS ROW(n DOUBLE, s VARCHAR, b BOOLEAN, t TIMESTAMP(6) WITH TIME ZONE))), y -> (y.s IN (?, ?))), false)
-- params: ["corpus","0","1","corpus","JP","KR"]

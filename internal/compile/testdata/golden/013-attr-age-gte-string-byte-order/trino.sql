SELECT u.user_id
FROM "users" AS u
WHERE u.app_id = ?
  AND coalesce(any_match(transform(filter(transform(coalesce(CAST(json_parse(json_query(u.attributes, 'lax $."age"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))),
    v -> json_format(v)), v -> v <> 'null'), v -> CAST(ROW(
    NULL,
    CASE WHEN substr(v, 1, 1) = '"' THEN CAST(json_parse(v) AS VARCHAR) END,
    NULL,
    NULL) AS ROW(n DOUBLE, s VARCHAR, b BOOLEAN, t TIMESTAMP(6) WITH TIME ZONE))), y -> y.s >= ?), false)
-- params: ["corpus","3"]

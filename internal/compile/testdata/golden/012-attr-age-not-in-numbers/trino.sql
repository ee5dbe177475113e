SELECT u.user_id
FROM "users" AS u
WHERE u.app_id = ?
  AND coalesce(any_match(transform(filter(coalesce(CAST(json_parse(json_query(u.attributes, 'lax $."age"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))),
    v -> json_format(v) <> 'null'), v -> CAST(ROW(
    CASE WHEN regexp_like(json_format(v), '^-?[0-9]') THEN CAST(v AS DOUBLE) + 0.0 END,
    CASE WHEN substr(json_format(v), 1, 1) = '"' THEN CAST(v AS VARCHAR) END,
    CASE WHEN json_format(v) IN ('true', 'false') THEN CAST(v AS BOOLEAN) END,
    NULL) AS ROW(n DOUBLE, s VARCHAR, b BOOLEAN, t TIMESTAMP(6) WITH TIME ZONE))), y -> (y.s IS NOT NULL OR y.n NOT IN (?, ?, ?))), false)
-- params: ["corpus",18,21,42]

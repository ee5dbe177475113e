SELECT u.user_id
FROM "users" AS u
WHERE u.app_id = ?
  AND coalesce(any_match(transform(filter(transform(coalesce(CAST(json_parse(json_query(u.attributes, 'lax $."age"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))),
    v -> json_format(v)), v -> v <> 'null'), v -> CAST(ROW(
    CASE WHEN regexp_like(v, '^-?[0-9]') THEN CAST(v AS DOUBLE) + 0.0 END,
    NULL,
    NULL,
    NULL) AS ROW(n DOUBLE, s VARCHAR, b BOOLEAN, t TIMESTAMP(6) WITH TIME ZONE))), y -> y.n >= ?), false)
-- params: ["corpus",65]

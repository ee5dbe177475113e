SELECT u.user_id
FROM "users" AS u
WHERE u.app_id = ?
  AND coalesce(any_match(transform(filter(transform(coalesce(CAST(json_parse(json_query(u.attributes, 'lax $."member"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))),
    v -> json_format(v)), v -> v <> 'null'), v -> CAST(ROW(
    NULL,
    NULL,
    CASE v WHEN 'true' THEN true WHEN 'false' THEN false END,
    NULL) AS ROW(n DOUBLE, s VARCHAR, b BOOLEAN, t TIMESTAMP(6) WITH TIME ZONE))), y -> y.b <> ?), false)
-- params: ["corpus",false]

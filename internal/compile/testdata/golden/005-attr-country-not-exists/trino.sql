SELECT u.user_id
FROM "users" AS u
WHERE u.app_id = ?
  AND coalesce(cardinality(transform(filter(transform(coalesce(CAST(json_parse(json_query(u.attributes, 'lax $."country"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))),
    v -> json_format(v)), v -> v <> 'null'), v -> CAST(ROW(
    NULL,
    NULL,
    NULL,
    NULL) AS ROW(n DOUBLE, s VARCHAR, b BOOLEAN, t TIMESTAMP(6) WITH TIME ZONE)))) = 0, false)
-- params: ["corpus"]

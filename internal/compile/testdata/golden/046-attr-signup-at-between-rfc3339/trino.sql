SELECT u.user_id
FROM "users" AS u
WHERE u.app_id = ?
  AND coalesce(any_match(transform(filter(transform(coalesce(CAST(json_parse(json_query(u.attributes, 'lax $."signup_at"[*]' WITH ARRAY WRAPPER)) AS ARRAY(JSON)), CAST(ARRAY[] AS ARRAY(JSON))),
    v -> json_format(v)), v -> v <> 'null'), v -> CAST(ROW(
    NULL,
    CASE WHEN substr(v, 1, 1) = '"' THEN CAST(json_parse(v) AS VARCHAR) END,
    NULL,
    NULL) AS ROW(n DOUBLE, s VARCHAR, b BOOLEAN, t TIMESTAMP(6) WITH TIME ZONE))), y -> coalesce(y.t, CASE WHEN regexp_like(y.s, '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$') THEN from_iso8601_timestamp_nanos(y.s) END) BETWEEN ? AND ?), false)
-- params: ["corpus","2026-03-28T23:00:00Z","2026-06-30T23:59:59.999Z"]

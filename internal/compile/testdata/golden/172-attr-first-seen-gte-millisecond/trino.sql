SELECT u.user_id
FROM "users" AS u
WHERE u.app_id = ?
  AND coalesce(any_match(filter(ARRAY[CAST(ROW(NULL, NULL, NULL, u.first_seen) AS ROW(n DOUBLE, s VARCHAR, b BOOLEAN, t TIMESTAMP(6) WITH TIME ZONE))], y -> y.t IS NOT NULL), y -> coalesce(y.t, CASE WHEN regexp_like(y.s, '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$') THEN from_iso8601_timestamp_nanos(y.s) END) >= ?), false)
-- params: ["corpus","2026-10-18T22:00:00.001Z"]

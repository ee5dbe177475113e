SELECT u.user_id
FROM "users" AS u
WHERE u.app_id = ?
  AND coalesce(cardinality(ARRAY[CAST(ROW(NULL, u.user_id, NULL, NULL) AS ROW(n DOUBLE, s VARCHAR, b BOOLEAN, t TIMESTAMP(6) WITH TIME ZONE))]) > 0, false)
-- params: ["corpus"]

SELECT u.user_id
FROM "users" AS u
WHERE u.app_id = ?
  AND coalesce(any_match(ARRAY[CAST(ROW(NULL, u.user_id, NULL, NULL) AS ROW(n DOUBLE, s VARCHAR, b BOOLEAN, t TIMESTAMP(6) WITH TIME ZONE))], y -> (y.s IN (?, ?, ?, ?, ?))), false)
-- params: ["corpus","u000001","u000010","u000100","u001000","u999999"]

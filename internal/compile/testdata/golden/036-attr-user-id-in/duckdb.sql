SELECT u.user_id
FROM "users" AS u
WHERE u.app_id = ?
  AND coalesce(len(list_filter([{'n': NULL::DOUBLE, 's': u.user_id, 'b': NULL::BOOLEAN, 't': NULL::TIMESTAMPTZ}], lambda y: (y.s IN (?, ?, ?, ?, ?)))) > 0, false)
-- params: ["corpus","u000001","u000010","u000100","u001000","u999999"]

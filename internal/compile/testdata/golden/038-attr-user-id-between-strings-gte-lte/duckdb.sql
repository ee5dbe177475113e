SELECT u.user_id
FROM "users" AS u
WHERE u.app_id = ?
  AND (coalesce(len(list_filter([{'n': NULL::DOUBLE, 's': u.user_id, 'b': NULL::BOOLEAN, 't': NULL::TIMESTAMPTZ}], lambda y: y.s >= ?)) > 0, false) AND coalesce(len(list_filter([{'n': NULL::DOUBLE, 's': u.user_id, 'b': NULL::BOOLEAN, 't': NULL::TIMESTAMPTZ}], lambda y: y.s <= ?)) > 0, false))
-- params: ["corpus","u001000","u001499"]

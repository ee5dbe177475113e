SELECT u.user_id
FROM "users" AS u
WHERE u.app_id = ?
  AND coalesce(len(list_filter([{'n': NULL::DOUBLE, 's': u.user_id, 'b': NULL::BOOLEAN, 't': NULL::TIMESTAMPTZ}], lambda y: starts_with(y.s, ?))) > 0, false)
-- params: ["corpus","u0012"]

SELECT u.user_id
FROM "users" AS u
WHERE u.app_id = ?
  AND coalesce(len([{'n': NULL::DOUBLE, 's': u.user_id, 'b': NULL::BOOLEAN, 't': NULL::TIMESTAMPTZ}]) > 0, false)
-- params: ["corpus"]

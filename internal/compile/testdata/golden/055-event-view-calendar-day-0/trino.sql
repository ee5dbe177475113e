WITH s AS (
  SELECT e.user_id,
    CAST((count(*) FILTER (WHERE e.name = ? AND e.time >= ?)) AS DOUBLE) AS a0
  FROM "events" AS e
  WHERE e.app_id = ? AND e.time <= ?
    AND e.name IN (?)
    AND ((e.name = ? AND e.time >= ?))
  GROUP BY e.user_id
)
SELECT u.user_id
FROM "users" AS u
LEFT JOIN s ON s.user_id = u.user_id
WHERE u.app_id = ?
  AND coalesce(coalesce(s.a0, 0) >= ?, false)
-- params: ["view_item","2026-10-27T23:00:00Z","corpus","2026-10-28T14:30:00Z","view_item","view_item","2026-10-27T23:00:00Z","corpus",1]

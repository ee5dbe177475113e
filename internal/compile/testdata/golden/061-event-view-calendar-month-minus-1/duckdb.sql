WITH s AS (
  SELECT e.user_id,
    (count(*) FILTER (WHERE e.a0_f))::DOUBLE AS a0
  FROM (SELECT e.user_id,
      (TRUE AND e.time >= ? AND e.time < ?) AS a0_f
    FROM "events" AS e
    WHERE e.app_id = ? AND e.time <= ? AND e.name = ? AND e.time >= ? AND e.time < ?
  ) AS e
  GROUP BY e.user_id
)
SELECT u.user_id
FROM "users" AS u
LEFT JOIN s ON s.user_id = u.user_id
WHERE u.app_id = ?
  AND coalesce(coalesce(s.a0, 0) >= ?, false)
-- params: ["2026-08-31T22:00:00Z","2026-09-30T22:00:00Z","corpus","2026-10-28T14:30:00Z","view_item","2026-08-31T22:00:00Z","2026-09-30T22:00:00Z","corpus",5]

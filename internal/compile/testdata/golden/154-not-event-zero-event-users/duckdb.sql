WITH s AS (
  SELECT e.user_id,
    (count(*) FILTER (WHERE e.a0_f))::DOUBLE AS a0
  FROM (SELECT e.user_id,
      (TRUE) AS a0_f
    FROM "events" AS e
    WHERE e.app_id = ? AND e.time <= ? AND e.name = ?
  ) AS e
  GROUP BY e.user_id
)
SELECT u.user_id
FROM "users" AS u
LEFT JOIN s ON s.user_id = u.user_id
WHERE u.app_id = ?
  AND NOT coalesce(coalesce(s.a0, 0) >= ?, false)
-- params: ["corpus","2026-10-28T14:30:00Z","$session","corpus",1]

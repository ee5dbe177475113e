WITH f0_s0 AS (
  SELECT e.user_id, e.time FROM "events" AS e
  WHERE e.app_id = ? AND e.time <= ? AND e.name = ? AND e.time >= ?
),
f0_s1 AS (
  SELECT e.user_id, e.time FROM "events" AS e
  WHERE e.app_id = ? AND e.time <= ? AND e.name = ? AND e.time > ?
),
f0_s2 AS (
  SELECT e.user_id, e.time FROM "events" AS e
  WHERE e.app_id = ? AND e.time <= ? AND e.name = ? AND e.time > ?
),
f0_s3 AS (
  SELECT e.user_id, e.time FROM "events" AS e
  WHERE e.app_id = ? AND e.time <= ? AND e.name = ? AND e.time > ?
),
f0_c0 AS (SELECT DISTINCT user_id, time AS t1, time AS t FROM f0_s0 WHERE user_id IN (SELECT user_id FROM f0_s3)),
f0_c1 AS (
  SELECT c.user_id, c.t1, s.time AS t
  FROM f0_c0 AS c ASOF JOIN (SELECT * FROM f0_s1 WHERE user_id IN (SELECT user_id FROM f0_s3)) AS s
    ON s.user_id = c.user_id AND s.time > c.t
  WHERE s.time <= c.t1 + to_milliseconds(?)
),
f0_c2 AS (
  SELECT c.user_id, c.t1, s.time AS t
  FROM f0_c1 AS c ASOF JOIN (SELECT * FROM f0_s2 WHERE user_id IN (SELECT user_id FROM f0_s3)) AS s
    ON s.user_id = c.user_id AND s.time > c.t
  WHERE s.time <= c.t1 + to_milliseconds(?)
),
f0_c3 AS (
  SELECT c.user_id, c.t1, s.time AS t
  FROM f0_c2 AS c ASOF JOIN (SELECT * FROM f0_s3) AS s
    ON s.user_id = c.user_id AND s.time > c.t
  WHERE s.time <= c.t1 + to_milliseconds(?)
),
f0 AS (
  SELECT DISTINCT user_id, 4 AS reached FROM f0_c3
)
SELECT u.user_id
FROM "users" AS u
LEFT JOIN f0 ON f0.user_id = u.user_id
WHERE u.app_id = ?
  AND coalesce(f0.reached, 0) >= ?
-- params: ["corpus","2026-10-28T14:30:00Z","$session","2026-09-30T22:00:00Z","corpus","2026-10-28T14:30:00Z","view_item","2026-09-30T22:00:00Z","corpus","2026-10-28T14:30:00Z","add_to_cart","2026-09-30T22:00:00Z","corpus","2026-10-28T14:30:00Z","$buy","2026-09-30T22:00:00Z",7200000,7200000,7200000,"corpus",4]

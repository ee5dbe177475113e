-- A session, an item view, an add to cart and a paid purchase, in that
-- order (each strictly after the one before: equal times do not advance),
-- the purchase within an hour of the session, the session in the last 30
-- days (the later steps may fall after it, up to as_of).
--
-- For each session, the earliest next step is the best one to take: each
-- step joins the previous one's times to the next events of the user
-- within the hour and keeps the earliest. Every step lies in the last 30
-- days, and only those (and history's partitions of them) are read.
WITH steps AS (
  SELECT user_id, name, time
  FROM events
  WHERE day >= CAST(at_timezone(:as_of - INTERVAL '30' DAY, 'UTC') AS date)
    AND time > :as_of - INTERVAL '30' DAY AND time <= :as_of
    AND (name IN ('$session', 'view_item', 'add_to_cart')
      OR name = '$buy' AND json_value(properties, 'lax $.total?(@.type() == "number")' RETURNING double) > 0)
),
sessions AS (
  SELECT DISTINCT user_id, time AS t1 FROM steps WHERE name = '$session'
),
views AS (
  SELECT s.user_id, s.t1, min(v.time) AS t2
  FROM sessions AS s
  JOIN steps AS v ON v.user_id = s.user_id AND v.time > s.t1 AND v.time <= s.t1 + INTERVAL '1' HOUR
  WHERE v.name = 'view_item'
  GROUP BY s.user_id, s.t1
),
carts AS (
  SELECT s.user_id, s.t1, min(c.time) AS t3
  FROM views AS s
  JOIN steps AS c ON c.user_id = s.user_id AND c.time > s.t2 AND c.time <= s.t1 + INTERVAL '1' HOUR
  WHERE c.name = 'add_to_cart'
  GROUP BY s.user_id, s.t1
)
SELECT DISTINCT s.user_id
FROM carts AS s
JOIN steps AS b ON b.user_id = s.user_id AND b.time > s.t3 AND b.time <= s.t1 + INTERVAL '1' HOUR
WHERE b.name = '$buy'

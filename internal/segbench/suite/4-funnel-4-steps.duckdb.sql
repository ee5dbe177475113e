-- A session, an item view, an add to cart and a paid purchase, in that
-- order (each strictly after the one before: equal times do not advance),
-- the purchase within an hour of the session, the session in the last 30
-- days (the later steps may fall after it, up to as_of).
--
-- For each session, the earliest next step is the best one to take: an
-- ASOF join finds it (the first event strictly after the previous step).
WITH steps AS (
  SELECT user_id, name, time
  FROM events
  WHERE app_id = :app_id AND time <= :as_of
    AND name IN ('$session', 'view_item', 'add_to_cart', '$buy')
    AND (name <> '$buy' OR CASE WHEN json_type(properties, '$.total') IN ('UBIGINT', 'BIGINT', 'DOUBLE')
      THEN (properties->>'$.total')::DOUBLE END > 0)
),
sessions AS (
  SELECT user_id, time AS t1 FROM steps
  WHERE name = '$session' AND time > :as_of - INTERVAL (30 * 24) HOUR
),
views AS (
  SELECT s.user_id, s.t1, v.time AS t2
  FROM sessions AS s ASOF JOIN (SELECT user_id, time FROM steps WHERE name = 'view_item') AS v
    ON v.user_id = s.user_id AND v.time > s.t1
  WHERE v.time <= s.t1 + INTERVAL 1 HOUR
),
carts AS (
  SELECT s.user_id, s.t1, c.time AS t3
  FROM views AS s ASOF JOIN (SELECT user_id, time FROM steps WHERE name = 'add_to_cart') AS c
    ON c.user_id = s.user_id AND c.time > s.t2
  WHERE c.time <= s.t1 + INTERVAL 1 HOUR
)
SELECT DISTINCT s.user_id
FROM carts AS s ASOF JOIN (SELECT user_id, time FROM steps WHERE name = '$buy') AS b
  ON b.user_id = s.user_id AND b.time > s.t3
WHERE b.time <= s.t1 + INTERVAL 1 HOUR

-- The 4-step funnel on ClickHouse: a session, an item view, an add to
-- cart and a paid purchase, in that order, each strictly after the one
-- before (equal times do not advance), the purchase within an hour of the
-- session, the session in the last 30 days. The later steps follow the
-- session within the hour, so they lie in those 30 days too.
--
-- windowFunnel is not used: with equal times it is not exact. Instead each
-- user's step events are sorted by time and, at equal times, the later
-- step first, and each step is one vectorized pass over that list
-- (arrayFill carries the last value forward): from<k> is, at each event,
-- the latest session from which step k was reached by an event before it
-- (0: none, which no step is within an hour of). The latest session is the
-- best one, since every later step is measured from it; with the later
-- step first at one instant, an event sees only what events strictly
-- before it reached.
SELECT user_id
FROM (
  SELECT user_id,
    arraySort(e -> (e.1, -e.2), groupArray((toUnixTimestamp64Micro(time),
      toInt8(indexOf(['$session', 'view_item', 'add_to_cart', '$buy'], name))))) AS steps,
    arrayMap(e -> e.1, steps) AS t,
    arrayMap(e -> e.2, steps) AS step,
    arrayFill(x -> x != 0, arrayMap((ti, si) -> if(si = 1, ti, 0), t, step)) AS from1,
    arrayFill(x -> x != 0, arrayMap((ti, si, f) -> if(si = 2 AND ti - f <= 3600000000, f, 0), t, step, from1)) AS from2,
    arrayFill(x -> x != 0, arrayMap((ti, si, f) -> if(si = 3 AND ti - f <= 3600000000, f, 0), t, step, from2)) AS from3
  FROM events
  WHERE app_id = :app_id AND time <= :as_of AND time > :as_of - INTERVAL (30 * 24) HOUR
    AND (name IN ('$session', 'view_item', 'add_to_cart')
      OR name = '$buy' AND arrayExists(x -> x > 0, seg_numbers(seg_path1(properties, 'total'))))
  GROUP BY user_id
)
WHERE arrayExists((ti, si, f) -> si = 4 AND ti - f <= 3600000000, t, step, from3)

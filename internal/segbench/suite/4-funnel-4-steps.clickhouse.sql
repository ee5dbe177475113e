-- The 4-step funnel on ClickHouse: a session, an item view, an add to
-- cart and a paid purchase, in that order, each strictly after the one
-- before (equal times do not advance), the purchase within an hour of the
-- session, the session in the last 30 days. The later steps follow the
-- session within the hour, so they lie in those 30 days too.
--
-- windowFunnel is not used: with equal times it is not exact. Instead each
-- user's step events, in time order and at equal times the later step
-- first, are folded in one pass that keeps, for each step k, the latest
-- session from which step k was reached: the latest is the best, since
-- every later step is measured from it. Later steps first at one instant
-- means an event reads only what events strictly before it reached.
SELECT user_id
FROM events
WHERE app_id = :app_id AND time <= :as_of AND time > :as_of - INTERVAL (30 * 24) HOUR
  AND (name IN ('$session', 'view_item', 'add_to_cart')
    OR name = '$buy' AND arrayExists(x -> x > 0, seg_numbers(seg_path1(properties, 'total'))))
GROUP BY user_id
HAVING arrayFold((acc, e) -> (
    -- (session, reached view from, reached cart from, reached the purchase);
    -- 0 is no session, which no step is within an hour of
    if(e.2 = 1, e.1, acc.1),
    if(e.2 = 2 AND e.1 - acc.1 <= 3600000000, acc.1, acc.2),
    if(e.2 = 3 AND e.1 - acc.2 <= 3600000000, acc.2, acc.3),
    acc.4 OR e.2 = 4 AND e.1 - acc.3 <= 3600000000),
  arraySort(e -> (e.1, -e.2), groupArray((toUnixTimestamp64Micro(time),
    toInt8(indexOf(['$session', 'view_item', 'add_to_cart', '$buy'], name))))),
  (toInt64(0), toInt64(0), toInt64(0), false)).4

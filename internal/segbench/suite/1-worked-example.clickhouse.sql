-- The spec's worked example on ClickHouse (the tables and seg_* functions
-- of clickhouse/schema.sql): members by their latest $meta of today,
-- purchased items averaging at least 10000 over all time, at most 100
-- spent and more than 10 sessions last week.
-- Calendar days and weeks are the app's (:tz): local midnights turned
-- back into instants; weeks start on Monday.
WITH
  toTimeZone(:as_of, :tz) AS now_local,
  toStartOfDay(now_local) AS today,
  toDateTime(toStartOfWeek(now_local, 1) - 7, :tz) AS last_week,
  toDateTime(toStartOfWeek(now_local, 1), :tz) AS this_week
SELECT user_id
FROM (
  SELECT user_id, name, time, event_id,
    -- the first value of isMember (undefined: ''), compared below as a number
    if(name = '$meta', seg_path1(properties, 'isMember')[1], '') AS is_member,
    -- the numbers among the items' prices: a price given as a string, an
    -- item without one and a null item do not count
    if(name = '$buy', seg_numbers(seg_path2(properties, 'items', 'price')), []) AS prices
  FROM events
  -- each name only in its window: the primary key (app_id, name, time)
  -- reads just these ranges
  WHERE app_id = :app_id AND time <= :as_of
    AND (name = '$meta' AND time >= today
      OR name = '$buy'
      OR name = '$session' AND time >= last_week AND time < this_week)
)
GROUP BY user_id
HAVING
  -- the latest $meta of today, ties broken by the larger event_id
  match(argMaxIf(is_member, (time, event_id), name = '$meta') AS member, '^-?[0-9]') AND JSONExtractFloat(member) = 1
  -- avg: the sum from the least to the greatest, over how many
  AND notEmpty(groupArrayArrayIf(prices, name = '$buy') AS all_prices)
  AND seg_sum(all_prices) / length(all_prices) >= 10000
  AND seg_sum(groupArrayArrayIf(prices, name = '$buy' AND time >= last_week AND time < this_week)) <= 100
  AND countIf(name = '$session') > 10

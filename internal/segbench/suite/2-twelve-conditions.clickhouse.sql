-- Twelve conditions on ClickHouse: who the user is (country, age, e-mail,
-- membership or plan), how active lately (sessions in 30 days, item views
-- this month), how much bought (items over all time, the dearest item in
-- 90 days, the totals of last week) and a sign of intent (a cart in 7
-- days, or an electronics purchase this year).
-- Every event condition must hold, so the events first narrow the users
-- (IN), and only those users' profiles are read. An attribute holds when
-- any of its values (an array stands for its elements) is of the right
-- type and satisfies it; a missing or null one satisfies nothing.
-- A day of a "last" window is 24 hours; calendar periods are the app's.
WITH
  toTimeZone(:as_of, :tz) AS now_local,
  toDateTime(toStartOfWeek(now_local, 1) - 7, :tz) AS last_week,
  toDateTime(toStartOfWeek(now_local, 1), :tz) AS this_week,
  toDateTime(toStartOfMonth(now_local), :tz) AS this_month,
  toDateTime(toStartOfYear(now_local), :tz) AS this_year
SELECT user_id
FROM users
WHERE app_id = :app_id
  AND user_id IN (
    SELECT user_id
    FROM (
      SELECT user_id, name, time,
        if(name = '$buy', seg_numbers(seg_path2(properties, 'items', 'price')), []) AS prices,
        if(name = '$buy' AND time >= last_week AND time < this_week,
          seg_numbers(seg_path1(properties, 'total')), []) AS totals,
        name = '$buy' AND time >= this_year AND has(seg_strings(seg_path2(properties, 'items', 'category')), 'electronics') AS electronics
      FROM events
      WHERE app_id = :app_id AND time <= :as_of
        AND (name = '$session' AND time > :as_of - INTERVAL (30 * 24) HOUR
          OR name = 'view_item' AND time >= this_month
          OR name = '$buy'
          OR name = 'add_to_cart' AND time > :as_of - INTERVAL (7 * 24) HOUR)
    )
    GROUP BY user_id
    HAVING countIf(name = '$session') >= 5
      AND countIf(name = 'view_item') >= 3
      AND seg_sum(groupArrayArrayIf(prices, name = '$buy')) >= 20000
      AND maxArrayOrNullIf(prices, name = '$buy' AND time > :as_of - INTERVAL (90 * 24) HOUR) >= 3000
      AND seg_sum(groupArrayArray(totals)) <= 50000
      AND (countIf(name = 'add_to_cart') >= 1 OR countIf(electronics) >= 1))
  AND arrayExists(x -> x IN ('JP', 'KR', 'US', 'DE', 'FR'), seg_strings(seg_path1(attributes, 'country')))
  AND arrayExists(x -> x BETWEEN 18 AND 65, seg_numbers(seg_path1(attributes, 'age')))
  AND arrayExists(x -> endsWith(x, 'example.com'), seg_strings(seg_path1(attributes, 'email')))
  -- member eq true: the JSON boolean, not the string "true"
  AND (has(seg_path1(attributes, 'member'), 'true')
    OR arrayExists(x -> x IN ('plus', 'pro'), seg_strings(seg_path1(attributes, 'plan'))))

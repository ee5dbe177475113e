-- Calendar periods of the app's time zone (:tz) on ClickHouse: a session
-- today or three days ago, at least two item views last week (Monday to
-- Sunday), no purchase last month, and items worth at least 10000 bought
-- this year. Periods start at local midnight: the bounds are local dates
-- turned back into instants (toDateTime(date, tz)), so across a DST
-- change a day lasts 23 or 25 hours.
WITH
  toTimeZone(:as_of, :tz) AS now_local,
  toDateTime(toDate(now_local), :tz) AS today,
  toDateTime(toDate(now_local) - 3, :tz) AS day_3_ago,
  toDateTime(toDate(now_local) - 2, :tz) AS day_2_ago,
  toDateTime(toStartOfWeek(now_local, 1) - 7, :tz) AS last_week,
  toDateTime(toStartOfWeek(now_local, 1), :tz) AS this_week,
  toDateTime(addMonths(toStartOfMonth(now_local), -1), :tz) AS last_month,
  toDateTime(toStartOfMonth(now_local), :tz) AS this_month,
  toDateTime(toStartOfYear(now_local), :tz) AS this_year
SELECT user_id
FROM events
WHERE app_id = :app_id AND time <= :as_of
  AND (name = '$session' AND (time >= today OR time >= day_3_ago AND time < day_2_ago)
    OR name = 'view_item' AND time >= last_week AND time < this_week
    OR name = '$buy' AND time >= least(this_year, last_month))
GROUP BY user_id
HAVING countIf(name = '$session') >= 1
  AND countIf(name = 'view_item') >= 2
  AND countIf(name = '$buy' AND time >= last_month AND time < this_month) = 0
  AND seg_sum(groupArrayArrayIf(seg_numbers(seg_path2(properties, 'items', 'price')), name = '$buy' AND time >= this_year)) >= 10000

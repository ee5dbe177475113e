-- Calendar periods of the app's time zone (:tz): a session today or three
-- days ago, at least two item views last week (Monday to Sunday), no
-- purchase last month, and items worth at least 10000 bought this year.
-- Periods start at local midnight, so across a DST change a day lasts 23
-- or 25 hours: the bounds are local dates (the app's wall clock) turned
-- back into instants.
WITH local AS (
  SELECT CAST(at_timezone(:as_of, :tz) AS timestamp(3)) AS now
),
p AS (
  SELECT with_timezone(date_trunc('day', now), :tz) AS today,
         with_timezone(date_trunc('day', now) - INTERVAL '3' DAY, :tz) AS day_3_ago,
         with_timezone(date_trunc('day', now) - INTERVAL '2' DAY, :tz) AS day_2_ago,
         with_timezone(date_trunc('week', now) - INTERVAL '7' DAY, :tz) AS last_week,
         with_timezone(date_trunc('week', now), :tz) AS this_week,
         with_timezone(date_trunc('month', now) - INTERVAL '1' MONTH, :tz) AS last_month,
         with_timezone(date_trunc('month', now), :tz) AS this_month,
         with_timezone(date_trunc('year', now), :tz) AS this_year
  FROM local
),
per_user AS (
  SELECT e.user_id,
    count(*) FILTER (WHERE e.name = '$session' AND (e.time >= p.today
      OR e.time >= p.day_3_ago AND e.time < p.day_2_ago)) AS sessions,
    count(*) FILTER (WHERE e.name = 'view_item' AND e.time >= p.last_week AND e.time < p.this_week) AS views_last_week,
    count(*) FILTER (WHERE e.name = '$buy' AND e.time >= p.last_month AND e.time < p.this_month) AS buys_last_month,
    -- numeric prices only: a price given as a string does not count
    sum(reduce(CAST(json_parse(json_query(e.properties, 'lax $.items[*].price?(@.type() == "number")' WITH ARRAY WRAPPER)) AS array(double)),
      0e0, (s, x) -> s + x, s -> s)) FILTER (WHERE e.name = '$buy' AND e.time >= p.this_year) AS spent_this_year
  FROM events AS e CROSS JOIN p
  -- the earliest period read: this year, or last month in January (and
  -- history's partitions from its UTC day)
  WHERE e.day >= CAST(at_timezone(least(p.this_year, p.last_month), 'UTC') AS date)
    AND e.time <= :as_of AND e.time >= least(p.this_year, p.last_month)
    AND e.name IN ('$session', 'view_item', '$buy')
  GROUP BY e.user_id
)
SELECT user_id
FROM per_user
WHERE sessions >= 1 AND views_last_week >= 2 AND buys_last_month = 0 AND spent_this_year >= 10000

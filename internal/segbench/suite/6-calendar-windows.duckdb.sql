-- Calendar periods of the app's time zone (:tz): a session today or three
-- days ago, at least two item views last week (Monday to Sunday), no
-- purchase last month, and items worth at least 10000 bought this year.
-- Periods start at local midnight, so across a DST change a day lasts 23
-- or 25 hours: the bounds are local dates turned back into instants.
WITH local AS (
  SELECT timezone(:tz, :as_of::TIMESTAMPTZ) AS now
),
p AS (
  SELECT timezone(:tz, date_trunc('day', now)) AS today,
         timezone(:tz, date_trunc('day', now) - INTERVAL 3 DAY) AS day_3_ago,
         timezone(:tz, date_trunc('day', now) - INTERVAL 2 DAY) AS day_2_ago,
         timezone(:tz, date_trunc('week', now) - INTERVAL 1 WEEK) AS last_week,
         timezone(:tz, date_trunc('week', now)) AS this_week,
         timezone(:tz, date_trunc('month', now) - INTERVAL 1 MONTH) AS last_month,
         timezone(:tz, date_trunc('month', now)) AS this_month,
         timezone(:tz, date_trunc('year', now)) AS this_year
  FROM local
),
per_user AS (
  SELECT e.user_id,
    count(*) FILTER (WHERE e.name = '$session' AND (e.time >= p.today
      OR e.time >= p.day_3_ago AND e.time < p.day_2_ago)) AS sessions,
    count(*) FILTER (WHERE e.name = 'view_item' AND e.time >= p.last_week AND e.time < p.this_week) AS views_last_week,
    count(*) FILTER (WHERE e.name = '$buy' AND e.time >= p.last_month AND e.time < p.this_month) AS buys_last_month,
    sum(list_sum(list_transform(
      -- numeric prices only: a price given as a string does not count
      list_filter(json_extract(e.properties, '$.items[*].price'), lambda x: json_type(x) IN ('UBIGINT', 'BIGINT', 'DOUBLE')),
      lambda x: x::DOUBLE))) FILTER (WHERE e.name = '$buy' AND e.time >= p.this_year) AS spent_this_year
  FROM events AS e, p
  -- the earliest period read: this year, or last month in January
  WHERE e.app_id = :app_id AND e.time <= :as_of AND e.time >= least(p.this_year, p.last_month)
    AND e.name IN ('$session', 'view_item', '$buy')
  GROUP BY e.user_id
)
SELECT user_id
FROM per_user
WHERE sessions >= 1 AND views_last_week >= 2 AND buys_last_month = 0 AND spent_this_year >= 10000

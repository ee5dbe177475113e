-- The spec's worked example: members (by their latest $meta of today),
-- whose purchased items average at least 10000 over all time, who spent at
-- most 100 last week and had more than 10 sessions last week.
-- Calendar days and weeks are the app's (:tz), computed on its wall clock
-- and turned back into instants; weeks start on Monday.
WITH local AS (
  SELECT CAST(at_timezone(:as_of, :tz) AS timestamp(3)) AS now
),
p AS (
  SELECT with_timezone(date_trunc('day', now), :tz) AS today,
         with_timezone(date_trunc('week', now) - INTERVAL '7' DAY, :tz) AS last_week,
         with_timezone(date_trunc('week', now), :tz) AS this_week
  FROM local
),
e AS (
  SELECT user_id, name, time, event_id,
    -- isMember as a number (null, missing or "1" is not a member)
    json_value(properties, 'lax $.isMember?(@.type() == "number")' RETURNING double) AS is_member,
    -- the numeric prices of a purchase's items: a price given as a
    -- string, an item without one and a null item do not count
    CAST(json_parse(json_query(properties, 'lax $.items[*].price?(@.type() == "number")' WITH ARRAY WRAPPER)) AS array(double)) AS prices
  FROM events
  WHERE time <= :as_of AND name IN ('$meta', '$buy', '$session')
),
per_user AS (
  SELECT e.user_id,
    -- the latest $meta of today, ties broken by the larger event_id
    max_by(e.is_member, (e.time, e.event_id)) FILTER (WHERE e.name = '$meta' AND e.time >= p.today) AS is_member,
    sum(reduce(e.prices, 0e0, (s, x) -> s + x, s -> s)) FILTER (WHERE e.name = '$buy')
      / nullif(sum(cardinality(e.prices)) FILTER (WHERE e.name = '$buy'), 0) AS avg_price,
    coalesce(sum(reduce(e.prices, 0e0, (s, x) -> s + x, s -> s))
      FILTER (WHERE e.name = '$buy' AND e.time >= p.last_week AND e.time < p.this_week), 0) AS spent_last_week,
    count(*) FILTER (WHERE e.name = '$session' AND e.time >= p.last_week AND e.time < p.this_week) AS sessions_last_week
  FROM e CROSS JOIN p
  GROUP BY e.user_id
)
SELECT user_id
FROM per_user
WHERE is_member = 1 AND avg_price >= 10000 AND spent_last_week <= 100 AND sessions_last_week > 10

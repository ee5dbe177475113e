-- Twelve conditions: who the user is (country, age, e-mail, membership or
-- plan), how active lately (sessions in 30 days, item views this month),
-- how much bought (items over all time, the dearest item in 90 days, the
-- totals of last week) and a sign of intent (a cart in 7 days, or an
-- electronics purchase this year).
-- A day of a "last" window is 24 hours; calendar periods are the app's,
-- computed on its wall clock and turned back into instants.
WITH local AS (
  SELECT CAST(at_timezone(:as_of, :tz) AS timestamp(3)) AS now
),
p AS (
  SELECT with_timezone(date_trunc('week', now) - INTERVAL '7' DAY, :tz) AS last_week,
         with_timezone(date_trunc('week', now), :tz) AS this_week,
         with_timezone(date_trunc('month', now), :tz) AS this_month,
         with_timezone(date_trunc('year', now), :tz) AS this_year
  FROM local
),
e AS (
  SELECT user_id, name, time, properties,
    -- numeric prices only: a price given as a string does not count
    CAST(json_parse(json_query(properties, 'lax $.items[*].price?(@.type() == "number")' WITH ARRAY WRAPPER)) AS array(double)) AS prices
  FROM events
  WHERE time <= :as_of AND name IN ('$session', 'view_item', '$buy', 'add_to_cart')
),
per_user AS (
  SELECT e.user_id,
    count(*) FILTER (WHERE e.name = '$session' AND e.time > :as_of - INTERVAL '30' DAY) AS sessions_30d,
    count(*) FILTER (WHERE e.name = 'view_item' AND e.time >= p.this_month) AS views_this_month,
    coalesce(sum(reduce(e.prices, 0e0, (s, x) -> s + x, s -> s)) FILTER (WHERE e.name = '$buy'), 0) AS spent,
    max(array_max(e.prices)) FILTER (WHERE e.name = '$buy' AND e.time > :as_of - INTERVAL '90' DAY) AS dearest_90d,
    coalesce(sum(json_value(e.properties, 'lax $.total?(@.type() == "number")' RETURNING double))
      FILTER (WHERE e.name = '$buy' AND e.time >= p.last_week AND e.time < p.this_week), 0) AS total_last_week,
    count(*) FILTER (WHERE e.name = 'add_to_cart' AND e.time > :as_of - INTERVAL '7' DAY) AS carts_7d,
    count(*) FILTER (WHERE e.name = '$buy' AND e.time >= p.this_year
      AND json_exists(e.properties, 'lax $.items[*]?(@.category == "electronics")')) AS electronics_this_year
  FROM e CROSS JOIN p
  GROUP BY e.user_id
)
SELECT u.user_id
FROM users AS u
JOIN per_user AS a ON a.user_id = u.user_id
WHERE json_value(u.attributes, 'lax $.country') IN ('JP', 'KR', 'US', 'DE', 'FR')
  -- a number: an age given as a string does not count
  AND json_value(u.attributes, 'lax $.age?(@.type() == "number")' RETURNING double) BETWEEN 18 AND 65
  AND json_value(u.attributes, 'lax $.email') LIKE '%example.com'
  AND (json_value(u.attributes, 'lax $.member?(@.type() == "boolean")' RETURNING boolean)
    OR json_value(u.attributes, 'lax $.plan') IN ('plus', 'pro'))
  AND a.sessions_30d >= 5
  AND a.views_this_month >= 3
  AND a.spent >= 20000
  AND a.dearest_90d >= 3000
  AND a.total_last_week <= 50000
  AND (a.carts_7d >= 1 OR a.electronics_this_year >= 1)

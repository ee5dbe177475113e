-- Twelve conditions: who the user is (country, age, e-mail, membership or
-- plan), how active lately (sessions in 30 days, item views this month),
-- how much bought (items over all time, the dearest item in 90 days, the
-- totals of last week) and a sign of intent (a cart in 7 days, or an
-- electronics purchase this year).
-- A day of a "last" window is 24 hours; calendar periods are the app's.
WITH p AS (
  SELECT timezone(:tz, date_trunc('week', timezone(:tz, :as_of::TIMESTAMPTZ)) - INTERVAL 1 WEEK) AS last_week,
         timezone(:tz, date_trunc('week', timezone(:tz, :as_of::TIMESTAMPTZ))) AS this_week,
         timezone(:tz, date_trunc('month', timezone(:tz, :as_of::TIMESTAMPTZ))) AS this_month,
         timezone(:tz, date_trunc('year', timezone(:tz, :as_of::TIMESTAMPTZ))) AS this_year
),
e AS (
  SELECT user_id, name, time, properties,
    -- numeric prices only: a price given as a string does not count
    list_transform(
      list_filter(json_extract(properties, '$.items[*].price'), lambda x: json_type(x) IN ('UBIGINT', 'BIGINT', 'DOUBLE')),
      lambda x: x::DOUBLE) AS prices
  FROM events
  WHERE app_id = :app_id AND time <= :as_of AND name IN ('$session', 'view_item', '$buy', 'add_to_cart')
),
per_user AS (
  SELECT e.user_id,
    count(*) FILTER (WHERE e.name = '$session' AND e.time > :as_of - INTERVAL (30 * 24) HOUR) AS sessions_30d,
    count(*) FILTER (WHERE e.name = 'view_item' AND e.time >= p.this_month) AS views_this_month,
    coalesce(sum(list_sum(e.prices)) FILTER (WHERE e.name = '$buy'), 0) AS spent,
    max(list_max(e.prices)) FILTER (WHERE e.name = '$buy' AND e.time > :as_of - INTERVAL (90 * 24) HOUR) AS dearest_90d,
    coalesce(sum(CASE WHEN json_type(e.properties, '$.total') IN ('UBIGINT', 'BIGINT', 'DOUBLE') THEN (e.properties->>'$.total')::DOUBLE END)
      FILTER (WHERE e.name = '$buy' AND e.time >= p.last_week AND e.time < p.this_week), 0) AS total_last_week,
    count(*) FILTER (WHERE e.name = 'add_to_cart' AND e.time > :as_of - INTERVAL (7 * 24) HOUR) AS carts_7d,
    count(*) FILTER (WHERE e.name = '$buy' AND e.time >= p.this_year
      AND list_contains(json_extract_string(e.properties, '$.items[*].category'), 'electronics')) AS electronics_this_year
  FROM e, p
  GROUP BY e.user_id
)
SELECT u.user_id
FROM users AS u
JOIN per_user AS a ON a.user_id = u.user_id
WHERE u.app_id = :app_id
  AND (u.attributes->>'$.country') IN ('JP', 'KR', 'US', 'DE', 'FR')
  -- a number: an age given as a string does not count
  AND CASE WHEN json_type(u.attributes, '$.age') IN ('UBIGINT', 'BIGINT', 'DOUBLE') THEN (u.attributes->>'$.age')::DOUBLE END BETWEEN 18 AND 65
  AND ends_with(u.attributes->>'$.email', 'example.com')
  AND ((u.attributes->>'$.member') = 'true' OR (u.attributes->>'$.plan') IN ('plus', 'pro'))
  AND a.sessions_30d >= 5
  AND a.views_this_month >= 3
  AND a.spent >= 20000
  AND a.dearest_90d >= 3000
  AND a.total_last_week <= 50000
  AND (a.carts_7d >= 1 OR a.electronics_this_year >= 1)

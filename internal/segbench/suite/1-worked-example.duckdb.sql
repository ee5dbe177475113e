-- The spec's worked example: members (by their latest $meta of today),
-- whose purchased items average at least 10000 over all time, who spent at
-- most 100 last week and had more than 10 sessions last week.
-- Calendar days and weeks are the app's (:tz); weeks start on Monday.
WITH p AS (
  SELECT timezone(:tz, date_trunc('day', timezone(:tz, :as_of::TIMESTAMPTZ))) AS today,
         timezone(:tz, date_trunc('week', timezone(:tz, :as_of::TIMESTAMPTZ)) - INTERVAL 1 WEEK) AS last_week,
         timezone(:tz, date_trunc('week', timezone(:tz, :as_of::TIMESTAMPTZ))) AS this_week
),
e AS (
  SELECT user_id, name, time, event_id,
    -- isMember as a number (null, missing or "1" is not a member)
    CASE WHEN json_type(properties, '$.isMember') IN ('UBIGINT', 'BIGINT', 'DOUBLE')
      THEN (properties->>'$.isMember')::DOUBLE END AS is_member,
    -- the numeric prices of a purchase's items: a price given as a
    -- string, an item without one and a null item do not count
    list_transform(
      list_filter(json_extract(properties, '$.items[*].price'), lambda x: json_type(x) IN ('UBIGINT', 'BIGINT', 'DOUBLE')),
      lambda x: x::DOUBLE) AS prices
  FROM events
  WHERE app_id = :app_id AND time <= :as_of AND name IN ('$meta', '$buy', '$session')
),
per_user AS (
  SELECT e.user_id,
    -- the latest $meta of today, ties broken by the larger event_id
    arg_max_null(e.is_member, (e.time, e.event_id)) FILTER (WHERE e.name = '$meta' AND e.time >= p.today) AS is_member,
    sum(list_sum(e.prices)) FILTER (WHERE e.name = '$buy')
      / nullif(sum(len(e.prices)) FILTER (WHERE e.name = '$buy'), 0) AS avg_price,
    coalesce(sum(list_sum(e.prices)) FILTER (WHERE e.name = '$buy' AND e.time >= p.last_week AND e.time < p.this_week), 0) AS spent_last_week,
    count(*) FILTER (WHERE e.name = '$session' AND e.time >= p.last_week AND e.time < p.this_week) AS sessions_last_week
  FROM e, p
  GROUP BY e.user_id
)
SELECT user_id
FROM per_user
WHERE is_member = 1 AND avg_price >= 10000 AND spent_last_week <= 100 AND sessions_last_week > 10

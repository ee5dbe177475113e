-- Users outside Japan and Korea (a user without a country is outside),
-- neither VIP nor a buyer in the last 30 days, with at least 2 sessions in
-- 90 days (the tree's double negation), and not a member who viewed no
-- item this week. A condition on a missing attribute is false, so its
-- negation holds: every comparison is coalesced before NOT. Only the
-- history partitions of the last 90 days are read.
WITH p AS (
  SELECT with_timezone(date_trunc('week', CAST(at_timezone(:as_of, :tz) AS timestamp(3))), :tz) AS this_week
),
per_user AS (
  SELECT e.user_id,
    count(*) FILTER (WHERE e.name = '$buy' AND e.time > :as_of - INTERVAL '30' DAY) AS buys_30d,
    count(*) FILTER (WHERE e.name = '$session') AS sessions_90d,
    count(*) FILTER (WHERE e.name = 'view_item' AND e.time >= p.this_week) AS views_this_week
  FROM events AS e CROSS JOIN p
  WHERE e.day >= CAST(at_timezone(:as_of - INTERVAL '90' DAY, 'UTC') AS date)
    AND e.time <= :as_of AND e.time > :as_of - INTERVAL '90' DAY
    AND e.name IN ('$buy', '$session', 'view_item')
  GROUP BY e.user_id
)
SELECT u.user_id
FROM users AS u
LEFT JOIN per_user AS a ON a.user_id = u.user_id
WHERE NOT coalesce(json_value(u.attributes, 'lax $.country') IN ('JP', 'KR'), false)
  AND NOT (coalesce(json_value(u.attributes, 'lax $.vip?(@.type() == "boolean")' RETURNING boolean), false)
    OR coalesce(a.buys_30d, 0) >= 1)
  AND coalesce(a.sessions_90d, 0) >= 2
  AND NOT (coalesce(json_value(u.attributes, 'lax $.member?(@.type() == "boolean")' RETURNING boolean), false)
    AND coalesce(a.views_this_week, 0) = 0)

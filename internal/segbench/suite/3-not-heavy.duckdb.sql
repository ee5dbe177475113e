-- Users outside Japan and Korea (a user without a country is outside),
-- neither VIP nor a buyer in the last 30 days, with at least 2 sessions in
-- 90 days (the tree's double negation), and not a member who viewed no
-- item this week. A condition on a missing attribute is false, so its
-- negation holds: every comparison is coalesced before NOT.
WITH p AS (
  SELECT timezone(:tz, date_trunc('week', timezone(:tz, :as_of::TIMESTAMPTZ))) AS this_week
),
per_user AS (
  SELECT e.user_id,
    count(*) FILTER (WHERE e.name = '$buy' AND e.time > :as_of - INTERVAL (30 * 24) HOUR) AS buys_30d,
    count(*) FILTER (WHERE e.name = '$session') AS sessions_90d,
    count(*) FILTER (WHERE e.name = 'view_item' AND e.time >= p.this_week) AS views_this_week
  FROM events AS e, p
  WHERE e.app_id = :app_id AND e.time <= :as_of AND e.time > :as_of - INTERVAL (90 * 24) HOUR
    AND e.name IN ('$buy', '$session', 'view_item')
  GROUP BY e.user_id
)
SELECT u.user_id
FROM users AS u
LEFT JOIN per_user AS a ON a.user_id = u.user_id
WHERE u.app_id = :app_id
  AND NOT coalesce((u.attributes->>'$.country') IN ('JP', 'KR'), false)
  AND NOT (coalesce((u.attributes->>'$.vip') = 'true', false) OR coalesce(a.buys_30d, 0) >= 1)
  AND coalesce(a.sessions_90d, 0) >= 2
  AND NOT (coalesce((u.attributes->>'$.member') = 'true', false) AND coalesce(a.views_this_week, 0) = 0)

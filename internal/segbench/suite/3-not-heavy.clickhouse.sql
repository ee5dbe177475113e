-- Not-heavy on ClickHouse: users outside Japan and Korea (a user without
-- a country is outside), neither VIP nor a buyer in the last 30 days,
-- with at least 2 sessions in 90 days (the tree's double negation), and
-- not a member who viewed no item this week. A condition on a missing
-- attribute is false, so its negation holds: arrayExists over no values
-- is false.
-- The sessions must hold, so the events narrow the users first; the
-- buyers and viewers are counted in the same pass.
WITH
  toDateTime(toStartOfWeek(toTimeZone(:as_of, :tz), 1), :tz) AS this_week
SELECT u.user_id
FROM users AS u
INNER JOIN (
  SELECT user_id, countIf(name = 'view_item') AS views_this_week
  FROM events
  WHERE app_id = :app_id AND time <= :as_of
    AND (name = '$session' AND time > :as_of - INTERVAL (90 * 24) HOUR
      OR name = '$buy' AND time > :as_of - INTERVAL (30 * 24) HOUR
      OR name = 'view_item' AND time >= this_week)
  GROUP BY user_id
  HAVING countIf(name = '$session') >= 2 AND countIf(name = '$buy') = 0
) AS a ON a.user_id = u.user_id
WHERE u.app_id = :app_id
  AND NOT arrayExists(x -> x IN ('JP', 'KR'), seg_strings(seg_path1(u.attributes, 'country')))
  AND NOT has(seg_path1(u.attributes, 'vip'), 'true')
  AND NOT (has(seg_path1(u.attributes, 'member'), 'true') AND a.views_this_week = 0)

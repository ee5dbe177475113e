-- Win-back users of Japan, Korea and the US on ClickHouse: lapsed big
-- spenders (items worth at least 30000 bought in 90 days, none in the
-- last 14), or VIPs. The three saved segments become one pass over the
-- purchases of 90 days.
SELECT user_id
FROM users
WHERE app_id = :app_id
  AND arrayExists(x -> x IN ('JP', 'KR', 'US'), seg_strings(seg_path1(attributes, 'country')))
  AND (has(seg_path1(attributes, 'vip'), 'true')
    OR user_id IN (
      SELECT user_id
      FROM events
      WHERE app_id = :app_id AND name = '$buy'
        AND time <= :as_of AND time > :as_of - INTERVAL (90 * 24) HOUR
      GROUP BY user_id
      HAVING seg_sum(groupArrayArray(seg_numbers(seg_path2(properties, 'items', 'price')))) >= 30000
        AND countIf(time > :as_of - INTERVAL (14 * 24) HOUR) = 0))

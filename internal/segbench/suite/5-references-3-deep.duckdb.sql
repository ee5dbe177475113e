-- Win-back users of Japan, Korea and the US: the tree refers to
-- seg_bench_winback (lapsed big spenders, or VIPs), which refers to
-- seg_bench_lapsed (big spenders without a purchase in 14 days), which
-- refers to seg_bench_big_spenders (items worth at least 30000 bought in
-- 90 days). An analyst has no references: the three segments become one
-- pass over the purchases of 90 days.
WITH buys AS (
  SELECT user_id,
    -- numeric prices only: a price given as a string does not count
    sum(list_sum(list_transform(
      list_filter(json_extract(properties, '$.items[*].price'), lambda x: json_type(x) IN ('UBIGINT', 'BIGINT', 'DOUBLE')),
      lambda x: x::DOUBLE))) AS spent_90d,
    count(*) FILTER (WHERE time > :as_of - INTERVAL (14 * 24) HOUR) AS buys_14d
  FROM events
  WHERE app_id = :app_id AND name = '$buy'
    AND time <= :as_of AND time > :as_of - INTERVAL (90 * 24) HOUR
  GROUP BY user_id
)
SELECT u.user_id
FROM users AS u
LEFT JOIN buys AS b ON b.user_id = u.user_id
WHERE u.app_id = :app_id
  AND (u.attributes->>'$.country') IN ('JP', 'KR', 'US')
  AND ((b.spent_90d >= 30000 AND b.buys_14d = 0) OR (u.attributes->>'$.vip') = 'true')

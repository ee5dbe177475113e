-- Win-back users of Japan, Korea and the US: the tree refers to
-- seg_bench_winback (lapsed big spenders, or VIPs), which refers to
-- seg_bench_lapsed (big spenders without a purchase in 14 days), which
-- refers to seg_bench_big_spenders (items worth at least 30000 bought in
-- 90 days). An analyst has no references: the three segments become one
-- pass over the purchases of 90 days (and history's partitions of them).
WITH buys AS (
  SELECT user_id,
    -- numeric prices only: a price given as a string does not count
    sum(reduce(CAST(json_parse(json_query(properties, 'lax $.items[*].price?(@.type() == "number")' WITH ARRAY WRAPPER)) AS array(double)),
      0e0, (s, x) -> s + x, s -> s)) AS spent_90d,
    count(*) FILTER (WHERE time > :as_of - INTERVAL '14' DAY) AS buys_14d
  FROM events
  WHERE name = '$buy' AND day >= CAST(at_timezone(:as_of - INTERVAL '90' DAY, 'UTC') AS date)
    AND time <= :as_of AND time > :as_of - INTERVAL '90' DAY
  GROUP BY user_id
)
SELECT u.user_id
FROM users AS u
LEFT JOIN buys AS b ON b.user_id = u.user_id
WHERE json_value(u.attributes, 'lax $.country') IN ('JP', 'KR', 'US')
  AND ((b.spent_90d >= 30000 AND b.buys_14d = 0)
    OR coalesce(json_value(u.attributes, 'lax $.vip?(@.type() == "boolean")' RETURNING boolean), false))

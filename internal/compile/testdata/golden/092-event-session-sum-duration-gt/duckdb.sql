WITH s AS (
  SELECT e.user_id,
    {'n': (
list_reduce(list_sort(flatten(list(e.a0_v) FILTER (WHERE e.a0_f))), lambda a, x: a + x, 0::DOUBLE))::DOUBLE, 's': NULL::VARCHAR, 'b': NULL::BOOLEAN, 't': NULL::TIMESTAMPTZ} AS a0
  FROM (SELECT e.user_id,
      (TRUE AND e.time >= ?) AS a0_f,
      CASE WHEN TRUE AND e.time >= ? THEN list_transform(list_filter(flatten(list_transform(list_transform([e.properties], lambda x: json_extract(x, '$."duration_s"')), lambda j: CASE
    WHEN json_type(j) = 'ARRAY' THEN json_extract(j, '$[*]')
    WHEN json_type(j) <> 'NULL' THEN [j]
    ELSE []::JSON[] END)), lambda v: json_type(v) IN ('BIGINT', 'UBIGINT', 'HUGEINT', 'DOUBLE')), lambda v: v::DOUBLE + 0.0) END AS a0_v
    FROM "events" AS e
    WHERE e.app_id = ? AND e.time <= ? AND e.name = ? AND e.time >= ?
  ) AS e
  GROUP BY e.user_id
)
SELECT u.user_id
FROM "users" AS u
LEFT JOIN s ON s.user_id = u.user_id
WHERE u.app_id = ?
  AND coalesce(coalesce(s.a0.n, 0) > ?, false)
-- params: ["2026-09-30T22:00:00Z","2026-09-30T22:00:00Z","corpus","2026-10-28T14:30:00Z","$session","2026-09-30T22:00:00Z","corpus",20000]

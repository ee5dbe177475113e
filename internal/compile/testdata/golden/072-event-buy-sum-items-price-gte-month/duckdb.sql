WITH s AS (
  SELECT e.user_id,
    (
coalesce(list_sum(list_sort(flatten(list(e.a0_v) FILTER (WHERE e.a0_f)))), 0::DOUBLE))::DOUBLE AS a0
  FROM (SELECT e.user_id,
      (TRUE AND e.time >= ?) AS a0_f,
      CASE WHEN TRUE AND e.time >= ? THEN list_filter(list_transform(list_filter(flatten(list_transform(CASE WHEN len(json_extract(e.properties, '$."items"[*]."price"')) > 0 THEN json_extract(e.properties, '$."items"[*]."price"')
    ELSE [json_extract(e.properties, '$."items"."price"')] END, lambda j: CASE
    WHEN starts_with(j, '[') THEN json_extract(j, '$[*]') ELSE [j] END)), lambda v: v <> 'null'), lambda v: TRY_CAST(v::VARCHAR AS DOUBLE) + 0.0), lambda x: x IS NOT NULL) END AS a0_v
    FROM "events" AS e
    WHERE e.app_id = ? AND e.time <= ? AND e.name = ? AND e.time >= ?
  ) AS e
  GROUP BY e.user_id
)
SELECT u.user_id
FROM "users" AS u
LEFT JOIN s ON s.user_id = u.user_id
WHERE u.app_id = ?
  AND coalesce(coalesce(s.a0, 0) >= ?, false)
-- params: ["2026-09-30T22:00:00Z","2026-09-30T22:00:00Z","corpus","2026-10-28T14:30:00Z","$buy","2026-09-30T22:00:00Z","corpus",20000]

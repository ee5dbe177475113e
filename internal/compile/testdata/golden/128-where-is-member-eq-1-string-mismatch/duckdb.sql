WITH s AS (
  SELECT e.user_id,
    (count(*) FILTER (WHERE e.a0_f))::DOUBLE AS a0
  FROM (SELECT e.user_id,
      (TRUE AND coalesce(len(list_filter(list_transform(list_filter(flatten(list_transform([json_extract(e.properties, '$."isMember"')], lambda j: CASE
    WHEN starts_with(j, '[') THEN json_extract(j, '$[*]') ELSE [j] END)), lambda v: v <> 'null'), lambda v: {
    'n': TRY_CAST(v::VARCHAR AS DOUBLE) + 0.0,
    's': NULL::VARCHAR,
    'b': NULL::BOOLEAN,
    't': NULL::TIMESTAMPTZ}), lambda y: y.n = ?)) > 0, false)) AS a0_f
    FROM "events" AS e
    WHERE e.app_id = ? AND e.time <= ? AND e.name = ?
  ) AS e
  GROUP BY e.user_id
)
SELECT u.user_id
FROM "users" AS u
LEFT JOIN s ON s.user_id = u.user_id
WHERE u.app_id = ?
  AND coalesce(coalesce(s.a0, 0) >= ?, false)
-- params: [1,"corpus","2026-10-28T14:30:00Z","$meta","corpus",2]

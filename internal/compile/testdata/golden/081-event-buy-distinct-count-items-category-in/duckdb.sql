WITH s AS (
  SELECT e.user_id,
    (len(list_distinct(flatten(list(list_transform(e.a0_v, lambda y: CASE
        WHEN y.n IS NOT NULL THEN 'n' || y.n::VARCHAR
        WHEN y.s IS NOT NULL THEN 's' || y.s
        WHEN y.b IS NOT NULL THEN 'b' || y.b::VARCHAR END)) FILTER (WHERE e.a0_f)))))::DOUBLE AS a0
  FROM (SELECT e.user_id,
      (TRUE) AS a0_f,
      CASE WHEN TRUE THEN list_transform(list_filter(flatten(list_transform(CASE WHEN len(json_extract(e.properties, '$."items"[*]."category"')) > 0 THEN json_extract(e.properties, '$."items"[*]."category"')
    ELSE [json_extract(e.properties, '$."items"."category"')] END, lambda j: CASE
    WHEN starts_with(j, '[') THEN json_extract(j, '$[*]') ELSE [j] END)), lambda v: v <> 'null'), lambda v: {
    'n': TRY_CAST(v::VARCHAR AS DOUBLE) + 0.0,
    's': CASE WHEN starts_with(v, '"') THEN v->>'$' END,
    'b': CASE v::VARCHAR WHEN 'true' THEN true WHEN 'false' THEN false END,
    't': NULL::TIMESTAMPTZ}) END AS a0_v
    FROM "events" AS e
    WHERE e.app_id = ? AND e.time <= ? AND e.name = ?
  ) AS e
  GROUP BY e.user_id
)
SELECT u.user_id
FROM "users" AS u
LEFT JOIN s ON s.user_id = u.user_id
WHERE u.app_id = ?
  AND coalesce((coalesce(s.a0, 0) IN (?, ?)), false)
-- params: ["corpus","2026-10-28T14:30:00Z","$buy","corpus",2,3]

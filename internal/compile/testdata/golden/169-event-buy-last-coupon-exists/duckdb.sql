WITH s AS (
  SELECT e.user_id,
    arg_max_null(e.a0_v[1], (e.time, e.event_id)) FILTER (WHERE e.a0_f) AS a0
  FROM (SELECT e.user_id, e.time, e.event_id,
      (TRUE) AS a0_f,
      CASE WHEN TRUE THEN list_transform(list_filter(flatten(list_transform([json_extract(e.properties, '$."coupon"')], lambda j: CASE
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
  AND coalesce(s.a0 IS NOT NULL, false)
-- params: ["corpus","2026-10-28T14:30:00Z","$buy","corpus"]

WITH s AS (
  SELECT e.user_id,
    (count(*) FILTER (WHERE e.a0_f))::DOUBLE AS a0,
    (count(*) FILTER (WHERE e.a1_f))::DOUBLE AS a1
  FROM (SELECT e.user_id,
      (TRUE AND e.time > ?) AS a0_f
    FROM "events" AS e
    WHERE e.app_id = ? AND e.time <= ? AND e.name = ? AND e.time >= ?
    UNION ALL BY NAME
    SELECT e.user_id,
      (TRUE AND e.time > ?) AS a1_f
    FROM "events" AS e
    WHERE e.app_id = ? AND e.time <= ? AND e.name = ? AND e.time >= ?
  ) AS e
  GROUP BY e.user_id
)
SELECT u.user_id
FROM "users" AS u
LEFT JOIN s ON s.user_id = u.user_id
WHERE u.app_id = ?
  AND (NOT coalesce(coalesce(s.a0, 0) = ?, false) AND (coalesce(len(list_filter(list_transform(list_filter(flatten(list_transform([json_extract(u.attributes, '$."member"')], lambda j: CASE
    WHEN starts_with(j, '[') THEN json_extract(j, '$[*]') ELSE [j] END)), lambda v: v <> 'null'), lambda v: {
    'n': NULL::DOUBLE,
    's': NULL::VARCHAR,
    'b': CASE v::VARCHAR WHEN 'true' THEN true WHEN 'false' THEN false END,
    't': NULL::TIMESTAMPTZ}), lambda y: y.b = ?)) > 0, false) OR coalesce(coalesce(s.a1, 0) = ?, false)) AND CASE WHEN s.user_id IS NULL THEN false ELSE coalesce(len(list_transform(list_filter(flatten(list_transform(CASE WHEN len(json_extract(u.attributes, '$."address"[*]."city"')) > 0 THEN json_extract(u.attributes, '$."address"[*]."city"')
    ELSE [json_extract(u.attributes, '$."address"."city"')] END, lambda j: CASE
    WHEN starts_with(j, '[') THEN json_extract(j, '$[*]') ELSE [j] END)), lambda v: v <> 'null'), lambda v: {
    'n': NULL::DOUBLE,
    's': NULL::VARCHAR,
    'b': NULL::BOOLEAN,
    't': NULL::TIMESTAMPTZ})) > 0, false) END)
-- params: ["2026-09-28T14:30:00Z","corpus","2026-10-28T14:30:00Z","add_to_cart","2026-09-28T14:30:00Z","2026-09-28T14:30:00Z","corpus","2026-10-28T14:30:00Z","$buy","2026-09-28T14:30:00Z","corpus",0,true,0]

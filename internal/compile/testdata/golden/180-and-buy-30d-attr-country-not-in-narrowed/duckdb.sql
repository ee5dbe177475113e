WITH s AS (
  SELECT e.user_id,
    (count(*) FILTER (WHERE e.a0_f))::DOUBLE AS a0
  FROM (SELECT e.user_id,
      (TRUE AND e.time > ?) AS a0_f
    FROM "events" AS e
    WHERE e.app_id = ? AND e.time <= ? AND e.name = ? AND e.time >= ?
  ) AS e
  GROUP BY e.user_id
)
SELECT u.user_id
FROM "users" AS u
LEFT JOIN s ON s.user_id = u.user_id
WHERE u.app_id = ?
  AND (coalesce(coalesce(s.a0, 0) >= ?, false) AND CASE WHEN s.user_id IS NULL THEN false ELSE coalesce(len(list_filter(list_transform(list_filter(flatten(list_transform([json_extract(u.attributes, '$."country"')], lambda j: CASE
    WHEN starts_with(j, '[') THEN json_extract(j, '$[*]') ELSE [j] END)), lambda v: v <> 'null'), lambda v: {
    'n': TRY_CAST(v::VARCHAR AS DOUBLE) + 0.0,
    's': CASE WHEN starts_with(v, '"') THEN v->>'$' END,
    'b': NULL::BOOLEAN,
    't': NULL::TIMESTAMPTZ}), lambda y: (y.s NOT IN (?, ?) OR y.n IS NOT NULL))) > 0, false) END AND CASE WHEN s.user_id IS NULL THEN false ELSE coalesce(len(list_filter(list_transform(list_filter(flatten(list_transform([json_extract(u.attributes, '$."age"')], lambda j: CASE
    WHEN starts_with(j, '[') THEN json_extract(j, '$[*]') ELSE [j] END)), lambda v: v <> 'null'), lambda v: {
    'n': TRY_CAST(v::VARCHAR AS DOUBLE) + 0.0,
    's': NULL::VARCHAR,
    'b': NULL::BOOLEAN,
    't': NULL::TIMESTAMPTZ}), lambda y: y.n >= ?)) > 0, false) END AND CASE WHEN s.user_id IS NULL THEN false ELSE NOT coalesce(len(list_filter(list_transform(list_filter(flatten(list_transform([json_extract(u.attributes, '$."vip"')], lambda j: CASE
    WHEN starts_with(j, '[') THEN json_extract(j, '$[*]') ELSE [j] END)), lambda v: v <> 'null'), lambda v: {
    'n': NULL::DOUBLE,
    's': NULL::VARCHAR,
    'b': CASE v::VARCHAR WHEN 'true' THEN true WHEN 'false' THEN false END,
    't': NULL::TIMESTAMPTZ}), lambda y: y.b = ?)) > 0, false) END)
-- params: ["2026-09-28T14:30:00Z","corpus","2026-10-28T14:30:00Z","$buy","2026-09-28T14:30:00Z","corpus",1,"JP","KR",30,true]

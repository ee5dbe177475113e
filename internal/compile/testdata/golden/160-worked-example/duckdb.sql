WITH s AS (
  SELECT e.user_id,
    arg_max_null(e.a0_v[1], (e.time, e.event_id)) FILTER (WHERE e.a0_f) AS a0,
    (
coalesce(list_sum(list_sort(flatten(list(e.a1_v) FILTER (WHERE e.a1_f)))), 0::DOUBLE) / nullif(len(list_sort(flatten(list(e.a1_v) FILTER (WHERE e.a1_f)))), 0))::DOUBLE AS a1,
    (
coalesce(list_sum(list_sort(flatten(list(e.a2_v) FILTER (WHERE e.a2_f)))), 0::DOUBLE))::DOUBLE AS a2,
    (count(*) FILTER (WHERE e.a3_f))::DOUBLE AS a3
  FROM (SELECT e.user_id, e.time, e.event_id,
      (TRUE AND e.time >= ?) AS a0_f,
      CASE WHEN TRUE AND e.time >= ? THEN list_transform(list_filter(flatten(list_transform([json_extract(e.properties, '$."isMember"')], lambda j: CASE
    WHEN starts_with(j, '[') THEN json_extract(j, '$[*]') ELSE [j] END)), lambda v: v <> 'null'), lambda v: {
    'n': TRY_CAST(v::VARCHAR AS DOUBLE) + 0.0,
    's': CASE WHEN starts_with(v, '"') THEN v->>'$' END,
    'b': CASE v::VARCHAR WHEN 'true' THEN true WHEN 'false' THEN false END,
    't': NULL::TIMESTAMPTZ}) END AS a0_v
    FROM "events" AS e
    WHERE e.app_id = ? AND e.time <= ? AND e.name = ? AND e.time >= ?
    UNION ALL BY NAME
    SELECT e.user_id,
      (TRUE) AS a1_f,
      CASE WHEN TRUE THEN list_filter(list_transform(list_filter(flatten(list_transform(CASE WHEN len(json_extract(e.properties, '$."items"[*]."price"')) > 0 THEN json_extract(e.properties, '$."items"[*]."price"')
    ELSE [json_extract(e.properties, '$."items"."price"')] END, lambda j: CASE
    WHEN starts_with(j, '[') THEN json_extract(j, '$[*]') ELSE [j] END)), lambda v: v <> 'null'), lambda v: TRY_CAST(v::VARCHAR AS DOUBLE) + 0.0), lambda x: x IS NOT NULL) END AS a1_v,
      (TRUE AND e.time >= ? AND e.time < ?) AS a2_f,
      CASE WHEN TRUE AND e.time >= ? AND e.time < ? THEN list_filter(list_transform(list_filter(flatten(list_transform(CASE WHEN len(json_extract(e.properties, '$."items"[*]."price"')) > 0 THEN json_extract(e.properties, '$."items"[*]."price"')
    ELSE [json_extract(e.properties, '$."items"."price"')] END, lambda j: CASE
    WHEN starts_with(j, '[') THEN json_extract(j, '$[*]') ELSE [j] END)), lambda v: v <> 'null'), lambda v: TRY_CAST(v::VARCHAR AS DOUBLE) + 0.0), lambda x: x IS NOT NULL) END AS a2_v
    FROM "events" AS e
    WHERE e.app_id = ? AND e.time <= ? AND e.name = ?
    UNION ALL BY NAME
    SELECT e.user_id,
      (TRUE AND e.time >= ? AND e.time < ?) AS a3_f
    FROM "events" AS e
    WHERE e.app_id = ? AND e.time <= ? AND e.name = ? AND e.time >= ? AND e.time < ?
  ) AS e
  GROUP BY e.user_id
)
SELECT u.user_id
FROM "users" AS u
LEFT JOIN s ON s.user_id = u.user_id
WHERE u.app_id = ?
  AND (coalesce(s.a0.n = ?, false) AND coalesce(s.a1 >= ?, false) AND coalesce(coalesce(s.a2, 0) <= ?, false) AND coalesce(coalesce(s.a3, 0) > ?, false))
-- params: ["2026-10-27T23:00:00Z","2026-10-27T23:00:00Z","corpus","2026-10-28T14:30:00Z","$meta","2026-10-27T23:00:00Z","2026-10-18T22:00:00Z","2026-10-25T23:00:00Z","2026-10-18T22:00:00Z","2026-10-25T23:00:00Z","corpus","2026-10-28T14:30:00Z","$buy","2026-10-18T22:00:00Z","2026-10-25T23:00:00Z","corpus","2026-10-28T14:30:00Z","$session","2026-10-18T22:00:00Z","2026-10-25T23:00:00Z","corpus",1,10000,100,10]

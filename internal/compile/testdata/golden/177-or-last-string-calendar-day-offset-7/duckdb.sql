WITH s AS (
  SELECT e.user_id,
    arg_max_null(e.a0_v[1], (e.time, e.event_id)) FILTER (WHERE e.a0_f) AS a0
  FROM (SELECT e.user_id, e.time, e.event_id,
      (TRUE AND e.time >= ? AND e.time < ?) AS a0_f,
      CASE WHEN TRUE AND e.time >= ? AND e.time < ? THEN list_transform(list_filter(flatten(list_transform(list_transform([e.properties], lambda x: json_extract(x, '$."plan"')), lambda j: CASE
    WHEN json_type(j) = 'ARRAY' THEN json_extract(j, '$[*]')
    WHEN json_type(j) <> 'NULL' THEN [j]
    ELSE []::JSON[] END)), lambda v: json_type(v) <> 'NULL'), lambda v: {
    'n': CASE WHEN json_type(v) IN ('BIGINT', 'UBIGINT', 'HUGEINT', 'DOUBLE') THEN v::DOUBLE + 0.0 END,
    's': CASE WHEN json_type(v) = 'VARCHAR' THEN v->>'$' END,
    'b': CASE WHEN json_type(v) = 'BOOLEAN' THEN v::BOOLEAN END,
    't': NULL::TIMESTAMPTZ}) END AS a0_v
    FROM "events" AS e
    WHERE e.app_id = ? AND e.time <= ? AND e.name = ? AND e.time >= ? AND e.time < ?
  ) AS e
  GROUP BY e.user_id
)
SELECT u.user_id
FROM "users" AS u
LEFT JOIN s ON s.user_id = u.user_id
WHERE u.app_id = ?
  AND (coalesce(s.a0.s >= ?, false) OR coalesce(len(list_filter(list_transform(list_filter(flatten(list_transform(list_transform([u.attributes], lambda x: json_extract(x, '$."country"')), lambda j: CASE
    WHEN json_type(j) = 'ARRAY' THEN json_extract(j, '$[*]')
    WHEN json_type(j) <> 'NULL' THEN [j]
    ELSE []::JSON[] END)), lambda v: json_type(v) <> 'NULL'), lambda v: {
    'n': NULL::DOUBLE,
    's': CASE WHEN json_type(v) = 'VARCHAR' THEN v->>'$' END,
    'b': NULL::BOOLEAN,
    't': NULL::TIMESTAMPTZ}), lambda y: y.s = ?)) > 0, false))
-- params: ["2026-10-20T22:00:00Z","2026-10-21T22:00:00Z","2026-10-20T22:00:00Z","2026-10-21T22:00:00Z","corpus","2026-10-28T14:30:00Z","$meta","2026-10-20T22:00:00Z","2026-10-21T22:00:00Z","corpus","plus","JP"]

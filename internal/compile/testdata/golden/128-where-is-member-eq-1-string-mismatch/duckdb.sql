WITH s AS (
  SELECT e.user_id,
    {'n': (count(*) FILTER (WHERE e.name = ? AND coalesce(len(list_filter(list_transform(list_filter(flatten(list_transform([e.properties], lambda x: CASE
    WHEN json_type(x, '$."isMember"') = 'ARRAY' THEN json_extract(x, '$."isMember"[*]')
    WHEN json_type(x, '$."isMember"') <> 'NULL' THEN [json_extract(x, '$."isMember"')]
    ELSE []::JSON[] END)), lambda v: json_type(v) <> 'NULL'), lambda v: {
    'n': CASE WHEN json_type(v) IN ('BIGINT', 'UBIGINT', 'HUGEINT', 'DOUBLE') THEN v::DOUBLE + 0.0 END,
    's': CASE WHEN json_type(v) = 'VARCHAR' THEN v->>'$' END,
    'b': CASE WHEN json_type(v) = 'BOOLEAN' THEN v::BOOLEAN END,
    't': NULL::TIMESTAMPTZ}), lambda y: y.n = ?)) > 0, false)))::DOUBLE, 's': NULL::VARCHAR, 'b': NULL::BOOLEAN, 't': NULL::TIMESTAMPTZ} AS a0
  FROM "events" AS e
  WHERE e.app_id = ? AND e.time <= ?
    AND e.name IN (?)
  GROUP BY e.user_id
)
SELECT u.user_id
FROM "users" AS u
LEFT JOIN s ON s.user_id = u.user_id
WHERE u.app_id = ?
  AND coalesce(coalesce(s.a0.n, 0) >= ?, false)
-- params: ["$meta",1,"corpus","2026-10-28T14:30:00Z","$meta","corpus",2]

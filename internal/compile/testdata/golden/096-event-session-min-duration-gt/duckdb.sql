WITH s AS (
  SELECT e.user_id,
    {'n': (min(list_min(list_transform(CASE WHEN e.name = ? AND e.time > ? THEN list_transform(list_filter(flatten(list_transform([e.properties], lambda x: CASE
    WHEN json_type(x, '$."duration_s"') = 'ARRAY' THEN json_extract(x, '$."duration_s"[*]')
    WHEN json_type(x, '$."duration_s"') <> 'NULL' THEN [json_extract(x, '$."duration_s"')]
    ELSE []::JSON[] END)), lambda v: json_type(v) <> 'NULL'), lambda v: {
    'n': CASE WHEN json_type(v) IN ('BIGINT', 'UBIGINT', 'HUGEINT', 'DOUBLE') THEN v::DOUBLE + 0.0 END,
    's': CASE WHEN json_type(v) = 'VARCHAR' THEN v->>'$' END,
    'b': CASE WHEN json_type(v) = 'BOOLEAN' THEN v::BOOLEAN END,
    't': NULL::TIMESTAMPTZ}) END, lambda y: y.n))) FILTER (WHERE e.name = ? AND e.time > ?))::DOUBLE, 's': NULL::VARCHAR, 'b': NULL::BOOLEAN, 't': NULL::TIMESTAMPTZ} AS a0
  FROM "events" AS e
  WHERE e.app_id = ? AND e.time <= ?
    AND e.name IN (?)
    AND e.time >= ?
  GROUP BY e.user_id
)
SELECT u.user_id
FROM "users" AS u
LEFT JOIN s ON s.user_id = u.user_id
WHERE u.app_id = ?
  AND coalesce(s.a0.n > ?, false)
-- params: ["$session","2026-10-21T14:30:00Z","$session","2026-10-21T14:30:00Z","corpus","2026-10-28T14:30:00Z","$session","2026-10-21T14:30:00Z","corpus",600]

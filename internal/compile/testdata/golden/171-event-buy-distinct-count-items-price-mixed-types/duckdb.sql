WITH s AS (
  SELECT e.user_id,
    {'n': (len(list_distinct(flatten(list(list_transform(CASE WHEN e.name = ? THEN list_transform(list_filter(flatten(list_transform(flatten(list_transform([e.properties], lambda x: CASE
    WHEN json_type(x, '$."items"') = 'ARRAY' THEN json_extract(x, '$."items"[*]')
    WHEN json_type(x, '$."items"') <> 'NULL' THEN [json_extract(x, '$."items"')]
    ELSE []::JSON[] END)), lambda x: CASE
    WHEN json_type(x, '$."price"') = 'ARRAY' THEN json_extract(x, '$."price"[*]')
    WHEN json_type(x, '$."price"') <> 'NULL' THEN [json_extract(x, '$."price"')]
    ELSE []::JSON[] END)), lambda v: json_type(v) <> 'NULL'), lambda v: {
    'n': CASE WHEN json_type(v) IN ('BIGINT', 'UBIGINT', 'HUGEINT', 'DOUBLE') THEN v::DOUBLE + 0.0 END,
    's': CASE WHEN json_type(v) = 'VARCHAR' THEN v->>'$' END,
    'b': CASE WHEN json_type(v) = 'BOOLEAN' THEN v::BOOLEAN END,
    't': NULL::TIMESTAMPTZ}) END, lambda y: CASE
        WHEN y.n IS NOT NULL THEN 'n' || y.n::VARCHAR
        WHEN y.s IS NOT NULL THEN 's' || y.s
        WHEN y.b IS NOT NULL THEN 'b' || y.b::VARCHAR END)) FILTER (WHERE e.name = ?)))))::DOUBLE, 's': NULL::VARCHAR, 'b': NULL::BOOLEAN, 't': NULL::TIMESTAMPTZ} AS a0
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
-- params: ["$buy","$buy","corpus","2026-10-28T14:30:00Z","$buy","corpus",3]

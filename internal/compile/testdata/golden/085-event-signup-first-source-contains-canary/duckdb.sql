WITH s AS (
  SELECT e.user_id,
    first((CASE WHEN e.name = ? THEN list_transform(list_filter(flatten(list_transform([e.properties], lambda x: CASE
    WHEN json_type(x, '$."source"') = 'ARRAY' THEN json_extract(x, '$."source"[*]')
    WHEN json_type(x, '$."source"') <> 'NULL' THEN [json_extract(x, '$."source"')]
    ELSE []::JSON[] END)), lambda v: json_type(v) <> 'NULL'), lambda v: {
    'n': CASE WHEN json_type(v) IN ('BIGINT', 'UBIGINT', 'HUGEINT', 'DOUBLE') THEN v::DOUBLE + 0.0 END,
    's': CASE WHEN json_type(v) = 'VARCHAR' THEN v->>'$' END,
    'b': CASE WHEN json_type(v) = 'BOOLEAN' THEN v::BOOLEAN END,
    't': NULL::TIMESTAMPTZ}) END)[1] ORDER BY e.time ASC, e.event_id DESC) FILTER (WHERE e.name = ?) AS a0
  FROM "events" AS e
  WHERE e.app_id = ? AND e.time <= ?
    AND e.name IN (?)
  GROUP BY e.user_id
)
SELECT u.user_id
FROM "users" AS u
LEFT JOIN s ON s.user_id = u.user_id
WHERE u.app_id = ?
  AND coalesce(contains(s.a0.s, ?), false)
-- params: ["signup","signup","corpus","2026-10-28T14:30:00Z","signup","corpus","DROP TABLE"]

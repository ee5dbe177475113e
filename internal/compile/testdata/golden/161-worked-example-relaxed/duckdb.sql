WITH s AS (
  SELECT e.user_id,
    arg_max_null((CASE WHEN e.name = ? AND e.time >= ? THEN list_transform(list_filter(flatten(list_transform([e.properties], lambda x: CASE
    WHEN json_type(x, '$."isMember"') = 'ARRAY' THEN json_extract(x, '$."isMember"[*]')
    WHEN json_type(x, '$."isMember"') <> 'NULL' THEN [json_extract(x, '$."isMember"')]
    ELSE []::JSON[] END)), lambda v: json_type(v) <> 'NULL'), lambda v: {
    'n': CASE WHEN json_type(v) IN ('BIGINT', 'UBIGINT', 'HUGEINT', 'DOUBLE') THEN v::DOUBLE + 0.0 END,
    's': CASE WHEN json_type(v) = 'VARCHAR' THEN v->>'$' END,
    'b': CASE WHEN json_type(v) = 'BOOLEAN' THEN v::BOOLEAN END,
    't': NULL::TIMESTAMPTZ}) END)[1], (e.time, e.event_id)) FILTER (WHERE e.name = ? AND e.time >= ?) AS a0,
    {'n': (sum(list_sum(list_transform(CASE WHEN e.name = ? THEN list_transform(list_filter(flatten(list_transform(flatten(list_transform([e.properties], lambda x: CASE
    WHEN json_type(x, '$."items"') = 'ARRAY' THEN json_extract(x, '$."items"[*]')
    WHEN json_type(x, '$."items"') <> 'NULL' THEN [json_extract(x, '$."items"')]
    ELSE []::JSON[] END)), lambda x: CASE
    WHEN json_type(x, '$."price"') = 'ARRAY' THEN json_extract(x, '$."price"[*]')
    WHEN json_type(x, '$."price"') <> 'NULL' THEN [json_extract(x, '$."price"')]
    ELSE []::JSON[] END)), lambda v: json_type(v) <> 'NULL'), lambda v: {
    'n': CASE WHEN json_type(v) IN ('BIGINT', 'UBIGINT', 'HUGEINT', 'DOUBLE') THEN v::DOUBLE + 0.0 END,
    's': CASE WHEN json_type(v) = 'VARCHAR' THEN v->>'$' END,
    'b': CASE WHEN json_type(v) = 'BOOLEAN' THEN v::BOOLEAN END,
    't': NULL::TIMESTAMPTZ}) END, lambda y: y.n))) FILTER (WHERE e.name = ?)
    / nullif(sum(len(list_filter(CASE WHEN e.name = ? THEN list_transform(list_filter(flatten(list_transform(flatten(list_transform([e.properties], lambda x: CASE
    WHEN json_type(x, '$."items"') = 'ARRAY' THEN json_extract(x, '$."items"[*]')
    WHEN json_type(x, '$."items"') <> 'NULL' THEN [json_extract(x, '$."items"')]
    ELSE []::JSON[] END)), lambda x: CASE
    WHEN json_type(x, '$."price"') = 'ARRAY' THEN json_extract(x, '$."price"[*]')
    WHEN json_type(x, '$."price"') <> 'NULL' THEN [json_extract(x, '$."price"')]
    ELSE []::JSON[] END)), lambda v: json_type(v) <> 'NULL'), lambda v: {
    'n': CASE WHEN json_type(v) IN ('BIGINT', 'UBIGINT', 'HUGEINT', 'DOUBLE') THEN v::DOUBLE + 0.0 END,
    's': CASE WHEN json_type(v) = 'VARCHAR' THEN v->>'$' END,
    'b': CASE WHEN json_type(v) = 'BOOLEAN' THEN v::BOOLEAN END,
    't': NULL::TIMESTAMPTZ}) END, lambda y: y.n IS NOT NULL))) FILTER (WHERE e.name = ?), 0))::DOUBLE, 's': NULL::VARCHAR, 'b': NULL::BOOLEAN, 't': NULL::TIMESTAMPTZ} AS a1,
    {'n': (sum(list_sum(list_transform(CASE WHEN e.name = ? AND e.time >= ? AND e.time < ? THEN list_transform(list_filter(flatten(list_transform(flatten(list_transform([e.properties], lambda x: CASE
    WHEN json_type(x, '$."items"') = 'ARRAY' THEN json_extract(x, '$."items"[*]')
    WHEN json_type(x, '$."items"') <> 'NULL' THEN [json_extract(x, '$."items"')]
    ELSE []::JSON[] END)), lambda x: CASE
    WHEN json_type(x, '$."price"') = 'ARRAY' THEN json_extract(x, '$."price"[*]')
    WHEN json_type(x, '$."price"') <> 'NULL' THEN [json_extract(x, '$."price"')]
    ELSE []::JSON[] END)), lambda v: json_type(v) <> 'NULL'), lambda v: {
    'n': CASE WHEN json_type(v) IN ('BIGINT', 'UBIGINT', 'HUGEINT', 'DOUBLE') THEN v::DOUBLE + 0.0 END,
    's': CASE WHEN json_type(v) = 'VARCHAR' THEN v->>'$' END,
    'b': CASE WHEN json_type(v) = 'BOOLEAN' THEN v::BOOLEAN END,
    't': NULL::TIMESTAMPTZ}) END, lambda y: y.n))) FILTER (WHERE e.name = ? AND e.time >= ? AND e.time < ?))::DOUBLE, 's': NULL::VARCHAR, 'b': NULL::BOOLEAN, 't': NULL::TIMESTAMPTZ} AS a2,
    {'n': (count(*) FILTER (WHERE e.name = ? AND e.time >= ? AND e.time < ?))::DOUBLE, 's': NULL::VARCHAR, 'b': NULL::BOOLEAN, 't': NULL::TIMESTAMPTZ} AS a3
  FROM "events" AS e
  WHERE e.app_id = ? AND e.time <= ?
    AND e.name IN (?, ?, ?)
  GROUP BY e.user_id
)
SELECT u.user_id
FROM "users" AS u
LEFT JOIN s ON s.user_id = u.user_id
WHERE u.app_id = ?
  AND (coalesce(s.a0.n = ?, false) AND coalesce(s.a1.n >= ?, false) AND coalesce(coalesce(s.a2.n, 0) <= ?, false) AND coalesce(coalesce(s.a3.n, 0) > ?, false))
-- params: ["$meta","2026-10-25T23:00:00Z","$meta","2026-10-25T23:00:00Z","$buy","$buy","$buy","$buy","$buy","2026-10-18T22:00:00Z","2026-10-25T23:00:00Z","$buy","2026-10-18T22:00:00Z","2026-10-25T23:00:00Z","$session","2026-10-18T22:00:00Z","2026-10-25T23:00:00Z","corpus","2026-10-28T14:30:00Z","$meta","$buy","$session","corpus",1,5000,100,2]

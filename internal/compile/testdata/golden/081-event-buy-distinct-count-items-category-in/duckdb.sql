WITH s AS (
  SELECT e.user_id,
    {'n': (len(list_distinct(flatten(list(list_transform(e.a0_v, lambda y: CASE
        WHEN y.n IS NOT NULL THEN 'n' || y.n::VARCHAR
        WHEN y.s IS NOT NULL THEN 's' || y.s
        WHEN y.b IS NOT NULL THEN 'b' || y.b::VARCHAR END)) FILTER (WHERE e.a0_f)))))::DOUBLE, 's': NULL::VARCHAR, 'b': NULL::BOOLEAN, 't': NULL::TIMESTAMPTZ} AS a0
  FROM (SELECT e.user_id,
      (TRUE) AS a0_f,
      CASE WHEN TRUE THEN list_transform(list_filter(flatten(list_transform(list_transform(flatten(list_transform(list_transform([e.properties], lambda x: json_extract(x, '$."items"')), lambda j: CASE
    WHEN json_type(j) = 'ARRAY' THEN json_extract(j, '$[*]')
    WHEN json_type(j) <> 'NULL' THEN [j]
    ELSE []::JSON[] END)), lambda x: json_extract(x, '$."category"')), lambda j: CASE
    WHEN json_type(j) = 'ARRAY' THEN json_extract(j, '$[*]')
    WHEN json_type(j) <> 'NULL' THEN [j]
    ELSE []::JSON[] END)), lambda v: json_type(v) <> 'NULL'), lambda v: {
    'n': CASE WHEN json_type(v) IN ('BIGINT', 'UBIGINT', 'HUGEINT', 'DOUBLE') THEN v::DOUBLE + 0.0 END,
    's': CASE WHEN json_type(v) = 'VARCHAR' THEN v->>'$' END,
    'b': CASE WHEN json_type(v) = 'BOOLEAN' THEN v::BOOLEAN END,
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
  AND coalesce((coalesce(s.a0.n, 0) IN (?, ?)), false)
-- params: ["corpus","2026-10-28T14:30:00Z","$buy","corpus",2,3]

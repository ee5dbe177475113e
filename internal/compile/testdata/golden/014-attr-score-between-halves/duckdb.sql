SELECT u.user_id
FROM "users" AS u
WHERE u.app_id = ?
  AND coalesce(len(list_filter(list_transform(list_filter(flatten(list_transform(list_transform([u.attributes], lambda x: json_extract(x, '$."score"')), lambda j: CASE
    WHEN json_type(j) = 'ARRAY' THEN json_extract(j, '$[*]')
    WHEN json_type(j) <> 'NULL' THEN [j]
    ELSE []::JSON[] END)), lambda v: json_type(v) <> 'NULL'), lambda v: {
    'n': CASE WHEN json_type(v) IN ('BIGINT', 'UBIGINT', 'HUGEINT', 'DOUBLE') THEN v::DOUBLE + 0.0 END,
    's': NULL::VARCHAR,
    'b': NULL::BOOLEAN,
    't': NULL::TIMESTAMPTZ}), lambda y: y.n BETWEEN ? AND ?)) > 0, false)
-- params: ["corpus",100.5,250]

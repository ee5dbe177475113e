SELECT u.user_id
FROM "users" AS u
WHERE u.app_id = ?
  AND coalesce(len(list_filter(list_transform(list_filter(flatten(list_transform([u.attributes], lambda x: CASE
    WHEN json_type(x, '$."signup_at"') = 'ARRAY' THEN json_extract(x, '$."signup_at"[*]')
    WHEN json_type(x, '$."signup_at"') <> 'NULL' THEN [json_extract(x, '$."signup_at"')]
    ELSE []::JSON[] END)), lambda v: json_type(v) <> 'NULL'), lambda v: {
    'n': CASE WHEN json_type(v) IN ('BIGINT', 'UBIGINT', 'HUGEINT', 'DOUBLE') THEN v::DOUBLE + 0.0 END,
    's': CASE WHEN json_type(v) = 'VARCHAR' THEN v->>'$' END,
    'b': CASE WHEN json_type(v) = 'BOOLEAN' THEN v::BOOLEAN END,
    't': NULL::TIMESTAMPTZ}), lambda y: y.s < ?)) > 0, false)
-- params: ["corpus","2026-01-01T00:00:00Z"]

SELECT u.user_id
FROM "users" AS u
WHERE u.app_id = ?
  AND coalesce(len(list_filter(list_transform(list_filter(flatten(list_transform(list_transform(flatten(list_transform(list_transform([u.attributes], lambda x: json_extract(x, '$."address"')), lambda j: CASE
    WHEN json_type(j) = 'ARRAY' THEN json_extract(j, '$[*]')
    WHEN json_type(j) <> 'NULL' THEN [j]
    ELSE []::JSON[] END)), lambda x: json_extract(x, '$."city"')), lambda j: CASE
    WHEN json_type(j) = 'ARRAY' THEN json_extract(j, '$[*]')
    WHEN json_type(j) <> 'NULL' THEN [j]
    ELSE []::JSON[] END)), lambda v: json_type(v) <> 'NULL'), lambda v: {
    'n': NULL::DOUBLE,
    's': CASE WHEN json_type(v) = 'VARCHAR' THEN v->>'$' END,
    'b': NULL::BOOLEAN,
    't': NULL::TIMESTAMPTZ}), lambda y: ends_with(y.s, ?))) > 0, false)
-- params: ["corpus","산"]

SELECT u.user_id
FROM "users" AS u
WHERE u.app_id = ?
  AND coalesce(len(list_filter(list_transform(list_filter(flatten(list_transform([json_extract(u.attributes, '$."member"')], lambda j: CASE
    WHEN starts_with(j, '[') THEN json_extract(j, '$[*]') ELSE [j] END)), lambda v: v <> 'null'), lambda v: {
    'n': NULL::DOUBLE,
    's': NULL::VARCHAR,
    'b': CASE v::VARCHAR WHEN 'true' THEN true WHEN 'false' THEN false END,
    't': NULL::TIMESTAMPTZ}), lambda y: y.b = ?)) > 0, false)
-- params: ["corpus",true]

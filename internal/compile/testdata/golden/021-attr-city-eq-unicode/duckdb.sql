SELECT u.user_id
FROM "users" AS u
WHERE u.app_id = ?
  AND coalesce(len(list_filter(list_transform(list_filter(flatten(list_transform(CASE WHEN len(json_extract(u.attributes, '$."address"[*]."city"')) > 0 THEN json_extract(u.attributes, '$."address"[*]."city"')
    ELSE [json_extract(u.attributes, '$."address"."city"')] END, lambda j: CASE
    WHEN starts_with(j, '[') THEN json_extract(j, '$[*]') ELSE [j] END)), lambda v: v <> 'null'), lambda v: {
    'n': NULL::DOUBLE,
    's': CASE WHEN starts_with(v, '"') THEN v->>'$' END,
    'b': NULL::BOOLEAN,
    't': NULL::TIMESTAMPTZ}), lambda y: y.s = ?)) > 0, false)
-- params: ["corpus","München"]

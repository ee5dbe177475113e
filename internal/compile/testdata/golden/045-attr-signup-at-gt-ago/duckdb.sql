SELECT u.user_id
FROM "users" AS u
WHERE u.app_id = ?
  AND coalesce(len(list_filter(list_transform(list_filter(flatten(list_transform([json_extract(u.attributes, '$."signup_at"')], lambda j: CASE
    WHEN starts_with(j, '[') THEN json_extract(j, '$[*]') ELSE [j] END)), lambda v: v <> 'null'), lambda v: {
    'n': NULL::DOUBLE,
    's': CASE WHEN starts_with(v, '"') THEN v->>'$' END,
    'b': NULL::BOOLEAN,
    't': NULL::TIMESTAMPTZ}), lambda y: coalesce(y.t, CASE WHEN regexp_full_match(y.s, '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$') THEN TRY_CAST(y.s AS TIMESTAMPTZ) END) > ?)) > 0, false)
-- params: ["corpus","2026-08-29T14:30:00Z"]

// The data dictionary (GET /v1/apps/{app}/schema), when the server has
// it: suggestions for event names, property paths and attribute keys.
// A 404 means this server has no dictionary yet; the builder then works
// without suggestions. The answer is read leniently (arrays of objects or
// maps keyed by name), so small changes of its shape do not break the
// console.

const names = (x, key) => {
  if (!x) return [];
  if (Array.isArray(x)) return x.map(e => (typeof e === 'string' ? e : e[key] ?? e.name ?? e.path ?? e.key)).filter(Boolean);
  return Object.keys(x);
};

export async function loadDictionary(client) {
  let s;
  try { s = await client.get('/schema'); } catch { return null; } // 404: not there; any other failure: no suggestions
  const events = Array.isArray(s.events) ? s.events : Object.entries(s.events || {}).map(([name, e]) => ({ name, ...e }));
  const props = new Set();
  for (const e of events) for (const p of names(e.properties, 'path')) props.add(p);
  return {
    events: events.map(e => ({ value: e.name, label: e.count !== undefined ? `${e.count} events` : undefined })),
    props: [...props].sort(),
    attrs: names(s.attributes || s.user_attributes || s.users, 'key'),
  };
}

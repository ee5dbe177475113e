// The data dictionary (GET /v1/apps/{app}/schema), when the server has
// it: suggestions for event names, property paths, attribute keys and
// their frequent values. A 404 means this server has no dictionary; the
// builder then works without suggestions (every failure here is quiet:
// suggestions are a help, never a requirement).
import { formatScalar } from './tree.js';

const paths = list => (Array.isArray(list) ? list.map(p => p.path).filter(Boolean) : []);
const values = list => Object.fromEntries((Array.isArray(list) ? list : [])
  .filter(p => p.values && p.values.length).map(p => [p.path, p.values.map(v => formatScalar(v.value))]));

export async function loadDictionary(client) {
  let s;
  try { s = await client.get('/schema'); } catch { return null; }
  const events = Array.isArray(s.events) ? s.events : [];
  const props = new Set(), propValues = {};
  for (const e of events) {
    for (const p of paths(e.properties)) props.add(p);
    for (const [p, vs] of Object.entries(values(e.properties))) propValues[p] = [...new Set([...(propValues[p] || []), ...vs])];
  }
  const users = s.users || {};
  return {
    events: events.map(e => ({ value: e.name, label: e.count !== undefined ? `${e.count.toLocaleString('en-US')} events` : undefined })),
    props: [...props].sort(),
    attrs: paths(users.attributes),
    values: { ...propValues, ...values(users.attributes) },
  };
}

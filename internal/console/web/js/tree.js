// The tree model. The builder edits the segment tree's JSON itself, not a
// copy in another shape: what the JSON tab shows is exactly what the
// builder holds, so builder → JSON → builder round-trips by construction,
// and fields the builder has no control for are kept as they were.

export const OPS = ['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'between', 'in', 'not_in',
  'contains', 'not_contains', 'starts_with', 'ends_with', 'exists', 'not_exists'];
export const OP_LABEL = { eq: '=', neq: '≠', lt: '<', lte: '≤', gt: '>', gte: '≥', between: 'between', in: 'is one of',
  not_in: 'is none of', contains: 'contains', not_contains: 'does not contain', starts_with: 'starts with',
  ends_with: 'ends with', exists: 'exists', not_exists: 'does not exist' };
export const FNS = ['count', 'sum', 'avg', 'min', 'max', 'first', 'last', 'distinct_count'];
export const PERIODS = ['day', 'week', 'month', 'year'];
export const BUILTIN_FIELDS = ['user_id', 'first_seen', 'last_seen'];

// --- JSON Pointers (RFC 6901) ---
export function parts(ptr) {
  return ptr === '' ? [] : ptr.slice(1).split('/').map(s => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}
export function join(ptr, key) { return `${ptr}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`; }
export function parentOf(ptr) { const p = ptr.lastIndexOf('/'); return p < 0 ? '' : ptr.slice(0, p); }
export function lastOf(ptr) { const ps = parts(ptr); return ps[ps.length - 1]; }
export function get(root, ptr) { return parts(ptr).reduce((n, k) => (n == null ? undefined : n[k]), root); }

// --- templates of new nodes: complete, so every control shows a value ---
export function newNode(kind) {
  switch (kind) {
    case 'attribute': return { type: 'attribute', field: '', op: 'eq', value: '' };
    case 'event': return { type: 'event', event: '', aggregate: { fn: 'count' }, window: { all: true }, op: 'gte', value: 1 };
    case 'funnel': return { type: 'funnel', steps: [{ event: '' }, { event: '' }], within: '1d', window: { last: '30d' } };
    case 'segment': return { type: 'segment', segment_id: '' };
    case 'or': return { type: 'or', children: [] };
    default: return { type: 'and', children: [] };
  }
}

export const isGroup = n => n && (n.type === 'and' || n.type === 'or');

// --- values: one text box per scalar, typed the way a person writes it ---
// "5" is a number, true/false booleans, "30d ago" a relative time, and
// anything else a string; quotes force a string ("5" in quotes is "5").
export function parseScalar(text) {
  const t = text.trim();
  if (/^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  if (t === 'true') return true;
  if (t === 'false') return false;
  const ago = /^(\d+[mhdw]) ago$/.exec(t);
  if (ago) return { ago: ago[1] };
  if (/^".*"$/.test(t)) { try { return JSON.parse(t); } catch { /* fall through: a string */ } }
  return text;
}
export function formatScalar(v) {
  if (v === undefined) return '';
  if (v && typeof v === 'object' && 'ago' in v) return `${v.ago} ago`;
  if (typeof v === 'string') return parseScalar(v) === v ? v : JSON.stringify(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
// a list for in/not_in: comma separated
export function parseList(text) { return text.split(',').map(s => s.trim()).filter(s => s !== '').map(parseScalar); }
export function formatList(v) { return Array.isArray(v) ? v.map(formatScalar).join(', ') : formatScalar(v); }

// setOp changes an operator and keeps the value's shape fitting it.
export function setOp(node, op) {
  const before = node.op;
  if (op === '') { delete node.op; delete node.value; return; }
  node.op = op;
  if (op === 'exists' || op === 'not_exists') { delete node.value; return; }
  const list = op === 'in' || op === 'not_in', pair = op === 'between';
  const v = node.value;
  if (list && !Array.isArray(v)) node.value = v === undefined || v === '' ? [] : [v];
  else if (pair && !(Array.isArray(v) && v.length === 2)) node.value = [Array.isArray(v) ? v[0] ?? 0 : v ?? 0, 0];
  else if (!list && !pair && (Array.isArray(v) || v === undefined)) node.value = Array.isArray(v) ? v[0] ?? '' : '';
  if (before === undefined && node.value === '') node.value = 1;
}

// --- windows: one form each; the picker names the form ---
export function windowMode(w) {
  if (!w || w.all) return 'all';
  if ('last' in w) return 'last';
  if ('calendar' in w) return (w.offset || 0) === 0 ? 'this' : 'previous';
  return 'between';
}
export function newWindow(mode, old) {
  const cal = (old && old.calendar) || 'week';
  switch (mode) {
    case 'last': return { last: '7d' };
    case 'this': return { calendar: cal, offset: 0 };
    case 'previous': return { calendar: cal, offset: -1 };
    case 'between': return { since: '', until: '' };
    default: return { all: true };
  }
}
export function splitDuration(d) {
  const m = /^(\d+)([mhdw])$/.exec(d || '');
  return m ? [m[1], m[2]] : ['', 'd'];
}

// --- editing operations on the tree; each returns the new root ---
export function clone(v) { return v === undefined ? v : JSON.parse(JSON.stringify(v)); }

export function replace(root, ptr, node) {
  if (ptr === '') return node;
  get(root, parentOf(ptr))[lastOf(ptr)] = node;
  return root;
}
export function remove(root, ptr) {
  const arr = get(root, parentOf(ptr));
  if (Array.isArray(arr)) { arr.splice(Number(lastOf(ptr)), 1); return root; }
  // the child of a not: removing it removes the not
  return remove(root, parentOf(ptr));
}
// move swaps a node with its sibling (by = -1 up, +1 down); returns its new pointer
export function move(root, ptr, by) {
  const arr = get(root, parentOf(ptr)), i = Number(lastOf(ptr)), j = i + by;
  if (!Array.isArray(arr) || j < 0 || j >= arr.length) return ptr;
  [arr[i], arr[j]] = [arr[j], arr[i]];
  return join(parentOf(ptr), j);
}
// exclude wraps a node in a not; include unwraps it
export function toggleExclude(root, ptr) {
  const n = get(root, ptr);
  return replace(root, ptr, n.type === 'not' ? n.child : { type: 'not', child: n });
}
// the group that holds a node in its children, and the node's index, if any
export function groupOf(ptr) {
  const p = parentOf(ptr);
  return lastOf(p) === 'children' ? { group: parentOf(p), index: Number(lastOf(ptr)) } : null;
}
// wrap puts a node alone in a new "all of" group, to regroup around it
export function wrap(root, ptr) { return replace(root, ptr, { type: 'and', children: [get(root, ptr)] }); }
// outdent moves a node out of its group, just after the group
export function outdent(root, ptr) {
  const g = groupOf(ptr); if (!g) return [root, ptr];
  const outer = groupOf(g.group); if (!outer) return [root, ptr];
  const node = get(root, ptr);
  get(root, join(g.group, 'children')).splice(g.index, 1);
  get(root, join(outer.group, 'children')).splice(outer.index + 1, 0, node);
  return [root, join(join(outer.group, 'children'), outer.index + 1)];
}
// indent moves a node into the group just before it, as its last child
export function indent(root, ptr) {
  const g = groupOf(ptr); if (!g || g.index === 0) return [root, ptr];
  const siblings = get(root, join(g.group, 'children'));
  const prev = siblings[g.index - 1];
  if (!isGroup(prev)) return [root, ptr];
  const [node] = siblings.splice(g.index, 1);
  prev.children.push(node);
  return [root, join(join(join(join(g.group, 'children'), g.index - 1), 'children'), prev.children.length - 1)];
}

// describe is one line about a node, for lists (explanations, problems).
export function describe(n) {
  if (!n) return '';
  const v = n.op ? ` ${OP_LABEL[n.op] || n.op}${'value' in n ? ' ' + JSON.stringify(n.value) : ''}` : '';
  switch (n.type) {
    case 'and': return `all of ${n.children.length}`;
    case 'or': return `any of ${n.children.length}`;
    case 'not': return `not (${describe(n.child)})`;
    case 'attribute': return `${n.field}${v}`;
    case 'event': {
      const a = n.aggregate && n.aggregate.fn !== 'count' ? `${n.aggregate.fn} of ${n.aggregate.property} in ` : 'count of ';
      return `${a}${n.event}${v || ' ≥ 1'}`;
    }
    case 'funnel': return `funnel ${n.steps.map(s => s.event).join(' → ')}`;
    case 'segment': return `in segment ${n.segment_id}`;
  }
  return n.type;
}

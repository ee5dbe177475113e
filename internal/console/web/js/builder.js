// The builder view: renders the tree as nested cards and turns every
// control into an edit of the tree (tree.js). Typing edits the tree in
// place without re-rendering (the caret stays put); a structural change
// (a select, a checkbox, a button) re-renders and puts focus back on the
// same control, so the builder is usable by keyboard alone.
import { h, idOf } from './dom.js';
import * as T from './tree.js';

const KIND = { and: 'Group', or: 'Group', attribute: 'User attribute', event: 'Event', funnel: 'Funnel', segment: 'Saved segment', not: 'Excluded' };

export class Builder {
  constructor(el, { onChange }) {
    this.el = el; this.onChange = onChange;
    this.tree = T.newNode('and');
    this.zone = 'UTC';
    this.dict = { events: [], props: [], attrs: [], segments: [], values: {} };
  }

  setTree(tree) { this.tree = tree; this.render(); this.onChange(); }
  setDictionary(d) { Object.assign(this.dict, d); this.renderLists(); }

  // edit runs fn on the tree; structural edits re-render, focusing focusKey
  edit(fn, structural = true, focusKey) {
    const r = fn(this.tree);
    if (r !== undefined) this.tree = r;
    if (structural) this.render(focusKey);
    this.onChange();
  }

  render(focusKey) {
    const active = document.activeElement;
    focusKey = focusKey || (active && this.el.contains(active) ? active.dataset.k : undefined);
    this.el.replaceChildren(this.renderSlot('', this.tree, true), h('div', { id: 'builder-lists' }));
    this.renderLists();
    if (focusKey) {
      // the same control, or, when the node moved where that button is not
      // shown (moved to the top: no "up"), another button of the node
      const ptr = focusKey.slice(0, focusKey.lastIndexOf('|'));
      const keys = [focusKey, ...['up', 'down', 'in', 'out', 'wrap'].map(n => `${ptr}|${n}`)];
      const target = keys.map(key => this.el.querySelector(`[data-k="${CSS.escape(key)}"]`)).find(Boolean);
      if (target) target.focus();
    }
  }

  renderLists() {
    const box = this.el.querySelector('#builder-lists');
    if (!box) return;
    const list = (id, values) => h('datalist', { id }, values.map(v => h('option', { value: v.value ?? v }, v.label ?? undefined)));
    box.replaceChildren(list('dl-events', this.dict.events), list('dl-props', this.dict.props),
      list('dl-attrs', [...T.BUILTIN_FIELDS, ...this.dict.attrs]), list('dl-segments', this.dict.segments),
      // frequent values of each path, offered in its value box
      ...Object.entries(this.dict.values || {}).map(([path, vs]) => list(idOf('dl-v', path), vs)));
  }

  // renderSlot renders the node at ptr; a not is shown as its child marked
  // "excluded", with the not's own count beside it.
  renderSlot(ptr, node, isRoot = false) {
    if (node.type === 'not' && node.child && node.child.type !== 'not') {
      return h('div', { class: 'excluded', 'data-node': ptr },
        h('div', { class: 'excluded-label' }, 'Exclude these users ', h('span', { class: 'count', 'data-count-for': ptr }, '')),
        this.renderNode(T.join(ptr, 'child'), node.child, ptr, isRoot));
    }
    return this.renderNode(ptr, node, ptr, isRoot);
  }

  // actions are the buttons of a card; slot is the pointer they act on
  // (the not, when the node is excluded).
  actions(slot, isRoot, label) {
    const k = name => `${slot}|${name}`;
    // fn edits the tree and may return [root, new pointer of the node]:
    // focus follows the node to where it moved.
    const btn = (name, text, aria, fn, show = true) => show && h('button', {
      type: 'button', class: 'icon', 'data-k': k(name), 'aria-label': `${aria}: ${label}`, title: aria,
      onclick: () => {
        const r = fn(this.tree);
        const [root, focus] = Array.isArray(r) ? [r[0], r[1] === null ? null : `${r[1]}|${name}`] : [r, k(name)];
        this.edit(() => root, true, focus || `${g ? g.group : ''}|add-event`);
      },
    }, text);
    const g = T.groupOf(slot);
    const excluded = T.get(this.tree, slot).type === 'not';
    const siblings = g ? T.get(this.tree, T.parentOf(slot)) : [];
    return h('span', { class: 'actions' },
      h('label', { class: 'exclude' }, h('input', {
        type: 'checkbox', checked: excluded, 'data-k': k('exclude'),
        onchange: () => this.edit(t => T.toggleExclude(t, slot), true, k('exclude')),
      }), ' exclude'),
      g && btn('up', '↑', 'Move up', t => [t, T.move(t, slot, -1)], g.index > 0),
      g && btn('down', '↓', 'Move down', t => [t, T.move(t, slot, +1)], g.index < siblings.length - 1),
      g && btn('in', '⇥', 'Move into the group above', t => T.indent(t, slot), g.index > 0 && T.isGroup(siblings[g.index - 1])),
      g && btn('out', '⇤', 'Move out of this group', t => T.outdent(t, slot), !!T.groupOf(g.group)),
      btn('wrap', '⊞', 'Put in a new group', t => [T.wrap(t, slot), slot]),
      !isRoot && btn('remove', '✕', 'Remove', t => [T.remove(t, slot), null]),
    );
  }

  renderNode(ptr, node, slot, isRoot) {
    const title = T.isGroup(node) ? (isRoot ? 'All users who match' : 'Group') : KIND[node.type] || node.type;
    const label = `${title} ${slot || '(root)'}`;
    const body = T.isGroup(node) ? this.groupBody(ptr, node)
      : node.type === 'attribute' ? this.attributeBody(ptr, node)
        : node.type === 'event' ? this.eventBody(ptr, node)
          : node.type === 'funnel' ? this.funnelBody(ptr, node)
            : node.type === 'segment' ? this.segmentBody(ptr, node)
              : h('p', {}, `A "${node.type}" node: edit it in the JSON tab.`);
    const attrs = { class: `node node-${node.type}`, role: 'group', 'aria-label': label };
    attrs['data-node'] = ptr;
    return h('section', attrs,
      h('header', {},
        h('span', { class: 'kind' }, title),
        h('span', { class: 'count', 'data-count-for': ptr, 'aria-live': 'off' }, ''),
        this.actions(slot, isRoot, label)),
      body,
      h('div', { class: 'problems', 'data-problems-for': ptr }));
  }

  // --- controls; each writes one field of the node at ptr ---
  text(ptr, node, key, label, opts = {}) {
    const get = opts.get || (n => n[key] ?? '');
    const set = opts.set || ((n, v) => { n[key] = v; });
    return h('label', { class: `f ${opts.cls || ''}` }, h('span', {}, label), h('input', {
      type: opts.type || 'text', class: opts.cls, value: get(node), list: opts.list, placeholder: opts.placeholder, 'data-k': `${ptr}|${key}`,
      size: opts.size, inputmode: opts.inputmode, spellcheck: 'false', autocomplete: 'off',
      oninput: e => this.edit(() => { set(node, e.target.value); }, false),
    }));
  }
  select(ptr, node, key, label, options, opts = {}) {
    const cur = opts.get ? opts.get(node) : node[key];
    return h('label', { class: 'f' }, h('span', {}, label), h('select', {
      'data-k': `${ptr}|${key}`,
      onchange: e => this.edit(() => { (opts.set || ((n, v) => { n[key] = v; }))(node, e.target.value); }, true, `${ptr}|${key}`),
    }, options.map(([v, t]) => h('option', { value: v, selected: v === cur ? 'selected' : undefined }, t))));
  }

  opValue(ptr, node, ops, { optional = false } = {}) {
    const opList = ops.map(o => [o, T.OP_LABEL[o]]);
    if (optional) opList.unshift(['', 'at least once']);
    const out = [this.select(ptr, node, 'op', 'Comparison', opList, { get: n => n.op ?? '', set: (n, v) => T.setOp(n, v) })];
    const op = node.op;
    if (!op || op === 'exists' || op === 'not_exists') return out;
    if (op === 'between') {
      for (const i of [0, 1]) out.push(this.text(ptr, node, `value${i}`, i ? 'and' : 'Value', {
        get: n => T.formatScalar((n.value || [])[i]), set: (n, v) => { n.value[i] = T.parseScalar(v); }, size: 10,
      }));
    } else if (op === 'in' || op === 'not_in') {
      out.push(this.text(ptr, node, 'value', 'Values (comma separated)', { get: n => T.formatList(n.value), set: (n, v) => { n.value = T.parseList(v); } }));
    } else {
      const path = node.field ?? node.property;
      out.push(this.text(ptr, node, 'value', 'Value', {
        get: n => T.formatScalar(n.value), set: (n, v) => { n.value = T.parseScalar(v); }, size: 10,
        list: path && this.dict.values && this.dict.values[path] ? idOf('dl-v', path) : undefined,
      }));
    }
    return out;
  }

  groupBody(ptr, node) {
    const kids = node.children.map((c, i) => this.renderSlot(T.join(T.join(ptr, 'children'), i), c));
    const add = kind => h('button', {
      type: 'button', 'data-k': `${ptr}|add-${kind}`,
      onclick: () => this.edit(() => { node.children.push(T.newNode(kind)); }, true,
        `${T.join(T.join(ptr, 'children'), node.children.length)}|${kind === 'and' ? 'type' : ({ attribute: 'field', event: 'event', funnel: 'within', segment: 'segment_id' })[kind]}`),
    }, `+ ${({ attribute: 'Attribute', event: 'Event', funnel: 'Funnel', segment: 'Saved segment', and: 'Group' })[kind]}`);
    return h('div', { class: 'group-body' },
      h('div', { class: 'fields' }, this.select(ptr, node, 'type', 'Match', [['and', 'all of these (and)'], ['or', 'any of these (or)']])),
      h('div', { class: 'children' }, kids.length ? kids : h('p', { class: 'empty' }, 'No conditions yet: add one below.')),
      h('div', { class: 'add', role: 'toolbar', 'aria-label': 'Add a condition' }, ['attribute', 'event', 'funnel', 'segment', 'and'].map(add)),
      h('div', { class: 'attrition', 'data-attrition-for': ptr }));
  }

  attributeBody(ptr, node) {
    return h('div', { class: 'fields' },
      this.text(ptr, node, 'field', 'Attribute', { list: 'dl-attrs', placeholder: 'country' }),
      ...this.opValue(ptr, node, T.OPS));
  }

  eventBody(ptr, node) {
    const fn = (node.aggregate && node.aggregate.fn) || 'count';
    return h('div', { class: 'event-body' },
      h('div', { class: 'fields' },
        this.text(ptr, node, 'event', 'Event', { list: 'dl-events', placeholder: '$buy' }),
        this.select(ptr, node, 'fn', 'Measure', T.FNS.map(f => [f, f === 'count' ? 'number of events' : f.replace('_', ' ')]), {
          get: () => fn,
          set: (n, v) => {
            n.aggregate = { ...(n.aggregate || {}), fn: v };
            if (v === 'count') { delete n.aggregate.property; } else {
              n.aggregate.property = n.aggregate.property || '';
              if (!n.op) { n.op = 'gte'; n.value = 1; }
            }
          },
        }),
        fn !== 'count' && this.text(ptr, node, 'property', 'of property', {
          list: 'dl-props', placeholder: 'items.price', get: n => n.aggregate.property ?? '', set: (n, v) => { n.aggregate.property = v; },
        }),
        ...this.opValue(ptr, node, T.OPS, { optional: fn === 'count' })),
      this.windowPicker(ptr, node),
      this.whereList(ptr, node, node, 'Only events where'));
  }

  whereList(ptr, node, holder, label) {
    const wptr = T.join(ptr, 'where');
    const rows = (holder.where || []).map((w, i) => {
      const p = T.join(wptr, i);
      return h('div', { class: 'fields where', 'data-node': p },
        this.text(p, w, 'property', 'Property', { list: 'dl-props', placeholder: 'items.price' }),
        ...this.opValue(p, w, T.OPS),
        h('button', {
          type: 'button', class: 'icon', 'aria-label': `Remove the refinement ${i + 1}`, title: 'Remove',
          onclick: () => this.edit(() => { holder.where.splice(i, 1); if (!holder.where.length) delete holder.where; }),
        }, '✕'));
    });
    return h('div', { class: 'where-list' }, rows.length ? h('span', { class: 'sub' }, label) : '', rows,
      h('button', {
        type: 'button', class: 'small', 'data-k': `${ptr}|add-where`,
        onclick: () => this.edit(() => { (holder.where = holder.where || []).push({ property: '', op: 'eq', value: '' }); }, true, `${T.join(wptr, (holder.where || []).length)}|property`),
      }, '+ where'));
  }

  windowPicker(ptr, node) {
    const w = node.window, mode = T.windowMode(w), wp = T.join(ptr, 'window');
    const out = [this.select(ptr, node, 'window', 'When', [['all', 'all time'], ['last', 'in the last'], ['this', 'this'], ['previous', 'previous'], ['between', 'between dates']], {
      get: () => mode, set: (n, v) => { n.window = T.newWindow(v, n.window); },
    })];
    if (mode === 'last') {
      const [num, unit] = T.splitDuration(w.last);
      out.push(h('label', { class: 'f' }, h('span', {}, 'Amount'), h('input', {
        type: 'number', min: 1, value: num, 'data-k': `${wp}|n`, size: 4, class: 'num',
        oninput: e => this.edit(() => { w.last = `${e.target.value}${T.splitDuration(w.last)[1]}`; }, false),
      })));
      out.push(this.select(wp, w, 'unit', 'Unit', [['m', 'minutes'], ['h', 'hours'], ['d', 'days'], ['w', 'weeks']], {
        get: () => unit, set: (x, v) => { x.last = `${T.splitDuration(x.last)[0] || 1}${v}`; },
      }));
    } else if (mode === 'this' || mode === 'previous') {
      out.push(this.select(wp, w, 'calendar', 'Period', T.PERIODS.map(p => [p, p])));
      if (mode === 'previous') out.push(this.text(wp, w, 'offset', 'periods back', {
        type: 'number', cls: 'num', get: x => -x.offset, set: (x, v) => { x.offset = -Math.abs(Number(v) || 1); }, size: 3,
      }));
      out.push(h('span', { class: 'zone' }, `in ${this.zone}`));
    } else if (mode === 'between') {
      for (const [key, label] of [['since', 'From (RFC 3339)'], ['until', 'until (excluded)']]) {
        out.push(this.text(wp, w, key, label, {
          placeholder: '2026-01-01T00:00:00Z',
          set: (x, v) => { if (v) x[key] = v; else delete x[key]; },
        }));
      }
    }
    return h('div', { class: 'fields window' }, out);
  }

  funnelBody(ptr, node) {
    const sp = T.join(ptr, 'steps');
    const steps = node.steps.map((s, i) => {
      const p = T.join(sp, i);
      return h('li', { 'data-node': p },
        h('div', { class: 'fields' },
          this.text(p, s, 'event', `Step ${i + 1}`, { list: 'dl-events', placeholder: 'view_item' }),
          h('button', {
            type: 'button', class: 'icon', 'aria-label': `Remove step ${i + 1}`, title: 'Remove step',
            onclick: () => this.edit(() => { node.steps.splice(i, 1); }),
          }, '✕')),
        this.whereList(p, s, s, 'where'));
    });
    return h('div', { class: 'funnel-body' },
      h('ol', { class: 'steps' }, steps),
      h('button', { type: 'button', class: 'small', 'data-k': `${ptr}|add-step`, onclick: () => this.edit(() => { node.steps.push({ event: '' }); }, true, `${T.join(sp, node.steps.length)}|event`) }, '+ step'),
      h('div', { class: 'fields' },
        this.text(ptr, node, 'within', 'Within', { placeholder: '1d', size: 5, set: (n, v) => { if (v) n.within = v; else delete n.within; } }),
        this.text(ptr, node, 'reached', 'Reached at least (steps)', {
          type: 'number', cls: 'num', size: 3, placeholder: String(node.steps.length),
          set: (n, v) => { if (v) n.reached = Number(v); else delete n.reached; },
        }),
        h('label', { class: 'f check' }, h('input', {
          type: 'checkbox', checked: !!node.exact, 'data-k': `${ptr}|exact`,
          onchange: e => this.edit(() => { if (e.target.checked) node.exact = true; else delete node.exact; }, true),
        }), h('span', {}, 'exactly'))),
      this.windowPicker(ptr, node));
  }

  segmentBody(ptr, node) {
    return h('div', { class: 'fields' }, this.text(ptr, node, 'segment_id', 'Segment', { list: 'dl-segments', placeholder: 'seg_…', size: 24 }));
  }
}


// Live sizes: the total and every node's count from POST …/explain,
// refreshed as the marketer edits. Edits are debounced (400 ms); a newer
// edit aborts the request in flight (AbortController) rather than waiting
// for an answer nobody will read; a request over 300 ms shows "computing…".
import { h, $$, fmt } from './dom.js';
import { parentOf } from './tree.js';

const DEBOUNCE_MS = 400, SLOW_MS = 300;

export class Sizes {
  constructor(client, { root, total, status }) {
    Object.assign(this, { client, root, total, status });
    this.timer = null; this.inflight = null; this.last = null;
  }

  schedule(tree) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(tree), DEBOUNCE_MS);
  }

  async run(tree) {
    if (this.inflight) this.inflight.abort();
    const ctl = new AbortController();
    this.inflight = ctl;
    const slow = setTimeout(() => this.setStatus('computing…', 'busy'), SLOW_MS);
    const body = JSON.stringify({ tree }); // a snapshot: later edits do not change this request
    try {
      const res = await this.client.post('/explain', JSON.parse(body), ctl.signal);
      if (ctl !== this.inflight) return;
      this.last = res;
      this.apply(res);
      this.setStatus(`sized in ${fmt(res.elapsed_ms)} ms`, '');
    } catch (err) {
      if (err.name === 'AbortError' || ctl !== this.inflight) return;
      this.clear();
      if (err.status === 400 && err.details.length) {
        this.total.textContent = '–';
        this.problems(err.details.map(d => ({ pointer: d.path, message: d.message })), 'error');
        this.setStatus(`${err.details.length} problem${err.details.length > 1 ? 's' : ''} to fix before the segment can be sized: see the marked conditions.`, 'error');
      } else {
        this.setStatus(err.words || String(err), 'error');
      }
    } finally {
      clearTimeout(slow);
      if (ctl === this.inflight) this.inflight = null;
    }
  }

  setStatus(text, kind) {
    this.status.textContent = text;
    this.status.dataset.kind = kind;
    this.root.setAttribute('aria-busy', kind === 'busy' ? 'true' : 'false');
  }

  clear() {
    for (const el of $$('[data-count-for]', this.root)) el.textContent = '';
    for (const el of $$('[data-problems-for]', this.root)) el.replaceChildren();
    for (const el of $$('[data-attrition-for]', this.root)) el.replaceChildren();
    for (const el of $$('.has-error', this.root)) el.classList.remove('has-error');
  }

  // reapply shows the last answer again after the builder re-rendered.
  reapply() { if (this.last) this.apply(this.last); }

  apply(res) {
    this.clear();
    this.total.textContent = `${fmt(res.count)} of ${fmt(res.users)} users`;
    this.total.dataset.count = res.count;
    const byPtr = new Map(res.nodes.map(n => [n.pointer, n]));
    for (const el of $$('[data-count-for]', this.root)) {
      const n = byPtr.get(el.dataset.countFor);
      if (!n) continue;
      el.textContent = `${fmt(n.count)} users`;
      el.dataset.count = n.count;
    }
    for (const el of $$('[data-attrition-for]', this.root)) {
      const n = byPtr.get(el.dataset.attritionFor);
      if (n && n.cumulative && n.cumulative.length > 1) el.append(attrition(n, res.users));
    }
    this.problems((res.warnings || []).map(w => ({ pointer: w.pointer, message: w.message })), 'warning');
  }

  // problems shows each message at the node its pointer names: the
  // pointers are into the request body (/tree/…); a field's pointer
  // (/tree/children/2/op) is shown at the nearest node that holds it.
  problems(list, kind) {
    for (const p of list) {
      let ptr = (p.pointer || '').replace(/^\/tree/, '');
      let box = null;
      for (;;) {
        box = this.root.querySelector(`[data-problems-for="${CSS.escape(ptr)}"]`);
        if (box || ptr === '') break;
        ptr = parentOf(ptr);
      }
      if (!box) continue;
      box.append(h('p', { class: kind, role: kind === 'error' ? 'alert' : undefined }, kind === 'error' ? '⚠ ' : 'ℹ ', p.message));
      if (kind === 'error') box.parentElement.classList.add('has-error');
    }
  }
}

// attrition draws a group's cumulative counts: how many users are left
// after each child (an and narrows, an or widens).
function attrition(n, users) {
  const max = Math.max(...n.cumulative, 1);
  const verb = n.type === 'and' ? 'and' : 'or';
  return h('div', { class: 'bars', role: 'list', 'aria-label': 'Users left after each condition' },
    h('span', { class: 'sub' }, n.type === 'and' ? 'Attrition: users left after each condition' : 'Users gained with each condition'),
    n.cumulative.map((c, i) => h('div', { class: 'bar', role: 'listitem' },
      h('span', { class: 'bar-label' }, i === 0 ? 'condition 1' : `${verb} ${i + 1}`),
      h('span', { class: 'bar-track' }, h('span', { class: 'bar-fill', style: { width: `${(100 * c / max).toFixed(1)}%` } })),
      h('span', { class: 'bar-value', 'data-cumulative': c }, `${fmt(c)}${users ? ` (${(100 * c / users).toFixed(1)}%)` : ''}`))));
}

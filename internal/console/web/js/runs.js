// Runs of the open segment: start (now or as of a time), progress
// (polled), cancel, the first members, downloads, the run history with
// each run's changes against the previous one, and "is this user a
// member, and why".
import { h, fmt } from './dom.js';
import { enc } from './api.js';
import { get, describe } from './tree.js';

const POLL_MS = 500;
const FINAL = new Set(['succeeded', 'failed', 'canceled']);
const HISTORY_PAGE = 20;

export class Runs {
  constructor(client, els, { say }) {
    Object.assign(this, { client, els, say });
    this.segment = null; this.run = null; this.poller = null;
    els.start.addEventListener('click', () => this.start());
    els.cancel.addEventListener('click', () => this.cancel());
    els.txt.addEventListener('click', () => this.download('txt'));
    els.csv.addEventListener('click', () => this.download('csv'));
    els.whyForm.addEventListener('submit', e => { e.preventDefault(); this.why(); });
    els.histMore.addEventListener('click', () => this.history(true));
  }

  setSegment(seg) {
    this.segment = seg;
    clearTimeout(this.poller);
    this.run = null;
    this.els.panel.hidden = !seg;
    this.els.title.textContent = seg ? `Run "${seg.name}" (version ${seg.version})` : '';
    this.renderRun();
    this.els.preview.replaceChildren();
    this.els.whyOut.replaceChildren();
    this.els.diff.replaceChildren();
    if (seg) this.history(); else this.els.histRows.replaceChildren();
  }

  async start() {
    try {
      const asOf = this.els.asOf.value.trim();
      this.run = await this.client.post(`/segments/${enc(this.segment.id)}/runs`, asOf ? { as_of: asOf } : {});
      this.renderRun();
      this.history();
      this.poll();
    } catch (err) { this.say(err, this.els.status); }
  }

  async poll() {
    clearTimeout(this.poller);
    if (!this.run) return;
    try {
      this.run = await this.client.get(`/runs/${enc(this.run.id)}`);
      this.renderRun();
    } catch (err) { this.say(err, this.els.status); return; }
    if (FINAL.has(this.run.state)) { if (this.run.state === 'succeeded') this.preview(); this.history(); return; }
    this.poller = setTimeout(() => this.poll(), POLL_MS);
  }

  async cancel() {
    try {
      this.run = await this.client.del(`/runs/${enc(this.run.id)}`);
      this.renderRun();
    } catch (err) { this.say(err, this.els.status); }
  }

  renderRun() {
    const r = this.run, e = this.els;
    const busy = r && !FINAL.has(r.state);
    e.cancel.hidden = !busy;
    e.progress.hidden = !busy;
    e.txt.disabled = e.csv.disabled = !(r && r.state === 'succeeded');
    if (!r) { e.status.textContent = 'No run yet: a run evaluates the saved version now and keeps its members.'; e.status.dataset.kind = ''; return; }
    e.progress.value = r.progress || 0;
    const parts = [`Run ${r.id}: ${r.state}`];
    if (busy) parts.push(`${Math.round(100 * (r.progress || 0))}%`);
    if (r.count !== null && r.count !== undefined) parts.push(`${fmt(r.count)} members as of ${r.as_of}`);
    if (r.error) parts.push(`error: ${r.error}`);
    e.status.textContent = parts.join(' · ');
    e.status.dataset.kind = r.state === 'failed' ? 'error' : r.state === 'succeeded' ? 'ok' : 'busy';
  }

  // history lists the segment's runs, newest first; more appends the next page.
  async history(more = false) {
    const e = this.els, seg = this.segment;
    if (!more) this.histCursor = undefined;
    const q = `?limit=${HISTORY_PAGE}${more && this.histCursor ? `&cursor=${enc(this.histCursor)}` : ''}`;
    try {
      const res = await this.client.get(`/segments/${enc(seg.id)}/runs${q}`);
      if (seg !== this.segment) return;
      const rows = res.runs.map(r => this.historyRow(r));
      if (more) e.histRows.append(...rows); else e.histRows.replaceChildren(...rows);
      this.histCursor = res.next_cursor || null;
      e.histMore.hidden = !this.histCursor;
      const n = e.histRows.children.length;
      this.say(n ? `${fmt(n)} run(s) shown, newest first${this.histCursor ? '; more to load' : ''}.` : 'No runs yet.', e.histStatus, '');
    } catch (err) { this.say(err, e.histStatus); }
  }

  historyRow(r) {
    const took = r.started_at && r.finished_at ? `${((Date.parse(r.finished_at) - Date.parse(r.started_at)) / 1000).toFixed(1)} s` : '–';
    const waited = r.started_at ? ` (queued ${((Date.parse(r.started_at) - Date.parse(r.created_at)) / 1000).toFixed(1)} s)` : '';
    return h('tr', { 'data-run': r.id },
      h('td', {}, h('code', {}, r.id)),
      h('td', {}, r.purged_at ? `${r.state}, purged` : r.state),
      h('td', {}, r.as_of),
      h('td', { class: 'num' }, r.version),
      h('td', { class: 'num' }, fmt(r.count)),
      h('td', {}, r.scheduled ? 'scheduled' : 'by hand'),
      h('td', { title: `created ${r.created_at}` }, took + waited),
      h('td', {}, r.state === 'succeeded' && !r.purged_at
        ? h('button', { type: 'button', class: 'small', 'aria-label': `Changes of ${r.id} since the previous run`, onclick: () => this.diff(r) }, 'Changes') : ''));
  }

  // diff shows who entered and who left since the previous succeeded run.
  async diff(r) {
    const e = this.els;
    try {
      const d = await this.client.get(`/runs/${enc(r.id)}/diff?against=previous`);
      const dl = kind => h('button', { type: 'button', 'data-diff': kind, onclick: () => this.downloadDiff(r.id, kind, d[kind]) }, `Download ${kind}.txt`);
      e.diff.replaceChildren(
        h('p', { class: 'diff-counts', 'data-run': r.id, 'data-entered': d.entered, 'data-exited': d.exited },
          `${r.id} against ${d.against}: ${fmt(d.entered)} entered, ${fmt(d.exited)} exited${d.version_changed ? ' (the segment\'s version changed between them)' : ''}.`),
        h('div', { class: 'fields' }, dl('entered'), dl('exited')));
    } catch (err) {
      if (err.status === 404 && /previous/i.test(err.message)) e.diff.replaceChildren(h('p', { class: 'diff-counts', 'data-run': r.id, 'data-first': '' }, `${r.id} is the first run: there is no previous run to compare with.`));
      else this.say(err, e.diff);
    }
  }

  async downloadDiff(id, kind, n) {
    try {
      await this.client.download(`/runs/${enc(id)}/diff/${kind}.txt`, `${this.segment.id}-${id}-${kind}.txt`);
      this.say(`Downloaded ${kind}.txt (${fmt(n)} users).`, this.els.histStatus, 'ok');
    } catch (err) { this.say(err, this.els.histStatus); }
  }

  async preview() {
    try {
      const res = await this.client.get(`/runs/${enc(this.run.id)}/members?limit=50`);
      this.els.preview.replaceChildren(
        h('p', { class: 'sub' }, `The first ${res.user_ids.length} of ${fmt(this.run.count)} members`),
        h('ol', { class: 'members', 'aria-label': 'First members' }, res.user_ids.map(id => h('li', {}, id))));
    } catch (err) { this.say(err, this.els.preview); }
  }

  async download(kind) {
    try {
      await this.client.download(`/runs/${enc(this.run.id)}/members.${kind}`, `${this.segment.id}-${this.run.id}.${kind}`);
      this.say(`Downloaded members.${kind} (${fmt(this.run.count)} members).`, this.els.status, 'ok');
    } catch (err) { this.say(err, this.els.status); }
  }

  // why asks the API whether a user is a member now, and explains each
  // node of the saved version: the member decision and what was observed.
  async why() {
    const user = this.els.whyUser.value.trim();
    if (!user) { this.say('Type a user ID first.', this.els.whyOut); return; }
    try {
      const res = await this.client.get(`/segments/${enc(this.segment.id)}/members/${enc(user)}?explain=true`);
      const tree = this.segment.tree;
      this.els.whyOut.replaceChildren(
        h('p', { class: `verdict ${res.member ? 'yes' : 'no'}`, role: 'status' },
          `${user} ${res.member ? 'is a member' : 'is not a member'}${res.user_known === false ? ' (this app has never seen this user)' : ''}.`),
        h('ul', { class: 'why' }, (res.nodes || []).map(n => h('li', { class: n.member ? 'yes' : 'no', 'data-pointer': n.pointer },
          h('span', { class: 'mark', 'aria-label': n.member ? 'holds' : 'does not hold' }, n.member ? '✓' : '✗'), ' ',
          h('span', { class: 'what' }, describe(get(tree, n.pointer) || n) || n.type),
          h('span', { class: 'reason' }, reasonOf(n))))));
    } catch (err) { this.say(err, this.els.whyOut); }
  }
}

// reasonOf says in words what the evaluator observed for one node.
function reasonOf(n) {
  if (n.reason) return ` — ${n.reason}`;
  switch (n.type) {
    case 'attribute': return n.missing ? ` — the user has no ${n.field}` : n.values ? ` — ${n.field} is ${n.values.map(v => JSON.stringify(v)).join(', ')}` : '';
    case 'funnel': return n.steps_reached !== undefined ? ` — reached ${n.steps_reached} step(s)` : '';
    case 'segment': return ` — ${n.member ? 'in' : 'not in'} ${n.segment_id}`;
    case 'not': return n.member ? ' — the excluded condition does not hold' : ' — the excluded condition holds';
    default: return '';
  }
}

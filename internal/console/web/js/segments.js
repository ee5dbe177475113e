// Saved segments: the list (paged, searched), open, save (each save is a
// new version), version history with a line diff, and delete.
import { h, fmt } from './dom.js';
import { enc } from './api.js';

const PAGE = 50;

export class Segments {
  constructor(client, els, { getTree, open, say, onSaved, zone }) {
    Object.assign(this, { client, els, getTree, open, say, onSaved, zone });
    els.schedZone.textContent = `(cron in the app's time zone, ${zone}; "every" counts from 00:00 UTC)`;
    els.schedKind.addEventListener('change', () => this.showSchedule());
    this.items = []; this.cursor = undefined; this.current = null; this.loading = null;
    els.search.addEventListener('input', () => this.renderList());
    els.more.addEventListener('click', () => this.loadPage());
    els.form.addEventListener('submit', e => { e.preventDefault(); this.save(); });
    els.newBtn.addEventListener('click', () => this.startNew());
    els.diffBtn.addEventListener('click', () => this.diff());
    els.loadVersionBtn.addEventListener('click', () => this.loadVersion());
    els.deleteBtn.addEventListener('click', () => this.askDelete());
    els.deleteYes.addEventListener('click', () => this.remove());
    els.deleteNo.addEventListener('click', () => { els.deleteConfirm.hidden = true; els.deleteBtn.focus(); });
  }

  async reload() { this.items = []; this.cursor = undefined; await this.loadPage(); }

  async loadPage() {
    if (this.cursor === null) return;
    const q = `?limit=${PAGE}${this.cursor ? `&cursor=${enc(this.cursor)}` : ''}`;
    try {
      const res = await this.client.get(`/segments${q}`);
      this.items.push(...res.segments);
      this.cursor = res.next_cursor || null;
      this.renderList();
    } catch (err) { this.say(err, this.els.listStatus); }
  }

  // search filters the pages loaded so far by name and ID (the API lists
  // by ID only); "Load more" reaches the rest.
  renderList() {
    const q = this.els.search.value.trim().toLowerCase();
    const shown = this.items.filter(s => !q || s.name.toLowerCase().includes(q) || s.id.toLowerCase().includes(q));
    this.els.list.replaceChildren(...shown.map(s => h('li', {},
      h('button', { type: 'button', class: `seg${this.current && this.current.id === s.id ? ' current' : ''}`, 'data-id': s.id, onclick: () => this.openSegment(s.id) },
        h('span', { class: 'seg-name' }, s.name || s.id), h('span', { class: 'seg-meta' }, `${s.id} · v${s.version}`)))));
    if (!shown.length) this.els.list.append(h('li', { class: 'empty' }, q ? 'No loaded segment matches.' : 'No segments yet.'));
    this.els.more.hidden = this.cursor === null;
    this.els.listStatus.textContent = `${fmt(this.items.length)} loaded${this.cursor === null ? '' : ', more to load'}`;
    this.els.segmentIds(this.items.map(s => ({ value: s.id, label: s.name })));
  }

  async openSegment(id) {
    try {
      const seg = await this.client.get(`/segments/${enc(id)}`);
      this.setCurrent(seg);
      this.open(seg.tree);
      this.say(`Opened "${seg.name}", version ${seg.version}.`, this.els.saveStatus, 'ok');
    } catch (err) { this.say(err, this.els.listStatus); }
  }

  startNew() {
    this.setCurrent(null);
    this.open({ type: 'and', children: [] });
    this.els.name.focus();
  }

  setCurrent(seg) {
    this.current = seg;
    const e = this.els;
    e.name.value = seg ? seg.name : '';
    e.description.value = seg ? seg.description || '' : '';
    e.saveBtn.textContent = seg ? `Save as version ${seg.version + 1}` : 'Save new segment';
    e.currentLabel.textContent = seg ? `${seg.id} · version ${seg.version} · ${scheduleWords(seg.schedule, this.zone)}` : 'not saved yet';
    const sc = (seg && seg.schedule) || {}, every = /^(\d+)([mhdw])$/.exec(sc.every || '');
    e.schedKind.value = sc.cron !== undefined ? 'cron' : sc.every !== undefined ? 'every' : '';
    e.schedN.value = every ? every[1] : '1';
    e.schedUnit.value = every ? every[2] : 'h';
    e.schedCron.value = sc.cron || '';
    this.showSchedule();
    this.scheduleProblem(null);
    e.versions.hidden = !seg;
    e.diffOut.replaceChildren();
    e.deleteConfirm.hidden = true;
    if (seg) {
      const opts = n => Array.from({ length: seg.version }, (_, i) => h('option', { value: i + 1, selected: i + 1 === n ? 'selected' : undefined }, `version ${i + 1}`));
      e.versionA.replaceChildren(...opts(Math.max(1, seg.version - 1)));
      e.versionB.replaceChildren(...opts(seg.version));
    }
    this.renderList();
    this.onSaved(seg);
  }

  async save() {
    const e = this.els;
    const body = { name: e.name.value.trim(), tree: this.getTree() };
    if (e.description.value.trim()) body.description = e.description.value.trim();
    const kind = e.schedKind.value;
    body.schedule = kind === 'every' ? { every: `${e.schedN.value.trim()}${e.schedUnit.value}` } : kind === 'cron' ? { cron: e.schedCron.value.trim() } : null;
    this.scheduleProblem(null);
    if (!body.name) { this.say('Give the segment a name first.', e.saveStatus); e.name.focus(); return; }
    try {
      const seg = this.current
        ? await this.client.put(`/segments/${enc(this.current.id)}`, body)
        : await this.client.post('/segments', body);
      const isNew = !this.current;
      if (isNew) this.items.push(seg); else this.items = this.items.map(s => (s.id === seg.id ? seg : s));
      this.setCurrent(seg);
      const warn = (seg.warnings || []).length ? ` ${seg.warnings.length} warning(s): ${seg.warnings.map(w => w.message).join('; ')}` : '';
      this.say(`Saved "${seg.name}" as version ${seg.version} (${scheduleWords(seg.schedule, this.zone)}).${warn}`, e.saveStatus, 'ok');
    } catch (err) {
      this.say(err, e.saveStatus);
      const d = (err.details || []).find(x => (x.path || '').startsWith('/schedule'));
      if (d) this.scheduleProblem(d);
    }
  }

  // showSchedule shows the inputs of the chosen kind of schedule.
  showSchedule() {
    const k = this.els.schedKind.value;
    this.els.schedEvery.hidden = k !== 'every';
    this.els.schedCronBox.hidden = k !== 'cron';
  }

  // scheduleProblem shows a 400 at /schedule/… at the field it names.
  scheduleProblem(d) {
    const e = this.els;
    const input = d && (d.path.startsWith('/schedule/cron') ? e.schedCron : d.path.startsWith('/schedule/every') ? e.schedN : e.schedKind);
    for (const el of [e.schedN, e.schedCron, e.schedKind]) { if (el === input) el.setAttribute('aria-invalid', 'true'); else el.removeAttribute('aria-invalid'); }
    if (!d) { e.schedError.replaceChildren(); e.schedError.removeAttribute('data-kind'); e.schedError.removeAttribute('role'); return; }
    this.say(`Schedule: ${d.message}`, e.schedError);
    input.focus();
  }

  async fetchVersion(n) { return this.client.get(`/segments/${enc(this.current.id)}/versions/${n}`); }

  async diff() {
    const a = Number(this.els.versionA.value), b = Number(this.els.versionB.value);
    try {
      const [va, vb] = await Promise.all([this.fetchVersion(a), this.fetchVersion(b)]);
      const lines = lineDiff(pretty(va), pretty(vb));
      const changed = lines.filter(l => l.op !== ' ').length;
      this.els.diffOut.replaceChildren(
        h('p', { class: 'sub' }, changed ? `Version ${a} → version ${b}: ${changed} line(s) changed.` : `Versions ${a} and ${b} are the same.`),
        h('pre', { class: 'diff', tabindex: 0, 'aria-label': `Differences between version ${a} and version ${b}` },
          lines.map(l => h('span', { class: l.op === '+' ? 'add' : l.op === '-' ? 'del' : 'same' }, `${l.op} ${l.text}\n`))));
    } catch (err) { this.say(err, this.els.diffOut); }
  }

  async loadVersion() {
    const n = Number(this.els.versionB.value);
    try {
      const v = await this.fetchVersion(n);
      this.open(v.tree);
      this.say(`Loaded version ${n} into the builder: saving makes it version ${this.current.version + 1}.`, this.els.saveStatus, 'ok');
    } catch (err) { this.say(err, this.els.saveStatus); }
  }

  askDelete() { this.els.deleteConfirm.hidden = false; this.els.deleteNo.focus(); }

  async remove() {
    const seg = this.current;
    this.els.deleteConfirm.hidden = true;
    try {
      await this.client.del(`/segments/${enc(seg.id)}`);
      this.items = this.items.filter(s => s.id !== seg.id);
      this.startNew();
      this.say(`Deleted "${seg.name}" and all its versions.`, this.els.saveStatus, 'ok');
    } catch (err) {
      if (err.status === 409) {
        this.say(`"${seg.name}" cannot be deleted: other segments use it (${err.message}). Remove the references from those segments, save them, then delete this one.`, this.els.saveStatus);
      } else this.say(err, this.els.saveStatus);
    }
  }
}

// pretty is the version as the diff shows it: name, description and the
// canonical tree, indented one field a line.
function pretty(v) {
  return JSON.stringify({ name: v.name, description: v.description || '', tree: v.tree }, null, 2).split('\n');
}

// lineDiff is a longest-common-subsequence diff of two line lists.
export function lineDiff(a, b) {
  const m = a.length, n = b.length;
  const L = Array.from({ length: m + 1 }, () => new Int32Array(n + 1));
  for (let i = m - 1; i >= 0; i--) for (let j = n - 1; j >= 0; j--) L[i][j] = a[i] === b[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
  const out = [];
  let i = 0, j = 0;
  while (i < m && j < n) {
    if (a[i] === b[j]) { out.push({ op: ' ', text: a[i] }); i++; j++; } else if (L[i + 1][j] >= L[i][j + 1]) out.push({ op: '-', text: a[i++] });
    else out.push({ op: '+', text: b[j++] });
  }
  while (i < m) out.push({ op: '-', text: a[i++] });
  while (j < n) out.push({ op: '+', text: b[j++] });
  return out;
}


// scheduleWords says when a segment runs by itself.
export function scheduleWords(sc, zone) {
  if (sc && sc.every) return `runs every ${sc.every}`;
  if (sc && sc.cron) return `runs at cron "${sc.cron}" (${zone})`;
  return 'no schedule';
}
